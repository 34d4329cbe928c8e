package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/berth-oci/berth/internal/blob/driver"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/oci"
	"github.com/opencontainers/go-digest"
)

// Meta is what the blob store needs from the metadata store.
type Meta interface {
	meta.Blobs
	meta.Uploads
}

// Options tune the store.
type Options struct {
	// UploadTTL is how long an idle upload session lives (default 24h).
	UploadTTL time.Duration
	// Now returns the current time (tests); default time.Now.
	Now func() time.Time
	// TouchAfter: a Stat (HEAD, GET) of a blob whose LastTouched is older
	// than this touches it again, so that a blob a pusher confirmed by HEAD
	// survives garbage collection for the grace period (set it to half the
	// grace period). 0 never touches. Needs a Meta with TouchBlob.
	TouchAfter time.Duration
}

// toucher is the optional capability Stat uses to touch blobs.
type toucher interface {
	TouchBlob(ctx context.Context, d digest.Digest) error
}

// Store is the blob store. All errors it returns that a client caused are
// oci codes (oci.CodeBlobUnknown, oci.CodeBlobUploadUnknown,
// oci.CodeDigestInvalid, oci.CodeSizeInvalid, oci.CodeRangeInvalid for an
// out-of-order chunk), so transports can render them directly.
type Store struct {
	d   driver.Driver
	m   Meta
	log *slog.Logger
	opt Options
	// sessions serialises Append, Finish and Cancel of one session in this
	// process. Replicas rely on the offset compare-and-swap in the session
	// row and on the object size check after each chunk (see Append).
	sessions keyedMutex
}

// New returns a Store over driver d and metadata m.
func New(d driver.Driver, m Meta, log *slog.Logger, opt Options) *Store {
	if opt.UploadTTL <= 0 {
		opt.UploadTTL = 24 * time.Hour
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Store{d: d, m: m, log: log, opt: opt}
}

// Storage layout: published blobs under blobsDir by digest, upload sessions
// (and monolithic uploads in flight) under uploadsDir by id.
const (
	blobsDir   = "blobs"
	uploadsDir = "uploads"
)

// blobPath is where a published blob lives: blobs/<alg>/<2 hex>/<hex>.
func blobPath(d digest.Digest) string { return blobsDir + "/" + oci.BlobPath(d) }

// uploadPath is the temporary object of session id: uploads/<id>/data.
func uploadPath(id string) string { return uploadsDir + "/" + id + "/data" }

func blobUnknown(d digest.Digest) error {
	return oci.CodeBlobUnknown.WithDetail(map[string]string{"digest": d.String()})
}

// Stat returns blob d if it is linked to repo; oci.CodeBlobUnknown otherwise.
func (s *Store) Stat(ctx context.Context, repo string, d digest.Digest) (meta.Blob, error) {
	b, err := s.m.RepoBlob(ctx, repo, d)
	if errors.Is(err, meta.ErrNotFound) {
		return meta.Blob{}, blobUnknown(d)
	}
	if err != nil {
		return meta.Blob{}, fmt.Errorf("stat blob %s in %s: %w", d, repo, err)
	}
	if t, ok := s.m.(toucher); ok && s.opt.TouchAfter > 0 && s.opt.Now().Sub(b.LastTouched) > s.opt.TouchAfter {
		// Rare (once per TouchAfter per blob), so it costs no write per HEAD.
		if err := t.TouchBlob(ctx, d); err != nil {
			s.log.WarnContext(ctx, "touch blob", "digest", d, "err", err)
		}
	}
	return b, nil
}

// Open returns a reader of b's bytes from offset. The reader is an *os.File
// on the filesystem driver so that io.Copy can use sendfile. If the bytes are
// missing (the metadata names a location that is gone) it logs that and
// returns oci.CodeBlobUnknown.
func (s *Store) Open(ctx context.Context, b meta.Blob, offset int64) (io.ReadCloser, error) {
	loc := b.Location
	if loc == "" {
		loc = blobPath(b.Digest)
	}
	rc, err := s.d.Reader(ctx, loc, offset)
	if errors.Is(err, driver.ErrNotFound) {
		s.log.ErrorContext(ctx, "blob bytes missing", "digest", b.Digest, "location", loc)
		return nil, blobUnknown(b.Digest)
	}
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", b.Digest, err)
	}
	return rc, nil
}

// Mount links blob d, which must be linked to from, into repo.
// oci.CodeBlobUnknown if from does not have it.
func (s *Store) Mount(ctx context.Context, repo, from string, d digest.Digest) (meta.Blob, error) {
	b, err := s.m.RepoBlob(ctx, from, d)
	if errors.Is(err, meta.ErrNotFound) {
		return meta.Blob{}, blobUnknown(d)
	}
	if err != nil {
		return meta.Blob{}, fmt.Errorf("mount blob %s from %s: %w", d, from, err)
	}
	if repo == from {
		return b, nil
	}
	b, err = s.m.LinkBlob(ctx, repo, d)
	if errors.Is(err, meta.ErrNotFound) {
		return meta.Blob{}, blobUnknown(d) // collected since we looked
	}
	if err != nil {
		return meta.Blob{}, fmt.Errorf("mount blob %s into %s: %w", d, repo, err)
	}
	return b, nil
}

// Delete unlinks blob d from repo (bytes stay until garbage collection).
// oci.CodeBlobUnknown if d is not linked to repo.
func (s *Store) Delete(ctx context.Context, repo string, d digest.Digest) error {
	err := s.m.UnlinkBlob(ctx, repo, d)
	if errors.Is(err, meta.ErrNotFound) {
		return blobUnknown(d)
	}
	if err != nil {
		return fmt.Errorf("delete blob %s in %s: %w", d, repo, err)
	}
	return nil
}

// removeObject deletes an object that is no longer wanted. It is cleanup: it
// runs even if the request was cancelled, and a failure is only logged (the
// object is then an orphan for the sweeper).
func (s *Store) removeObject(ctx context.Context, path string) {
	err := s.d.Delete(context.WithoutCancel(ctx), path)
	if err != nil && !errors.Is(err, driver.ErrNotFound) {
		s.log.WarnContext(ctx, "remove object", "path", path, "err", err)
	}
}
