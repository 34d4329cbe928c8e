package meta

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/selector"
)

// ErrImmutable: the write would move or delete a tag that an enabled
// immutability rule of its project protects. The concrete error is
// *ImmutableTagError.
var ErrImmutable = errors.New("meta: tag is immutable")

// ImmutableTagError says which tag and which rule refused a write.
type ImmutableTagError struct {
	Repository string
	Tag        string
	RuleID     int64
}

func (e *ImmutableTagError) Error() string {
	return fmt.Sprintf("meta: tag %s of %s is immutable (immutability rule %d)", e.Tag, e.Repository, e.RuleID)
}

// Unwrap makes errors.Is(err, ErrImmutable) true.
func (e *ImmutableTagError) Unwrap() error { return ErrImmutable }

// ImmutableRule is one of a project's tag immutability rules (Harbor's
// "immutable tag rule"): the tags it selects, in the repositories it
// selects, can be pushed once and then neither moved to another digest nor
// deleted, by any path (/v2/, the API, retention, replication). Pushing a
// tag again at the digest it already names is allowed.
type ImmutableRule struct {
	ID        int64
	ProjectID int64
	Priority  int
	Disabled  bool
	// Repository selects repositories by their name inside the project
	// ("app/api" for "team/app/api"), as Harbor's selectors do.
	Repository selector.Selector
	Tag        selector.Selector
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Validate checks the rule's selectors.
func (r ImmutableRule) Validate() error {
	if err := r.Repository.Validate(true); err != nil {
		return fmt.Errorf("repository selector: %w", err)
	}
	if err := r.Tag.Validate(false); err != nil {
		return fmt.Errorf("tag selector: %w", err)
	}
	return nil
}

// Applies reports whether r, if enabled, protects tag of repository repo
// (a full name, "team/app").
func (r ImmutableRule) Applies(repo, tag string) bool {
	if r.Disabled {
		return false
	}
	_, name, _ := strings.Cut(repo, "/")
	return r.Repository.Match(name) && r.Tag.Match(tag)
}

// ImmutableBy returns the first of rules that protects tag of repo, if any.
func ImmutableBy(rules []ImmutableRule, repo, tag string) (ImmutableRule, bool) {
	for _, r := range rules {
		if r.Applies(repo, tag) {
			return r, true
		}
	}
	return ImmutableRule{}, false
}

// ImmutableRules holds the tag immutability rules of projects. Stores
// enforce them on every tag move and delete (Manifests.PutManifest,
// DeleteTag, DeleteManifest, Repositories.DeleteRepository,
// TagHistory.RestoreTag), in the transaction that changes the tag, so no
// caller can forget the check and no concurrent rule change or push slips
// between check and write.
type ImmutableRules interface {
	// ListImmutableRules lists the rules of project projectID by
	// priority, then id. An unknown project has none.
	ListImmutableRules(ctx context.Context, projectID int64) ([]ImmutableRule, error)
	// GetImmutableRule returns rule id of project projectID, or
	// ErrNotFound.
	GetImmutableRule(ctx context.Context, projectID, id int64) (ImmutableRule, error)
	// CreateImmutableRule stores r (ID, CreatedAt and UpdatedAt are set)
	// and returns it. ErrNotFound if the project does not exist,
	// ErrConflict if the project has a rule with the same selectors,
	// ErrInvalid if a selector is invalid.
	CreateImmutableRule(ctx context.Context, r ImmutableRule) (ImmutableRule, error)
	// UpdateImmutableRule replaces the selectors, priority and disabled
	// flag of rule r.ID of project r.ProjectID. ErrNotFound if absent,
	// ErrConflict as for CreateImmutableRule.
	UpdateImmutableRule(ctx context.Context, r ImmutableRule) (ImmutableRule, error)
	// DeleteImmutableRule deletes rule id of project projectID.
	// ErrNotFound if absent.
	DeleteImmutableRule(ctx context.Context, projectID, id int64) error
}

// TagChange is one entry of a tag's history: the tag was created (Old is
// ""), moved from Old to New, or deleted (New is "").
type TagChange struct {
	ID         int64
	Repository string
	Tag        string
	Old        digest.Digest
	New        digest.Digest
	// Actor is who made the change (see WithActor); "" when unknown.
	Actor     string
	ChangedAt time.Time
}

// TagHistory holds the history of tags. Stores record a TagChange for every
// creation, move and deletion of a tag, in the transaction that makes it
// (PutManifest, AddTag, DeleteTag, DeleteManifest, RestoreTag); deleting a
// repository deletes its history.
//
// Garbage collection and tag history: a manifest is pinned by history, and
// must not be collected even when untagged, while some change of the window
// (ChangedAt >= since, since = now - registry.tag_history_window) moved or
// deleted a tag away from it (Old is its digest) in its repository, since
// RestoreTag may bring it back. HistoryPinned answers that for one manifest;
// in SQL (package sqlstore) it is the condition
//
//	EXISTS (SELECT 1 FROM tag_history h WHERE h.repository_id = m.repository_id
//	        AND h.old_digest = m.digest AND h.changed_at >= :since)
//
// served by the index tag_history_pinned (repository_id, old_digest,
// changed_at). History rows older than the window are pruned
// (PruneTagHistory), so a collector that ignores the time bound keeps a
// little more, never less.
type TagHistory interface {
	// ListTagHistory lists the changes of tag in repo made at or after
	// since, newest first. An unknown repository or tag has none.
	ListTagHistory(ctx context.Context, repo, tag string, since time.Time, w Window) ([]TagChange, error)
	// CountTagHistory counts what ListTagHistory lists.
	CountTagHistory(ctx context.Context, repo, tag string, since time.Time) (int64, error)
	// RestoreTag points tag of repo at manifest d again (creating the tag
	// if it was deleted) and records the change. d must be a digest the
	// tag pointed at in a change made at or after since, and the manifest
	// must still be stored: ErrNotFound otherwise. *ImmutableTagError if
	// an enabled rule protects the tag.
	RestoreTag(ctx context.Context, repo, tag string, d digest.Digest, since time.Time) error
	// PruneTagHistory deletes the changes made before before and returns
	// how many.
	PruneTagHistory(ctx context.Context, before time.Time) (int64, error)
	// HistoryPinned reports whether manifest d of repo is pinned by a
	// change made at or after since (see above).
	HistoryPinned(ctx context.Context, repo string, d digest.Digest, since time.Time) (bool, error)
}

type actorKey struct{}

// WithActor returns ctx carrying the name of who makes the changes done
// with it, which stores record in the tag history. The transports set it
// from the authenticated caller.
func WithActor(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, actorKey{}, name)
}

// ActorFrom returns the name WithActor put in ctx, or "".
func ActorFrom(ctx context.Context) string {
	s, _ := ctx.Value(actorKey{}).(string)
	return s
}
