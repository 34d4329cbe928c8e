-- Berth metadata schema, SQLite dialect. Timestamps are TEXT in fixed-width
-- UTC RFC 3339 with microseconds (2006-01-02T15:04:05.000000Z), so they sort
-- and compare as strings. TEXT compares with the BINARY collation (byte order).

-- +goose Up
CREATE TABLE repositories (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    created_at TEXT    NOT NULL
);

CREATE TABLE blobs (
    digest       TEXT    NOT NULL PRIMARY KEY,
    size         INTEGER NOT NULL,
    location     TEXT    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'ready',
    created_at   TEXT    NOT NULL,
    last_touched TEXT    NOT NULL
) WITHOUT ROWID;
-- GC candidates: blobs in a state, oldest touch first.
CREATE INDEX blobs_state_last_touched ON blobs (state, last_touched);

CREATE TABLE repository_blobs (
    repository_id INTEGER NOT NULL REFERENCES repositories (id),
    digest        TEXT    NOT NULL REFERENCES blobs (digest),
    created_at    TEXT    NOT NULL,
    PRIMARY KEY (repository_id, digest)
) WITHOUT ROWID;
CREATE INDEX repository_blobs_digest ON repository_blobs (digest);

CREATE TABLE manifests (
    id             INTEGER PRIMARY KEY,
    repository_id  INTEGER NOT NULL REFERENCES repositories (id),
    digest         TEXT    NOT NULL,
    media_type     TEXT    NOT NULL,
    artifact_type  TEXT    NOT NULL DEFAULT '',
    size           INTEGER NOT NULL,
    payload        BLOB    NOT NULL,
    subject_digest TEXT,
    annotations    TEXT,
    created_at     TEXT    NOT NULL,
    UNIQUE (repository_id, digest)
);
-- Referrers: manifests of a repository by subject, in digest order.
CREATE INDEX manifests_subject ON manifests (repository_id, subject_digest, digest);

CREATE TABLE manifest_blobs (
    manifest_id INTEGER NOT NULL REFERENCES manifests (id) ON DELETE CASCADE,
    digest      TEXT    NOT NULL REFERENCES blobs (digest),
    PRIMARY KEY (manifest_id, digest)
) WITHOUT ROWID;
CREATE INDEX manifest_blobs_digest ON manifest_blobs (digest);

CREATE TABLE manifest_children (
    manifest_id  INTEGER NOT NULL REFERENCES manifests (id) ON DELETE CASCADE,
    child_digest TEXT    NOT NULL,
    PRIMARY KEY (manifest_id, child_digest)
) WITHOUT ROWID;
CREATE INDEX manifest_children_child ON manifest_children (child_digest);

CREATE TABLE tags (
    repository_id INTEGER NOT NULL REFERENCES repositories (id),
    name          TEXT    NOT NULL,
    manifest_id   INTEGER NOT NULL REFERENCES manifests (id) ON DELETE CASCADE,
    updated_at    TEXT    NOT NULL,
    PRIMARY KEY (repository_id, name)
) WITHOUT ROWID;
CREATE INDEX tags_manifest ON tags (manifest_id);

CREATE TABLE uploads (
    id          TEXT    NOT NULL PRIMARY KEY,
    repository  TEXT    NOT NULL,
    location    TEXT    NOT NULL,
    byte_offset INTEGER NOT NULL DEFAULT 0,
    algorithm   TEXT    NOT NULL,
    hash_state  BLOB,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
) WITHOUT ROWID;
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
