-- Audit log filters of the management API: an exact resource (q
-- resource=x) and a resource type, each in the newest-first order of the
-- listings, like the other audit filters. Events of several projects (what
-- a non-admin may read) use audit_log_project; substring filters (q
-- username=~x, resource=~x) are checked on the rows an index range yields.

-- +goose Up
CREATE INDEX audit_log_resource ON audit_log (resource, occurred_at, id);
CREATE INDEX audit_log_resource_type ON audit_log (resource_type, occurred_at, id);

-- +goose Down
DROP INDEX audit_log_resource_type;
DROP INDEX audit_log_resource;
