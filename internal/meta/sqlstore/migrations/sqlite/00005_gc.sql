-- Online garbage collection (issue 4), SQLite dialect: see the PostgreSQL
-- migration of the same number for what each table is for. Triggers queue
-- what a change may have made garbage, so a collection run looks only at the
-- queues.

-- +goose Up
CREATE TABLE gc_link_queue (
    repository_id INTEGER NOT NULL,
    digest        TEXT    NOT NULL,
    PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE TABLE gc_blob_queue (
    digest TEXT NOT NULL PRIMARY KEY
) WITHOUT ROWID;
CREATE TABLE gc_manifest_queue (
    manifest_id INTEGER NOT NULL PRIMARY KEY
);

-- Triggers avoid INSERT OR IGNORE: the conflict clause of the statement that
-- fires them (an upsert) would override it.
-- +goose StatementBegin
CREATE TRIGGER repository_blobs_gc_insert AFTER INSERT ON repository_blobs BEGIN
    INSERT INTO gc_link_queue (repository_id, digest) SELECT NEW.repository_id, NEW.digest
        WHERE NOT EXISTS (SELECT 1 FROM gc_link_queue WHERE repository_id = NEW.repository_id AND digest = NEW.digest);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER repository_blobs_gc_delete AFTER DELETE ON repository_blobs BEGIN
    INSERT INTO gc_blob_queue (digest) SELECT OLD.digest
        WHERE NOT EXISTS (SELECT 1 FROM gc_blob_queue WHERE digest = OLD.digest);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER manifests_gc_delete BEFORE DELETE ON manifests BEGIN
    INSERT INTO gc_link_queue (repository_id, digest)
        SELECT OLD.repository_id, mb.digest FROM manifest_blobs mb WHERE mb.manifest_id = OLD.id
        AND NOT EXISTS (SELECT 1 FROM gc_link_queue q WHERE q.repository_id = OLD.repository_id AND q.digest = mb.digest);
    INSERT INTO gc_blob_queue (digest)
        SELECT mb.digest FROM manifest_blobs mb WHERE mb.manifest_id = OLD.id
        AND NOT EXISTS (SELECT 1 FROM gc_blob_queue q WHERE q.digest = mb.digest);
    INSERT INTO gc_manifest_queue (manifest_id)
        SELECT m.id FROM manifest_children c
        JOIN manifests m ON m.repository_id = OLD.repository_id AND m.digest = c.child_digest
        WHERE c.manifest_id = OLD.id AND NOT EXISTS (SELECT 1 FROM gc_manifest_queue q WHERE q.manifest_id = m.id);
    INSERT INTO gc_manifest_queue (manifest_id)
        SELECT m.id FROM manifests m
        WHERE m.repository_id = OLD.repository_id AND m.subject_digest = OLD.digest AND m.id <> OLD.id
        AND NOT EXISTS (SELECT 1 FROM gc_manifest_queue q WHERE q.manifest_id = m.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER manifests_gc_insert AFTER INSERT ON manifests BEGIN
    INSERT INTO gc_manifest_queue (manifest_id) SELECT NEW.id
        WHERE NOT EXISTS (SELECT 1 FROM gc_manifest_queue WHERE manifest_id = NEW.id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tags_gc_delete AFTER DELETE ON tags BEGIN
    INSERT INTO gc_manifest_queue (manifest_id) SELECT OLD.manifest_id
        WHERE NOT EXISTS (SELECT 1 FROM gc_manifest_queue WHERE manifest_id = OLD.manifest_id);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER tags_gc_update AFTER UPDATE OF manifest_id ON tags WHEN OLD.manifest_id <> NEW.manifest_id BEGIN
    INSERT INTO gc_manifest_queue (manifest_id) SELECT OLD.manifest_id
        WHERE NOT EXISTS (SELECT 1 FROM gc_manifest_queue WHERE manifest_id = OLD.manifest_id);
END;
-- +goose StatementEnd

-- Seed the queues with what is already there.
INSERT OR IGNORE INTO gc_blob_queue (digest)
    SELECT b.digest FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM repository_blobs rb WHERE rb.digest = b.digest);
INSERT OR IGNORE INTO gc_link_queue (repository_id, digest)
    SELECT rb.repository_id, rb.digest FROM repository_blobs rb WHERE NOT EXISTS (
        SELECT 1 FROM manifest_blobs mb JOIN manifests m ON m.id = mb.manifest_id
        WHERE mb.digest = rb.digest AND m.repository_id = rb.repository_id);
INSERT OR IGNORE INTO gc_manifest_queue (manifest_id)
    SELECT m.id FROM manifests m WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.manifest_id = m.id);

CREATE INDEX blobs_upload_location ON blobs (location) WHERE location LIKE 'uploads/%';

CREATE TABLE gc_runs (
    id                INTEGER PRIMARY KEY,
    kind              TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    dry_run           INTEGER NOT NULL,
    delete_untagged   INTEGER NOT NULL,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    links_deleted     INTEGER NOT NULL DEFAULT 0,
    blobs_deleted     INTEGER NOT NULL DEFAULT 0,
    manifests_deleted INTEGER NOT NULL DEFAULT 0,
    orphans_deleted   INTEGER NOT NULL DEFAULT 0,
    bytes_freed       INTEGER NOT NULL DEFAULT 0,
    log               TEXT    NOT NULL DEFAULT ''
);

CREATE TABLE gc_schedule (
    id              INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    type            TEXT    NOT NULL,
    cron            TEXT    NOT NULL DEFAULT '',
    delete_untagged INTEGER NOT NULL DEFAULT 0,
    dry_run         INTEGER NOT NULL DEFAULT 0,
    updated_at      TEXT    NOT NULL
);

CREATE TABLE gc_lock (
    name       TEXT NOT NULL PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at TEXT NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE gc_lock;
DROP TABLE gc_schedule;
DROP TABLE gc_runs;
DROP INDEX blobs_upload_location;
DROP TRIGGER tags_gc_update;
DROP TRIGGER tags_gc_delete;
DROP TRIGGER manifests_gc_insert;
DROP TRIGGER manifests_gc_delete;
DROP TRIGGER repository_blobs_gc_delete;
DROP TRIGGER repository_blobs_gc_insert;
DROP TABLE gc_manifest_queue;
DROP TABLE gc_blob_queue;
DROP TABLE gc_link_queue;
