package meta

import (
	"context"
	"time"

	"github.com/opencontainers/go-digest"
)

// Audit operations. The store accepts any non-empty operation; these are
// the names the rest of Berth uses.
const (
	OpPush         = "push"
	OpPull         = "pull"
	OpDelete       = "delete"
	OpTag          = "tag"
	OpLogin        = "login"
	OpLoginFailed  = "login_failed"
	OpMemberAdd    = "member.add"
	OpMemberUpdate = "member.update"
	OpMemberRemove = "member.remove"
	OpRobotCreate  = "robot.create"
	OpRobotUpdate  = "robot.update"
	OpRobotDelete  = "robot.delete"
)

// AuditEvent records who did what, when and from where.
type AuditEvent struct {
	ID            int64 // set by the store
	OccurredAt    time.Time
	Username      string // user or robot name; "" for anonymous
	PrincipalKind string // "user", "robot", "anonymous", "system"
	Operation     string // OpPush, OpPull, ...
	ResourceType  string // "artifact", "tag", "repository", "project", "member", "robot", "user"
	Resource      string // "library/nginx:1.27", "library/nginx@sha256:...", a project name...
	Project       string // "" when the event concerns no project
	RemoteAddr    string
	Detail        map[string]string // nil when there is none
}

// AuditFilter narrows ListAudit and CountAudit; zero fields do not filter.
// The Contains fields match a case-sensitive substring.
type AuditFilter struct {
	Project string
	// Projects, when not nil, keeps the events of any of these projects
	// (an empty, non-nil slice keeps none): what a caller may read.
	Projects         []string
	Username         string
	UsernameContains string
	Operation        string
	ResourceType     string
	Resource         string
	ResourceContains string
	From             time.Time // inclusive
	To               time.Time // exclusive
	// Before, when its ID is non-zero, keeps only events strictly older than
	// it in (OccurredAt, ID) order: pass the last event of a page to get the
	// next one by keyset rather than by offset.
	Before AuditCursor
}

// AuditCursor is a position in the audit log's newest-first order.
type AuditCursor struct {
	OccurredAt time.Time
	ID         int64
}

// Cursor returns the position of e, for AuditFilter.Before.
func (e AuditEvent) Cursor() AuditCursor { return AuditCursor{OccurredAt: e.OccurredAt, ID: e.ID} }

// Audit holds the audit log.
type Audit interface {
	// AppendAudit stores events in one batch (OccurredAt defaults to now).
	// ErrInvalid, storing nothing, if an event has no Operation.
	AppendAudit(ctx context.Context, events ...AuditEvent) error
	// ListAudit lists the events matching f, newest first (by OccurredAt,
	// then ID).
	ListAudit(ctx context.Context, f AuditFilter, w Window) ([]AuditEvent, error)
	// CountAudit counts the events matching f.
	CountAudit(ctx context.Context, f AuditFilter) (int64, error)
	// PruneAudit deletes the events that occurred before olderThan, in
	// bounded batches, and returns how many.
	PruneAudit(ctx context.Context, olderThan time.Time) (int64, error)
}

// ArtifactStats are the pull statistics of one manifest in one repository.
type ArtifactStats struct {
	Repository   string
	Digest       digest.Digest
	PullCount    int64
	LastPulledAt time.Time
}

// Pull is one entry of a RecordPulls batch: Count pulls of Digest in
// Repository, the last at At.
type Pull struct {
	Repository string
	Digest     digest.Digest
	At         time.Time
	Count      int64 // <= 0 counts as 1
}

// Stats holds pull statistics. Rows go with their manifest: deleting the
// manifest deletes its statistics.
type Stats interface {
	// RecordPull adds one pull of manifest d in repo at the given time: a
	// single upsert. ErrNotFound if repo holds no manifest d.
	RecordPull(ctx context.Context, repo string, d digest.Digest, at time.Time) error
	// RecordPulls adds a batch of pulls (a caller may aggregate pulls in
	// memory and flush them periodically) in one transaction. Entries whose
	// manifest no longer exists are skipped.
	RecordPulls(ctx context.Context, pulls ...Pull) error
	// GetArtifactStats returns the statistics of manifest d in repo, or
	// ErrNotFound if it was never pulled (or does not exist).
	GetArtifactStats(ctx context.Context, repo string, d digest.Digest) (ArtifactStats, error)
}
