// Package meta defines the registry's metadata records (repositories, blobs,
// repository->blob links, manifests and their edges, tags, upload sessions;
// projects, users, memberships, robot accounts, access tokens, the audit log
// and pull statistics) and the store interfaces that hold them, one small
// interface per aggregate. The metadata store is the source of
// truth for the repository -> manifest -> blob graph; blob storage holds only
// content-addressed bytes. Implementations live in meta/sqlstore and are
// checked by the conformance suite in meta/metatest.
//
// Tags are guarded and remembered by the store itself: every creation, move
// and deletion of a tag is checked against the project's immutability rules
// (ImmutableRules; *ImmutableTagError) and recorded in the tag history
// (TagHistory), in the same transaction as the change. Garbage collection
// must keep the manifests the history pins: those a tag was moved or deleted
// away from inside the history window, which TagHistory.RestoreTag can bring
// back (see TagHistory for the SQL condition and its index).
package meta

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
)

// Sentinel errors every Store implementation returns (wrapped with %w).
var (
	// ErrNotFound: the record does not exist (or is not visible in that repository).
	ErrNotFound = errors.New("meta: not found")
	// ErrConflict: the write conflicts with the current state.
	ErrConflict = errors.New("meta: conflict")
	// ErrMissingReference: a manifest names a blob or child manifest that is
	// not present in its repository. The concrete error is *MissingReferenceError.
	ErrMissingReference = errors.New("meta: manifest references unknown content")
	// ErrInvalid: the record breaks a rule the store enforces (an empty
	// name, an unknown role or level...). Callers validate input first; this
	// is the store's last line.
	ErrInvalid = errors.New("meta: invalid record")
)

// MissingReferenceError says which reference of a manifest is missing.
type MissingReferenceError struct {
	Digest digest.Digest
}

func (e *MissingReferenceError) Error() string {
	return fmt.Sprintf("meta: manifest references unknown content %s", e.Digest)
}

// Unwrap makes errors.Is(err, ErrMissingReference) true.
func (e *MissingReferenceError) Unwrap() error { return ErrMissingReference }

// Blob is a stored blob: bytes identified by digest, kept once however many
// repositories link it.
type Blob struct {
	Digest      digest.Digest
	Size        int64
	Location    string // driver path where the bytes live
	CreatedAt   time.Time
	LastTouched time.Time
}

