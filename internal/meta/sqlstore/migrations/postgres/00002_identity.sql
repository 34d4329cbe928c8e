-- Identity and access (issue 3): projects, users, memberships, robot
-- accounts, personal access tokens, the audit log and pull statistics.
--
-- A repository belongs to the project named by the first component of its
-- name (meta.ProjectOf). That is a rule of naming, so it is a generated
-- column, not a foreign key: it can never disagree with the name, existing
-- rows get it with no backfill, the push path that creates repository rows
-- is unchanged, and repositories created before their project (auto-create,
-- data from before this migration) belong to it as soon as it exists.

-- +goose Up
ALTER TABLE repositories
    ADD COLUMN project text COLLATE "C" GENERATED ALWAYS AS (split_part(name, '/', 1)) STORED;
-- Repositories of a project, in name order (listings, delete check, quotas).
CREATE INDEX repositories_project ON repositories (project, name);

CREATE TABLE projects (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        COLLATE "C" NOT NULL UNIQUE,
    public      boolean     NOT NULL DEFAULT false,
    quota_bytes bigint,
    metadata    jsonb,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE users (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text        COLLATE "C" NOT NULL UNIQUE,
    email         text        NOT NULL DEFAULT '',
    realname      text        NOT NULL DEFAULT '',
    comment       text        NOT NULL DEFAULT '',
    password_hash text        NOT NULL DEFAULT '',
    sysadmin      boolean     NOT NULL DEFAULT false,
    disabled      boolean     NOT NULL DEFAULT false,
    source        text        NOT NULL DEFAULT 'local'
                  CHECK (source IN ('local', 'htpasswd', 'ldap', 'oidc')),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    last_login_at timestamptz
);
CREATE INDEX users_email ON users (email);

-- Memberships have an id (Harbor's member id, "mid", in API paths) and a
-- kind; user_id is set for kind 'user'. Groups will add a group_id column
-- with its own unique (project_id, group_id).
CREATE TABLE project_members (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint      NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    member_kind text        NOT NULL DEFAULT 'user',
    user_id     bigint      REFERENCES users (id) ON DELETE CASCADE,
    role        text        NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CHECK (member_kind <> 'user' OR user_id IS NOT NULL),
    UNIQUE (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id);

CREATE TABLE robots (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        COLLATE "C" NOT NULL UNIQUE,
    level       text        NOT NULL CHECK (level IN ('system', 'project')),
    project_id  bigint      REFERENCES projects (id) ON DELETE CASCADE,
    secret_hash text        NOT NULL DEFAULT '',
    description text        NOT NULL DEFAULT '',
    disabled    boolean     NOT NULL DEFAULT false,
    expires_at  timestamptz,
    created_by  text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CHECK ((level = 'system') = (project_id IS NULL))
);
CREATE INDEX robots_project ON robots (project_id, name);

-- actions is a JSON array of strings.
CREATE TABLE robot_permissions (
    robot_id bigint NOT NULL REFERENCES robots (id) ON DELETE CASCADE,
    project  text   COLLATE "C" NOT NULL,
    actions  text   NOT NULL,
    PRIMARY KEY (robot_id, project)
);
CREATE INDEX robot_permissions_project ON robot_permissions (project);

CREATE TABLE access_tokens (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text        COLLATE "C" NOT NULL,
    token_hash   text        COLLATE "C" NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    UNIQUE (user_id, name)
);

-- Audit rows keep names as text so they outlive what they name. Listings
-- are newest first by (occurred_at, id); each filter has its index.
CREATE TABLE audit_log (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at    timestamptz NOT NULL,
    username       text        COLLATE "C" NOT NULL DEFAULT '',
    principal_kind text        NOT NULL DEFAULT '',
    operation      text        COLLATE "C" NOT NULL,
    resource_type  text        NOT NULL DEFAULT '',
    resource       text        NOT NULL DEFAULT '',
    project        text        COLLATE "C",
    remote_addr    text        NOT NULL DEFAULT '',
    detail         jsonb
);
CREATE INDEX audit_log_occurred ON audit_log (occurred_at, id);
CREATE INDEX audit_log_project ON audit_log (project, occurred_at, id);
CREATE INDEX audit_log_username ON audit_log (username, occurred_at, id);
CREATE INDEX audit_log_operation ON audit_log (operation, occurred_at, id);

-- Pull statistics go with their manifest.
CREATE TABLE artifact_stats (
    repository_id  bigint      NOT NULL,
    digest         text        COLLATE "C" NOT NULL,
    pull_count     bigint      NOT NULL DEFAULT 0,
    last_pulled_at timestamptz NOT NULL,
    PRIMARY KEY (repository_id, digest),
    FOREIGN KEY (repository_id, digest) REFERENCES manifests (repository_id, digest) ON DELETE CASCADE
);

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
