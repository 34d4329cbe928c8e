-- Identity and access (issue 3): projects, users, memberships, robot
-- accounts, personal access tokens, the audit log and pull statistics.
--
-- A repository belongs to the project named by the first component of its
-- name (meta.ProjectOf). That is a rule of naming, so it is a generated
-- column, not a foreign key: it can never disagree with the name, existing
-- rows get it with no backfill, the push path that creates repository rows
-- is unchanged, and repositories created before their project (auto-create,
-- data from before this migration) belong to it as soon as it exists.
-- (SQLite can only add VIRTUAL generated columns; the index stores it.)
-- Booleans are INTEGER 0/1.

-- +goose Up
ALTER TABLE repositories ADD COLUMN project TEXT
    GENERATED ALWAYS AS (CASE WHEN instr(name, '/') > 0 THEN substr(name, 1, instr(name, '/') - 1) ELSE name END) VIRTUAL;
-- Repositories of a project, in name order (listings, delete check, quotas).
CREATE INDEX repositories_project ON repositories (project, name);

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    public      INTEGER NOT NULL DEFAULT 0,
    quota_bytes INTEGER,
    metadata    TEXT,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL UNIQUE,
    email         TEXT    NOT NULL DEFAULT '',
    realname      TEXT    NOT NULL DEFAULT '',
    comment       TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL DEFAULT '',
    sysadmin      INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    source        TEXT    NOT NULL DEFAULT 'local'
                  CHECK (source IN ('local', 'htpasswd', 'ldap', 'oidc')),
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    last_login_at TEXT
);
CREATE INDEX users_email ON users (email);

-- Memberships have an id (Harbor's member id, "mid", in API paths) and a
-- kind; user_id is set for kind 'user'. Groups will add a group_id column
-- with its own unique (project_id, group_id).
CREATE TABLE project_members (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    member_kind TEXT    NOT NULL DEFAULT 'user',
    user_id     INTEGER REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    CHECK (member_kind <> 'user' OR user_id IS NOT NULL),
    UNIQUE (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id);

CREATE TABLE robots (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    level       TEXT    NOT NULL CHECK (level IN ('system', 'project')),
    project_id  INTEGER REFERENCES projects (id) ON DELETE CASCADE,
    secret_hash TEXT    NOT NULL DEFAULT '',
    description TEXT    NOT NULL DEFAULT '',
    disabled    INTEGER NOT NULL DEFAULT 0,
    expires_at  TEXT,
    created_by  TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    CHECK ((level = 'system') = (project_id IS NULL))
);
CREATE INDEX robots_project ON robots (project_id, name);

-- actions is a JSON array of strings.
CREATE TABLE robot_permissions (
    robot_id INTEGER NOT NULL REFERENCES robots (id) ON DELETE CASCADE,
    project  TEXT    NOT NULL,
    actions  TEXT    NOT NULL,
    PRIMARY KEY (robot_id, project)
) WITHOUT ROWID;
CREATE INDEX robot_permissions_project ON robot_permissions (project);

CREATE TABLE access_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL UNIQUE,
    created_at   TEXT    NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT,
    UNIQUE (user_id, name)
);

-- Audit rows keep names as text so they outlive what they name. Listings
-- are newest first by (occurred_at, id); each filter has its index.
CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY,
    occurred_at    TEXT    NOT NULL,
    username       TEXT    NOT NULL DEFAULT '',
    principal_kind TEXT    NOT NULL DEFAULT '',
    operation      TEXT    NOT NULL,
    resource_type  TEXT    NOT NULL DEFAULT '',
    resource       TEXT    NOT NULL DEFAULT '',
    project        TEXT,
    remote_addr    TEXT    NOT NULL DEFAULT '',
    detail         TEXT
);
CREATE INDEX audit_log_occurred ON audit_log (occurred_at, id);
CREATE INDEX audit_log_project ON audit_log (project, occurred_at, id);
CREATE INDEX audit_log_username ON audit_log (username, occurred_at, id);
CREATE INDEX audit_log_operation ON audit_log (operation, occurred_at, id);

-- Pull statistics go with their manifest.
CREATE TABLE artifact_stats (
    repository_id  INTEGER NOT NULL,
    digest         TEXT    NOT NULL,
    pull_count     INTEGER NOT NULL DEFAULT 0,
    last_pulled_at TEXT    NOT NULL,
    PRIMARY KEY (repository_id, digest),
    FOREIGN KEY (repository_id, digest) REFERENCES manifests (repository_id, digest) ON DELETE CASCADE
) WITHOUT ROWID;

-- +goose Down
DROP TABLE artifact_stats;
DROP TABLE audit_log;
DROP TABLE access_tokens;
DROP TABLE robot_permissions;
DROP TABLE robots;
DROP TABLE project_members;
DROP TABLE users;
DROP TABLE projects;
DROP INDEX repositories_project;
ALTER TABLE repositories DROP COLUMN project;
