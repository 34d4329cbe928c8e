-- Management API (issue 3): repository descriptions, and the indexes the
-- artifact listings use (push time order within a repository, pull time
-- order through the statistics).

-- +goose Up
ALTER TABLE repositories ADD COLUMN description text NOT NULL DEFAULT '';
CREATE INDEX manifests_pushed ON manifests (repository_id, created_at, id);
CREATE INDEX artifact_stats_pulled ON artifact_stats (repository_id, last_pulled_at);
-- The tags of one manifest in name order (artifact listings, tag pages).
CREATE INDEX tags_manifest_name ON tags (manifest_id, name);

-- +goose Down
DROP INDEX tags_manifest_name;
DROP INDEX artifact_stats_pulled;
DROP INDEX manifests_pushed;
ALTER TABLE repositories DROP COLUMN description;
