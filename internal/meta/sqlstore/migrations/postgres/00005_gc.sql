-- Online garbage collection (issue 4). Triggers queue what a change may have
-- made garbage, so a collection run looks only at the queues (cost grows
-- with the churn since the last run, never with the registry's size):
--   gc_link_queue      repository->blob links that may be dangling (a new
--                      link whose manifest may never come, or a link whose
--                      last referencing manifest was deleted);
--   gc_blob_queue      blobs that may have lost their last link;
--   gc_manifest_queue  manifests that may be untagged and unreferenced.
-- gc_runs is the run history, gc_schedule the schedule set through the API,
-- gc_lock the lease that keeps two collectors (replicas, CLI) apart.

-- +goose Up
CREATE TABLE gc_link_queue (
    repository_id bigint NOT NULL,
    digest        text   COLLATE "C" NOT NULL,
    PRIMARY KEY (repository_id, digest)
);
CREATE TABLE gc_blob_queue (
    digest text COLLATE "C" NOT NULL PRIMARY KEY
);
CREATE TABLE gc_manifest_queue (
    manifest_id bigint NOT NULL PRIMARY KEY
);

-- +goose StatementBegin
CREATE FUNCTION berth_gc_link_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO gc_link_queue (repository_id, digest) VALUES (NEW.repository_id, NEW.digest)
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER repository_blobs_gc_insert AFTER INSERT ON repository_blobs
    FOR EACH ROW EXECUTE FUNCTION berth_gc_link_added();

-- +goose StatementBegin
CREATE FUNCTION berth_gc_link_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO gc_blob_queue (digest) VALUES (OLD.digest) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER repository_blobs_gc_delete AFTER DELETE ON repository_blobs
    FOR EACH ROW EXECUTE FUNCTION berth_gc_link_removed();

-- +goose StatementBegin
CREATE FUNCTION berth_gc_manifest_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO gc_link_queue (repository_id, digest)
        SELECT OLD.repository_id, mb.digest FROM manifest_blobs mb WHERE mb.manifest_id = OLD.id
        ON CONFLICT DO NOTHING;
    INSERT INTO gc_blob_queue (digest)
        SELECT mb.digest FROM manifest_blobs mb WHERE mb.manifest_id = OLD.id
        ON CONFLICT DO NOTHING;
    INSERT INTO gc_manifest_queue (manifest_id)
        SELECT m.id FROM manifest_children c
        JOIN manifests m ON m.repository_id = OLD.repository_id AND m.digest = c.child_digest
        WHERE c.manifest_id = OLD.id
        ON CONFLICT DO NOTHING;
    INSERT INTO gc_manifest_queue (manifest_id)
        SELECT m.id FROM manifests m
        WHERE m.repository_id = OLD.repository_id AND m.subject_digest = OLD.digest AND m.id <> OLD.id
        ON CONFLICT DO NOTHING;
    RETURN OLD;
END $$;
-- +goose StatementEnd
CREATE TRIGGER manifests_gc_delete BEFORE DELETE ON manifests
    FOR EACH ROW EXECUTE FUNCTION berth_gc_manifest_removed();

-- +goose StatementBegin
CREATE FUNCTION berth_gc_manifest_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO gc_manifest_queue (manifest_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER manifests_gc_insert AFTER INSERT ON manifests
    FOR EACH ROW EXECUTE FUNCTION berth_gc_manifest_added();

-- +goose StatementBegin
CREATE FUNCTION berth_gc_tag_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.manifest_id <> NEW.manifest_id THEN
        INSERT INTO gc_manifest_queue (manifest_id) VALUES (OLD.manifest_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER tags_gc_change AFTER DELETE OR UPDATE ON tags
    FOR EACH ROW EXECUTE FUNCTION berth_gc_tag_removed();

-- Seed the queues with what is already there.
INSERT INTO gc_blob_queue (digest)
    SELECT b.digest FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.digest = b.digest);
INSERT INTO gc_link_queue (repository_id, digest)
    SELECT rb.repository_id, rb.digest FROM repository_blobs rb WHERE NOT EXISTS (
        SELECT 1 FROM manifest_blobs mb JOIN manifests m ON m.id = mb.manifest_id
        WHERE mb.digest = rb.digest AND m.repository_id = rb.repository_id);
INSERT INTO gc_manifest_queue (manifest_id)
    SELECT m.id FROM manifests m WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id);

-- Blobs kept at their upload path (drivers that cannot rename, or a blob
-- revived during collection): the upload-area sweep asks whether a path is
-- a blob's location.
CREATE INDEX blobs_upload_location ON blobs (location) WHERE location LIKE 'uploads/%';

CREATE TABLE gc_runs (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text        NOT NULL,
    status            text        NOT NULL,
    dry_run           boolean     NOT NULL,
    delete_untagged   boolean     NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    links_deleted     bigint      NOT NULL DEFAULT 0,
    blobs_deleted     bigint      NOT NULL DEFAULT 0,
    manifests_deleted bigint      NOT NULL DEFAULT 0,
    orphans_deleted   bigint      NOT NULL DEFAULT 0,
    bytes_freed       bigint      NOT NULL DEFAULT 0,
    log               text        NOT NULL DEFAULT ''
);

CREATE TABLE gc_schedule (
    id              integer     NOT NULL PRIMARY KEY CHECK (id = 1),
    type            text        NOT NULL,
    cron            text        NOT NULL DEFAULT '',
    delete_untagged boolean     NOT NULL DEFAULT false,
    dry_run         boolean     NOT NULL DEFAULT false,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE gc_lock (
    name       text        NOT NULL PRIMARY KEY,
    holder     text        NOT NULL,
    expires_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE gc_lock;
DROP TABLE gc_schedule;
DROP TABLE gc_runs;
DROP INDEX blobs_upload_location;
DROP TRIGGER tags_gc_change ON tags;
DROP TRIGGER manifests_gc_insert ON manifests;
DROP TRIGGER manifests_gc_delete ON manifests;
DROP TRIGGER repository_blobs_gc_delete ON repository_blobs;
DROP TRIGGER repository_blobs_gc_insert ON repository_blobs;
DROP FUNCTION berth_gc_tag_removed();
DROP FUNCTION berth_gc_manifest_added();
DROP FUNCTION berth_gc_manifest_removed();
DROP FUNCTION berth_gc_link_removed();
DROP FUNCTION berth_gc_link_added();
DROP TABLE gc_manifest_queue;
DROP TABLE gc_blob_queue;
DROP TABLE gc_link_queue;
