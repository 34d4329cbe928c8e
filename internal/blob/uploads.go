package blob

import (
	"context"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/berth-oci/berth/internal/blob/driver"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/oci"
	"github.com/opencontainers/go-digest"
)

// Upload sessions. A session is a row in meta (offset and the marshalled
// sha256 state at that offset) plus a temporary object at uploads/<id>/data.
// The object is fsync'd before the row moves forward, so the row never
// claims bytes that could be lost; the object may hold more than the row
// says (a crash, or a broken connection, between the write and the row
// update), and the next call catches the hash up by reading those bytes.
// Any process can therefore continue any session.

const expireBatch = 100

// maxExpireBatches bounds one ExpireUploads call.
const maxExpireBatches = 1000

func uploadUnknown(id string) error {
	return oci.CodeBlobUploadUnknown.WithDetail(map[string]string{"id": id})
}

// StartUpload opens an upload session in repo.
func (s *Store) StartUpload(ctx context.Context, repo string) (meta.Upload, error) {
	id := newID()
	loc := uploadPath(id)
	w, err := s.d.Writer(ctx, loc, false)
	if err != nil {
		return meta.Upload{}, fmt.Errorf("start upload in %s: %w", repo, err)
	}
	if err := w.Commit(ctx); err != nil {
		s.removeObject(ctx, loc)
		return meta.Upload{}, fmt.Errorf("start upload in %s: %w", repo, err)
	}
	state, err := marshalHash(newSessionHash())
	if err != nil {
		s.removeObject(ctx, loc)
		return meta.Upload{}, err
	}
	now := s.opt.Now()
	u := meta.Upload{
		ID: id, Repository: repo, Location: loc,
		Algorithm: string(sessionAlgorithm), HashState: state,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.m.CreateUpload(ctx, u); err != nil {
		s.removeObject(ctx, loc)
		return meta.Upload{}, fmt.Errorf("start upload in %s: %w", repo, err)
	}
	return u, nil
}

// Upload returns the session id of repo (oci.CodeBlobUploadUnknown if none).
// Its Offset counts every durable byte of the session, including any that a
// crash left beyond the saved row (the next Append accepts them).
func (s *Store) Upload(ctx context.Context, repo, id string) (meta.Upload, error) {
	u, err := s.getUpload(ctx, repo, id)
	if err != nil {
		return meta.Upload{}, err
	}
	if info, err := s.d.Stat(ctx, u.Location); err == nil && info.Size > u.Offset {
		u.Offset = info.Size
	}
	return u, nil
}

func (s *Store) getUpload(ctx context.Context, repo, id string) (meta.Upload, error) {
	u, err := s.m.GetUpload(ctx, repo, id)
	if errors.Is(err, meta.ErrNotFound) {
		return meta.Upload{}, uploadUnknown(id)
	}
	if err != nil {
		return meta.Upload{}, fmt.Errorf("upload %s in %s: %w", id, repo, err)
	}
	return u, nil
}

// Append writes r at offset start of session id (start < 0: at the current
// end, for streamed PATCH without Content-Range). A start other than the
// session's current offset is oci.CodeRangeInvalid (HTTP 416). If size >= 0
// the chunk must be exactly size bytes (oci.CodeSizeInvalid otherwise).
// It returns the updated session.
//
// The bytes received before an error (a broken connection, a chunk longer
// or shorter than announced) are kept and counted, as a resumable upload
// needs: the client learns the new offset from the upload status.
func (s *Store) Append(ctx context.Context, repo, id string, start, size int64, r io.Reader) (meta.Upload, error) {
	defer s.sessions.lock(id)()
	u, h, err := s.loadSession(ctx, repo, id)
	if err != nil {
		return meta.Upload{}, err
	}
	if err := s.appendLocked(ctx, &u, h, start, size, r); err != nil {
		return meta.Upload{}, fmt.Errorf("upload %s: %w", id, err)
	}
	return u, nil
}

// loadSession reads session id and restores its hash at the saved offset.
func (s *Store) loadSession(ctx context.Context, repo, id string) (meta.Upload, hash.Hash, error) {
	u, err := s.getUpload(ctx, repo, id)
	if err != nil {
		return meta.Upload{}, nil, err
	}
	if u.Algorithm == string(sessionAlgorithm) && len(u.HashState) > 0 {
		h, err := unmarshalHash(u.HashState)
		if err == nil {
			return u, h, nil
		}
		s.log.WarnContext(ctx, "unusable upload hash state; rehashing", "upload", id, "err", err)
	}
	// No usable state (an older row, another algorithm): rehash the bytes
	// the row vouches for.
	h := newSessionHash()
	if u.Offset > 0 {
		if err := s.hashObject(ctx, h, u.Location, 0, u.Offset); err != nil {
			return meta.Upload{}, nil, fmt.Errorf("upload %s: rehash: %w", id, err)
		}
	}
	return u, h, nil
}

// hashObject feeds n bytes of the object at loc, from offset, into h.
func (s *Store) hashObject(ctx context.Context, h hash.Hash, loc string, offset, n int64) error {
	rd, err := s.d.Reader(ctx, loc, offset)
	if err != nil {
		return err
	}
	defer rd.Close()
	return hashN(h, rd, n)
}

// catchUp brings u and h up to the object's real size when the object holds
// bytes the row does not count yet, and reports whether it did.
func (s *Store) catchUp(ctx context.Context, u *meta.Upload, h hash.Hash) (bool, error) {
	info, err := s.d.Stat(ctx, u.Location)
	if errors.Is(err, driver.ErrNotFound) {
		s.log.ErrorContext(ctx, "upload object missing", "upload", u.ID, "location", u.Location)
		return false, uploadUnknown(u.ID)
	}
	if err != nil {
		return false, err
	}
	switch {
	case info.Size == u.Offset:
		return false, nil
	case info.Size < u.Offset:
		return false, fmt.Errorf("object holds %d bytes but the session counts %d", info.Size, u.Offset)
	}
	if err := s.hashObject(ctx, h, u.Location, u.Offset, info.Size-u.Offset); err != nil {
		return false, fmt.Errorf("catch up: %w", err)
	}
	s.log.InfoContext(ctx, "upload caught up with stored bytes", "upload", u.ID, "from", u.Offset, "to", info.Size)
	u.Offset = info.Size
	return true, nil
}

// appendLocked appends one chunk to session u (locked by the caller) and
// saves the session, updating u and h.
func (s *Store) appendLocked(ctx context.Context, u *meta.Upload, h hash.Hash, start, size int64, r io.Reader) error {
	prev := u.Offset
	caught, err := s.catchUp(ctx, u, h)
	if err != nil {
		return err
	}
	if caught {
		// Save it now, so that a refused chunk below still leaves a row
		// whose offset the client can resume from.
		if err := s.saveSession(ctx, u, h, prev); err != nil {
			return err
		}
		prev = u.Offset
	}
	if start >= 0 && start != u.Offset {
		return oci.CodeRangeInvalid.WithMessage("chunk starts at %d but the upload is at %d", start, u.Offset)
	}
	w, err := s.d.Writer(ctx, u.Location, true)
	if errors.Is(err, driver.ErrNotFound) {
		return uploadUnknown(u.ID)
	}
	if err != nil {
		return err
	}
	if w.Size() != prev {
		w.Close()
		return concurrentWrite(prev)
	}
	n, cerr := copyHashed(ctx, w, h, r, size)
	// From here on the request may be gone, but what was received is
	// committed and counted, so the client can resume after it.
	ctx = context.WithoutCancel(ctx)
	if err := w.Commit(ctx); err != nil {
		return errors.Join(cerr, fmt.Errorf("commit chunk: %w", err))
	}
	// Another process writing the same session would have appended to the
	// object too; the size tells, and then the row must not move.
	info, err := s.d.Stat(ctx, u.Location)
	if err != nil {
		return errors.Join(cerr, err)
	}
	if info.Size != prev+n {
		return concurrentWrite(prev)
	}
	u.Offset = prev + n
	if err := s.saveSession(ctx, u, h, prev); err != nil {
		return errors.Join(cerr, err)
	}
	return cerr
}

func concurrentWrite(offset int64) error {
	return oci.CodeRangeInvalid.WithMessage("another chunk was written concurrently at offset %d", offset)
}

// saveSession stores u's offset and h's state if the row is still at prev.
func (s *Store) saveSession(ctx context.Context, u *meta.Upload, h hash.Hash, prev int64) error {
	state, err := marshalHash(h)
	if err != nil {
		return err
	}
	u.Algorithm = string(sessionAlgorithm)
	u.HashState = state
	u.UpdatedAt = s.opt.Now()
	err = s.m.UpdateUpload(ctx, *u, prev)
	switch {
	case errors.Is(err, meta.ErrConflict):
		return concurrentWrite(prev)
	case errors.Is(err, meta.ErrNotFound):
		return uploadUnknown(u.ID)
	case err != nil:
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// Finish completes session id with an optional last chunk r (nil for none),
// verifies the whole content hashes to d, makes it durable and publishes it
// under its digest, links it to repo, and deletes the session. If the
// content does not hash to d, it is oci.CodeDigestInvalid and the session
// and its bytes are removed.
func (s *Store) Finish(ctx context.Context, repo, id string, d digest.Digest, r io.Reader) (meta.Blob, error) {
	if err := checkDigest(d); err != nil {
		return meta.Blob{}, err
	}
	defer s.sessions.lock(id)()
	u, h, err := s.loadSession(ctx, repo, id)
	if err != nil {
		return meta.Blob{}, err
	}
	if r != nil {
		err = s.appendLocked(ctx, &u, h, -1, -1, r)
	} else {
		_, err = s.catchUp(ctx, &u, h)
	}
	if err != nil {
		return meta.Blob{}, fmt.Errorf("finish upload %s: %w", id, err)
	}
	got, err := s.sessionDigest(ctx, u, h, d.Algorithm())
	if err != nil {
		return meta.Blob{}, fmt.Errorf("finish upload %s: %w", id, err)
	}
	// Claim the session: from here it is ours alone, whatever the outcome.
	if err := s.m.DeleteUpload(context.WithoutCancel(ctx), repo, id); errors.Is(err, meta.ErrNotFound) {
		return meta.Blob{}, uploadUnknown(id)
	} else if err != nil {
		return meta.Blob{}, fmt.Errorf("finish upload %s: %w", id, err)
	}
	if got != d {
		s.removeObject(ctx, u.Location)
		return meta.Blob{}, digestMismatch(got, d)
	}
	return s.publish(ctx, repo, d, u.Offset, u.Location)
}

// sessionDigest returns the digest of the session's content with algorithm
// alg: from the session hash for sha256, else by reading the object once.
func (s *Store) sessionDigest(ctx context.Context, u meta.Upload, h hash.Hash, alg digest.Algorithm) (digest.Digest, error) {
	if alg == sessionAlgorithm {
		return digest.NewDigest(alg, h), nil
	}
	var other hash.Hash
	switch alg {
	case digest.SHA512:
		other = sha512.New()
	default:
		return "", oci.CodeDigestInvalid.WithMessage("unsupported digest algorithm %q", alg)
	}
	if err := s.hashObject(ctx, other, u.Location, 0, u.Offset); err != nil {
		return "", fmt.Errorf("hash with %s: %w", alg, err)
	}
	return digest.NewDigest(alg, other), nil
}

// Cancel aborts session id and removes its bytes.
// oci.CodeBlobUploadUnknown if there is no such session.
func (s *Store) Cancel(ctx context.Context, repo, id string) error {
	defer s.sessions.lock(id)()
	u, err := s.getUpload(ctx, repo, id)
	if err != nil {
		return err
	}
	if err := s.m.DeleteUpload(ctx, repo, id); errors.Is(err, meta.ErrNotFound) {
		return uploadUnknown(id)
	} else if err != nil {
		return fmt.Errorf("cancel upload %s: %w", id, err)
	}
	s.removeObject(ctx, u.Location)
	return nil
}

// ExpireUploads removes sessions idle for longer than the UploadTTL and their
// bytes, returning how many were removed.
func (s *Store) ExpireUploads(ctx context.Context) (int, error) {
	before := s.opt.Now().Add(-s.opt.UploadTTL)
	removed := 0
	for range maxExpireBatches {
		us, err := s.m.ExpiredUploads(ctx, before, expireBatch)
		if err != nil {
			return removed, fmt.Errorf("expire uploads: %w", err)
		}
		progress := 0
		for _, u := range us {
			// Deleting the row claims the session; only then its bytes go.
			err := s.m.DeleteUpload(ctx, u.Repository, u.ID)
			if errors.Is(err, meta.ErrNotFound) {
				continue // finished or cancelled meanwhile
			}
			if err != nil {
				return removed, fmt.Errorf("expire upload %s: %w", u.ID, err)
			}
			s.removeObject(ctx, u.Location)
			removed++
			progress++
		}
		if len(us) < expireBatch || progress == 0 {
			break
		}
	}
	return removed, nil
}