// Upload is a resumable blob upload session.
type Upload struct {
	ID         string
	Repository string
	Location   string // driver path of the temporary object
	Offset     int64  // bytes received and hashed so far
	Algorithm  string // digest algorithm the hash state belongs to ("sha256")
	HashState  []byte // marshalled hash state (encoding.BinaryMarshaler) at Offset
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Manifest is a manifest or index stored in one repository.
type Manifest struct {
	Repository   string
	Digest       digest.Digest
	MediaType    string
	ArtifactType string
	Size         int64
	Payload      []byte
	Subject      digest.Digest // "" when the manifest has no subject
	Annotations  map[string]string
	Blobs        []digest.Digest // config and layers: must be linked to the repository
	Children     []digest.Digest // manifests of an index: must exist in the repository
	CreatedAt    time.Time
}

// Descriptor is an entry of a referrers list.
type Descriptor struct {
	MediaType    string
	Digest       digest.Digest
	Size         int64
	ArtifactType string
	Annotations  map[string]string
}

// Page asks for at most N entries strictly after Last, in lexical (byte) order.
// N <= 0 means no limit.
type Page struct {
	Last string
	N    int
}

// Blobs holds blob rows and repository->blob links.
type Blobs interface {
	// GetBlob returns the blob with digest d whatever repository links it,
	// or ErrNotFound.
	GetBlob(ctx context.Context, d digest.Digest) (Blob, error)
	// RepoBlob returns the blob d if it is linked to repo, or ErrNotFound.
	RepoBlob(ctx context.Context, repo string, d digest.Digest) (Blob, error)
	// CommitBlob records blob b and links it to repo (creating the repository
	// row if needed), in one transaction. If a blob with the same digest is
	// already stored, the existing row is kept (its LastTouched is updated)
	// and returned with existed == true, so the caller can discard its copy.
	CommitBlob(ctx context.Context, repo string, b Blob) (stored Blob, existed bool, err error)
	// LinkBlob links an already stored blob to repo (a cross-repository
	// mount), creating the repository if needed. ErrNotFound if no blob d.
	LinkBlob(ctx context.Context, repo string, d digest.Digest) (Blob, error)
	// UnlinkBlob removes the link between repo and d; the bytes stay until
	// garbage collection. ErrNotFound if d is not linked to repo.
	UnlinkBlob(ctx context.Context, repo string, d digest.Digest) error
}

// Uploads holds upload sessions.
type Uploads interface {
	// CreateUpload stores a new session. ErrConflict if the ID exists.
	CreateUpload(ctx context.Context, u Upload) error
	// GetUpload returns session id of repo, or ErrNotFound.
	GetUpload(ctx context.Context, repo, id string) (Upload, error)
	// UpdateUpload saves Offset, HashState and UpdatedAt of a session if its
	// stored Offset still equals prevOffset; ErrConflict otherwise (a
	// concurrent chunk won); ErrNotFound if the session is gone.
	UpdateUpload(ctx context.Context, u Upload, prevOffset int64) error
	// DeleteUpload removes a session. ErrNotFound if absent.
	DeleteUpload(ctx context.Context, repo, id string) error
	// ExpiredUploads lists up to limit sessions not updated since before.
	ExpiredUploads(ctx context.Context, before time.Time, limit int) ([]Upload, error)
}

// Manifests holds manifests, their edges, and tags.
type Manifests interface {
	// PutManifest stores m in m.Repository and, if tag != "", points tag at it,
	// in one transaction. Every digest in m.Blobs must be linked to the
	// repository and every digest in m.Children stored in it, else
	// *MissingReferenceError. Putting a manifest that exists is idempotent
	// (the tag still moves).
	PutManifest(ctx context.Context, m Manifest, tag string) error
	// GetManifest returns manifest d of repo, or ErrNotFound.
	GetManifest(ctx context.Context, repo string, d digest.Digest) (Manifest, error)
	// ResolveTag returns the manifest tag points at, or ErrNotFound.
	ResolveTag(ctx context.Context, repo, tag string) (Manifest, error)
	// DeleteManifest removes manifest d from repo and every tag pointing at
	// it. ErrNotFound if absent.
	DeleteManifest(ctx context.Context, repo string, d digest.Digest) error
	// DeleteTag removes a tag (not the manifest). ErrNotFound if absent.
	DeleteTag(ctx context.Context, repo, tag string) error
	// ListTags lists the tags of repo in byte order. ErrNotFound if the
	// repository does not exist.
	ListTags(ctx context.Context, repo string, p Page) ([]string, error)
	// ListRepositories lists repositories holding at least one manifest, in
	// byte order.
	ListRepositories(ctx context.Context, p Page) ([]string, error)
	// Referrers lists the manifests of repo whose subject is d, optionally
	// only those with the given artifactType, ordered by digest.
	Referrers(ctx context.Context, repo string, d digest.Digest, artifactType string) ([]Descriptor, error)
	// RepositoryExists reports whether repo has a row.
	RepositoryExists(ctx context.Context, repo string) (bool, error)
}

// Counts are totals for metrics.
type Counts struct {
	Repositories int64
	Manifests    int64
	Blobs        int64
	BlobBytes    int64
	Uploads      int64 // open upload sessions
}

// Store is the whole metadata store. Consumers should depend on the small
// interfaces they use (Manifests, Projects, Members...), not on Store.
type Store interface {
	Blobs
	Uploads
	Manifests
	Repositories
	Artifacts
	Projects
	Users
	Members
	Robots
	AccessTokens
	Audit
	Stats
	ImmutableRules
	TagHistory
	GC
	// Counts returns totals for metrics.
	Counts(ctx context.Context) (Counts, error)
	// Ping checks the database is reachable.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}
