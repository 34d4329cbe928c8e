-- Berth metadata schema, PostgreSQL dialect. Names and digests use
-- COLLATE "C" so that ordering, keyset pagination and their indexes follow
-- byte order whatever the database's default collation. Timestamps are
-- timestamptz (stored as UTC).

-- +goose Up
CREATE TABLE repositories (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        COLLATE "C" NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

CREATE TABLE blobs (
    digest       text        COLLATE "C" NOT NULL PRIMARY KEY,
    size         bigint      NOT NULL,
    location     text        NOT NULL,
    state        text        NOT NULL DEFAULT 'ready',
    created_at   timestamptz NOT NULL,
    last_touched timestamptz NOT NULL
);
-- GC candidates: blobs in a state, oldest touch first.
CREATE INDEX blobs_state_last_touched ON blobs (state, last_touched);

CREATE TABLE repository_blobs (
    repository_id bigint      NOT NULL REFERENCES repositories (id),
    digest        text        COLLATE "C" NOT NULL REFERENCES blobs (digest),
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (repository_id, digest)
);
CREATE INDEX repository_blobs_digest ON repository_blobs (digest);

CREATE TABLE manifests (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repository_id  bigint      NOT NULL REFERENCES repositories (id),
    digest         text        COLLATE "C" NOT NULL,
    media_type     text        NOT NULL,
    artifact_type  text        NOT NULL DEFAULT '',
    size           bigint      NOT NULL,
    payload        bytea       NOT NULL,
    subject_digest text        COLLATE "C",
    annotations    jsonb,
    created_at     timestamptz NOT NULL,
    UNIQUE (repository_id, digest)
);
-- Referrers: manifests of a repository by subject, in digest order.
CREATE INDEX manifests_subject ON manifests (repository_id, subject_digest, digest);

CREATE TABLE manifest_blobs (
    manifest_id bigint NOT NULL REFERENCES manifests (id) ON DELETE CASCADE,
    digest      text   COLLATE "C" NOT NULL REFERENCES blobs (digest),
    PRIMARY KEY (manifest_id, digest)
);
CREATE INDEX manifest_blobs_digest ON manifest_blobs (digest);

CREATE TABLE manifest_children (
    manifest_id  bigint NOT NULL REFERENCES manifests (id) ON DELETE CASCADE,
    child_digest text   COLLATE "C" NOT NULL,
    PRIMARY KEY (manifest_id, child_digest)
);
CREATE INDEX manifest_children_child ON manifest_children (child_digest);

CREATE TABLE tags (
    repository_id bigint      NOT NULL REFERENCES repositories (id),
    name          text        COLLATE "C" NOT NULL,
    manifest_id   bigint      NOT NULL REFERENCES manifests (id) ON DELETE CASCADE,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (repository_id, name)
);
CREATE INDEX tags_manifest ON tags (manifest_id);

CREATE TABLE uploads (
    id          text        COLLATE "C" NOT NULL PRIMARY KEY,
    repository  text        COLLATE "C" NOT NULL,
    location    text        NOT NULL,
    byte_offset bigint      NOT NULL DEFAULT 0,
    algorithm   text        NOT NULL,
    hash_state  bytea,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX uploads_updated_at ON uploads (updated_at);

-- +goose Down
DROP TABLE uploads;
DROP TABLE tags;
DROP TABLE manifest_children;
DROP TABLE manifest_blobs;
DROP TABLE manifests;
DROP TABLE repository_blobs;
DROP TABLE blobs;
DROP TABLE repositories;
