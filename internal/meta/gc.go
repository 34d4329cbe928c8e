package meta

import (
	"context"
	"time"

	"github.com/opencontainers/go-digest"
)

// Garbage collection records. The collector (package gc) decides nothing by
// scanning: the store keeps three queues, filled by triggers on the tables
// whose changes can make something garbage, and the GC methods below pop
// and re-check one entry at a time, each in its own transaction.
//
// Model. A repository->blob link is dangling when no manifest of that
// repository references the blob; a dangling link whose link and blob are
// older than the grace cutoff (the blob's LastTouched: upload, mount and
// HEAD touch it) is garbage. A blob is garbage when no repository links it,
// no manifest in any repository references it, and its LastTouched is older
// than the cutoff. A manifest is collectable (only when asked: untagged
// collection) when it has no tag, no index of its repository lists it, it is
// not a referrer of a manifest still stored in its repository, no tag
// history row names it as a tag's old digest (meta.TagHistory: RestoreTag
// may bring it back), and it was pushed before the cutoff.

// Blob states. A blob is "ready" until a collector marks it "deleting"; from
// then on its bytes may vanish at any moment and only the collector (or a
// revival by CommitBlob with a fresh copy of the bytes) touches the row.
const (
	BlobReady    = "ready"
	BlobDeleting = "deleting"
)

// LinkRef names one repository->blob link.
type LinkRef struct {
	RepositoryID int64
	Digest       digest.Digest
}

// GCVerdict is what a GC re-check decided about one queue entry.
type GCVerdict int

// Verdicts. GCKeep and GCCollected remove the entry from its queue; GCLater
// leaves it (it is too young: the grace period protects a push in flight).
const (
	GCKeep      GCVerdict = iota // still referenced, or gone already: dequeued
	GCCollected                  // garbage: removed (or, dry run, would be)
	GCLater                      // garbage but inside the grace period: stays queued
)

// GCRun is one garbage collection run as the history keeps it.
type GCRun struct {
	ID               int64
	Kind             string // "MANUAL" or "SCHEDULE"
	Status           string // "Running", "Success", "Error", "Stopped"
	DryRun           bool
	DeleteUntagged   bool
	CreatedAt        time.Time
	UpdatedAt        time.Time
	LinksDeleted     int64
	BlobsDeleted     int64
	ManifestsDeleted int64
	OrphansDeleted   int64
	BytesFreed       int64
	Log              string
}

// GCSchedule is the schedule set through the API, in Harbor's terms.
type GCSchedule struct {
	Type           string // "None", "Hourly", "Daily", "Weekly", "Custom"
	Cron           string // for Custom (and as Harbor reports the others)
	DeleteUntagged bool
	DryRun         bool
	UpdatedAt      time.Time
}

// GC is what the garbage collector needs from the metadata store. Every
// method that changes something re-checks its condition in the same
// transaction, with the rows involved locked (PostgreSQL) or under the
// single writer (SQLite), so a concurrent push either makes the re-check
// fail or finds the row gone and fails cleanly.
type GC interface {
	// GCLinkQueue lists up to limit queued links after the cursor, in
	// (repository id, digest) order.
	GCLinkQueue(ctx context.Context, after LinkRef, limit int) ([]LinkRef, error)
	// SweepLink re-checks queued link l: gone or referenced by a manifest of
	// its repository, GCKeep (dequeued); dangling with the link or the blob
	// touched at or after cutoff, GCLater; else the link is deleted (unless
	// dryRun) and dequeued, GCCollected.
	SweepLink(ctx context.Context, l LinkRef, cutoff time.Time, dryRun bool) (GCVerdict, error)
	// GCBlobQueue lists up to limit queued blob digests after the cursor.
	GCBlobQueue(ctx context.Context, after digest.Digest, limit int) ([]digest.Digest, error)
	// MarkBlobDeleting re-checks queued blob d: gone, linked or referenced
	// by a manifest, GCKeep (dequeued; a dry run counts links created
	// before cutoff as gone, as the run would delete them); touched at or after cutoff, GCLater;
	// else (unless dryRun) its state becomes BlobDeleting and it is
	// dequeued, GCCollected. The blob row is returned for GCCollected.
	MarkBlobDeleting(ctx context.Context, d digest.Digest, cutoff time.Time, dryRun bool) (Blob, GCVerdict, error)
	// DeletingBlobs lists up to limit blobs in state BlobDeleting after the
	// cursor, by digest (a crashed run's leftovers included).
	DeletingBlobs(ctx context.Context, after digest.Digest, limit int) ([]Blob, error)
	// DeleteBlobRow deletes blob d if it is still BlobDeleting (a revived
	// blob stays). It reports whether it deleted the row.
	DeleteBlobRow(ctx context.Context, d digest.Digest) (bool, error)
	// GCManifestQueue lists up to limit queued manifest ids after the
	// cursor.
	GCManifestQueue(ctx context.Context, after int64, limit int) ([]int64, error)
	// SweepManifest re-checks queued manifest id for untagged collection
	// (see the model above) and deletes it unless dryRun. It returns the
	// verdict and, for GCCollected, the manifest's repository and digest.
	SweepManifest(ctx context.Context, id int64, cutoff time.Time, dryRun bool) (GCVerdict, string, digest.Digest, error)
	// TouchBlob sets the LastTouched time of ready blob d to now (nothing
	// if there is no such blob), so a HEAD-confirmed blob stays for the
	// grace period.
	TouchBlob(ctx context.Context, d digest.Digest) error
	// BlobAtLocation reports whether some blob row keeps its bytes at loc
	// (an upload path, for drivers that cannot rename).
	BlobAtLocation(ctx context.Context, loc string) (bool, error)
	// UploadExists reports whether upload session id has a row.
	UploadExists(ctx context.Context, id string) (bool, error)

	// AcquireGCLock takes or renews the collector lease name for holder
	// until now+ttl. It reports false if another holder's lease is live.
	AcquireGCLock(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseGCLock drops holder's lease (nothing if it is not the holder).
	ReleaseGCLock(ctx context.Context, name, holder string) error

	// CreateGCRun stores a new run and returns it with its ID.
	CreateGCRun(ctx context.Context, r GCRun) (GCRun, error)
	// UpdateGCRun saves status, counts, log and UpdatedAt of run r.ID.
	// ErrNotFound if absent.
	UpdateGCRun(ctx context.Context, r GCRun) error
	// GetGCRun returns run id, or ErrNotFound.
	GetGCRun(ctx context.Context, id int64) (GCRun, error)
	// ListGCRuns lists runs newest first, in the window.
	ListGCRuns(ctx context.Context, w Window) ([]GCRun, error)
	// CountGCRuns counts the runs.
	CountGCRuns(ctx context.Context) (int64, error)
	// LastGCRun returns the newest run of kind, or ErrNotFound.
	LastGCRun(ctx context.Context, kind string) (GCRun, error)
	// GCSchedule returns the stored schedule, or ErrNotFound if none was
	// ever set.
	GCSchedule(ctx context.Context) (GCSchedule, error)
	// SetGCSchedule stores the schedule.
	SetGCSchedule(ctx context.Context, s GCSchedule) error
}
