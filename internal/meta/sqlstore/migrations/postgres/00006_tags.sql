-- Tag immutability rules and tag history (issue 4).
--
-- immutable_rules: a project's rules, one repository and one tag selector
-- each (Harbor's immutable tag rule), checked by the store on every tag
-- move and delete. tag_history: every creation, move and deletion of a tag,
-- written in the transaction that makes it; old_digest is NULL for a
-- creation, new_digest for a deletion.

-- +goose Up
CREATE TABLE immutable_rules (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id      bigint  NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    priority        integer NOT NULL DEFAULT 0,
    disabled        boolean NOT NULL DEFAULT false,
    repo_decoration text    NOT NULL CHECK (repo_decoration IN ('repoMatches', 'repoExcludes')),
    repo_pattern    text    NOT NULL CHECK (repo_pattern <> ''),
    tag_decoration  text    NOT NULL CHECK (tag_decoration IN ('matches', 'excludes')),
    tag_pattern     text    NOT NULL CHECK (tag_pattern <> ''),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (project_id, repo_decoration, repo_pattern, tag_decoration, tag_pattern)
);

CREATE TABLE tag_history (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repository_id bigint  NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    tag           text    COLLATE "C" NOT NULL,
    old_digest    text COLLATE "C",
    new_digest    text COLLATE "C",
    actor         text    NOT NULL DEFAULT '',
    changed_at    timestamptz NOT NULL
);
-- A tag's history, newest first; restore looks a digest up in it.
CREATE INDEX tag_history_tag ON tag_history (repository_id, tag, changed_at, id);
-- Garbage collection: is a manifest pinned by a recent change away from it?
CREATE INDEX tag_history_pinned ON tag_history (repository_id, old_digest, changed_at);
-- Pruning past the window.
CREATE INDEX tag_history_changed ON tag_history (changed_at);

-- +goose Down
DROP TABLE tag_history;
DROP TABLE immutable_rules;
