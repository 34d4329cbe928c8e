package blob

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/berth-oci/berth/internal/blob/driver"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/oci"
	"github.com/opencontainers/go-digest"
)

// Put stores a whole blob from r in one go (monolithic upload), verifying
// that the bytes hash to d and, if size >= 0, that there are size of them.
// The bytes are streamed to a temporary object under uploads/ and hashed on
// the way (with d's own algorithm); nothing is kept in memory.
func (s *Store) Put(ctx context.Context, repo string, d digest.Digest, size int64, r io.Reader) (meta.Blob, error) {
	if err := checkDigest(d); err != nil {
		return meta.Blob{}, err
	}
	tmp := uploadPath(newID())
	w, err := s.d.Writer(ctx, tmp, false)
	if err != nil {
		return meta.Blob{}, fmt.Errorf("put blob %s: %w", d, err)
	}
	h := d.Algorithm().Hash()
	n, err := copyHashed(ctx, w, h, r, size)
	if err != nil {
		if cerr := w.Cancel(context.WithoutCancel(ctx)); cerr != nil {
			s.log.WarnContext(ctx, "cancel upload object", "path", tmp, "err", cerr)
		}
		return meta.Blob{}, fmt.Errorf("put blob %s: %w", d, err)
	}
	if err := w.Commit(ctx); err != nil {
		s.removeObject(ctx, tmp)
		return meta.Blob{}, fmt.Errorf("put blob %s: %w", d, err)
	}
	if got := digest.NewDigest(d.Algorithm(), h); got != d {
		s.removeObject(ctx, tmp)
		return meta.Blob{}, digestMismatch(got, d)
	}
	return s.publish(ctx, repo, d, n, tmp)
}

func digestMismatch(got, want digest.Digest) error {
	return oci.CodeDigestInvalid.WithMessage("content hashes to %s, not %s", got, want)
}

// publish makes verified, durable bytes at tmp the blob d of repo.
//
// If the blob is already stored, tmp is only a duplicate. Otherwise a driver
// that can rename moves tmp to the digest path (atomic and durable when Move
// returns); one that cannot leaves the bytes at tmp and the blob row records
// that location. Then one metadata transaction records the blob and links it
// to repo; if a concurrent upload of the same digest won that race, our copy
// is removed. The bytes are durable before the row is committed, so an
// acknowledged blob survives a crash, and only whole, verified bytes ever sit
// under a digest path.
//
// publish runs to the end even if the client goes away: the session was
// already claimed and the work is bounded.
func (s *Store) publish(ctx context.Context, repo string, d digest.Digest, size int64, tmp string) (meta.Blob, error) {
	ctx = context.WithoutCancel(ctx)
	loc := tmp
	_, err := s.m.GetBlob(ctx, d)
	switch {
	case err == nil:
		// Already stored: CommitBlob keeps the existing row, ours goes below.
	case errors.Is(err, meta.ErrNotFound):
		if mv, ok := s.d.(driver.Mover); ok {
			dst := blobPath(d)
			if err := mv.Move(ctx, tmp, dst); err != nil {
				s.removeObject(ctx, tmp)
				return meta.Blob{}, fmt.Errorf("publish blob %s: %w", d, err)
			}
			loc = dst
		}
	default:
		s.removeObject(ctx, tmp)
		return meta.Blob{}, fmt.Errorf("publish blob %s: %w", d, err)
	}
	now := s.opt.Now()
	stored, existed, err := s.m.CommitBlob(ctx, repo, meta.Blob{
		Digest: d, Size: size, Location: loc, CreatedAt: now, LastTouched: now,
	})
	if err != nil {
		if loc == tmp {
			s.removeObject(ctx, tmp)
		}
		// Bytes moved to the digest path stay: they are whole and verified,
		// and the next upload of d replaces them or the sweeper takes them.
		if errors.Is(err, meta.ErrNotFound) {
			// The garbage collector is deleting the very path our copy
			// went to (possible only with a grace period near zero): the
			// client uploads again.
			return meta.Blob{}, blobUnknown(d)
		}
		return meta.Blob{}, fmt.Errorf("publish blob %s in %s: %w", d, repo, err)
	}
	if existed && stored.Location != loc {
		s.removeObject(ctx, loc)
	}
	return stored, nil
}
