// Package blob is the content-addressed blob store: bytes kept once by digest
// behind a driver.Driver, upload sessions (monolithic, streamed and chunked,
// resumable across restarts), cross-repository mounts, and digest
// verification while streaming. Which repository sees which blob is recorded
// in the metadata store; this package writes bytes first, durably, and only
// then commits the metadata, so nothing partial is ever visible.
package blob

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/berth-oci/berth/internal/blob/driver"
	"github.com/berth-oci/berth/internal/meta"
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
}

// New returns a Store over driver d and metadata m.
func New(d driver.Driver, m Meta, log *slog.Logger, opt Options) *Store {
	if opt.UploadTTL <= 0 {
		opt.UploadTTL = 24 * time.Hour
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Store{d: d, m: m, log: log, opt: opt}
}

// Stat returns blob d if it is linked to repo; oci.CodeBlobUnknown otherwise.
func (s *Store) Stat(ctx context.Context, repo string, d digest.Digest) (meta.Blob, error) {
	panic("unimplemented")
}

// Open returns a reader of b's bytes from offset. The reader is an *os.File
// on the filesystem driver so that io.Copy can use sendfile.
func (s *Store) Open(ctx context.Context, b meta.Blob, offset int64) (io.ReadCloser, error) {
	panic("unimplemented")
}

// Put stores a whole blob from r in one go (monolithic upload), verifying
// that the bytes hash to d and, if size >= 0, that there are size of them.
func (s *Store) Put(ctx context.Context, repo string, d digest.Digest, size int64, r io.Reader) (meta.Blob, error) {
	panic("unimplemented")
}

// StartUpload opens an upload session in repo.
func (s *Store) StartUpload(ctx context.Context, repo string) (meta.Upload, error) {
	panic("unimplemented")
}

// Upload returns the session id of repo (oci.CodeBlobUploadUnknown if none).
func (s *Store) Upload(ctx context.Context, repo, id string) (meta.Upload, error) {
	panic("unimplemented")
}

// Append writes r at offset start of session id (start < 0: at the current
// end, for streamed PATCH without Content-Range). A start other than the
// session's current offset is oci.CodeRangeInvalid (HTTP 416). If size >= 0
// the chunk must be exactly size bytes (oci.CodeSizeInvalid otherwise).
// It returns the updated session.
func (s *Store) Append(ctx context.Context, repo, id string, start, size int64, r io.Reader) (meta.Upload, error) {
	panic("unimplemented")
}

// Finish completes session id with an optional last chunk r (nil for none),
// verifies the whole content hashes to d, makes it durable and publishes it
// under its digest, links it to repo, and deletes the session.
func (s *Store) Finish(ctx context.Context, repo, id string, d digest.Digest, r io.Reader) (meta.Blob, error) {
	panic("unimplemented")
}

// Cancel aborts session id and removes its bytes.
func (s *Store) Cancel(ctx context.Context, repo, id string) error {
	panic("unimplemented")
}

// Mount links blob d, which must be linked to from, into repo.
// oci.CodeBlobUnknown if from does not have it.
func (s *Store) Mount(ctx context.Context, repo, from string, d digest.Digest) (meta.Blob, error) {
	panic("unimplemented")
}

// Delete unlinks blob d from repo (bytes stay until garbage collection).
func (s *Store) Delete(ctx context.Context, repo string, d digest.Digest) error {
	panic("unimplemented")
}

// ExpireUploads removes sessions idle for longer than the UploadTTL and their
// bytes, returning how many were removed.
func (s *Store) ExpireUploads(ctx context.Context) (int, error) {
	panic("unimplemented")
}
