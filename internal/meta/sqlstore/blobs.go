package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

const (
	blobCols     = `b.digest, b.size, b.location, b.created_at, b.last_touched`
	blobColsBare = `digest, size, location, created_at, last_touched`

	qRepoBlob = `SELECT ` + blobCols + `
		FROM repositories r
		JOIN repository_blobs rb ON rb.repository_id = r.id AND rb.digest = ?
		JOIN blobs b ON b.digest = rb.digest
		WHERE r.name = ?`
)

func scanBlob(row interface{ Scan(...any) error }) (meta.Blob, error) {
	var b meta.Blob
	err := row.Scan(&b.Digest, &b.Size, &b.Location, timeScanner{&b.CreatedAt}, timeScanner{&b.LastTouched})
	return b, err
}

// GetBlob returns the blob with digest d whatever repository links it, or
// meta.ErrNotFound.
func (s *Store) GetBlob(ctx context.Context, d digest.Digest) (meta.Blob, error) {
	b, err := scanBlob(s.r.QueryRowContext(ctx, s.d.q(`SELECT `+blobCols+` FROM blobs b WHERE b.digest = ?`), d.String()))
	if errors.Is(err, sql.ErrNoRows) {
		return meta.Blob{}, fmt.Errorf("sqlstore: blob %s: %w", d, meta.ErrNotFound)
	}
	if err != nil {
		return meta.Blob{}, fmt.Errorf("sqlstore: get blob %s: %w", d, err)
	}
	return b, nil
}

// RepoBlob returns blob d if it is linked to repo, or meta.ErrNotFound. It is
// one query over the repositories name index and two primary keys.
func (s *Store) RepoBlob(ctx context.Context, repo string, d digest.Digest) (meta.Blob, error) {
	b, err := scanBlob(s.repoBlob.QueryRowContext(ctx, d.String(), repo))
	if errors.Is(err, sql.ErrNoRows) {
		return meta.Blob{}, fmt.Errorf("sqlstore: blob %s in %s: %w", d, repo, meta.ErrNotFound)
	}
	if err != nil {
		return meta.Blob{}, fmt.Errorf("sqlstore: get blob %s in %s: %w", d, repo, err)
	}
	return b, nil
}

// CommitBlob records blob b and links it to repo in one transaction. If the
// digest is already stored, the existing row is kept, its last_touched
// updated, and it is returned with existed == true; if a collector marked it
// deleting, it is revived with b's location (see touchOrRevive). Concurrent commits of the
// same digest all succeed: ON CONFLICT DO NOTHING makes the losers wait for
// the winner's commit (PostgreSQL) or run after it (SQLite's single writer).
func (s *Store) CommitBlob(ctx context.Context, repo string, b meta.Blob) (meta.Blob, bool, error) {
	var (
		stored  meta.Blob
		existed bool
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// Lock order everywhere: repository row, then blob row, then link.
		repoID, err := s.ensureRepo(ctx, tx, repo)
		if err != nil {
			return err
		}
		now := utcMicro(s.now())
		res, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO blobs (digest, size, location, created_at, last_touched)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING`),
			b.Digest, b.Size, b.Location, s.d.ts(now), s.d.ts(now))
		if err != nil {
			return fmt.Errorf("insert blob: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("insert blob: %w", err)
		}
		existed = n == 0
		if existed {
			stored, err = s.touchOrRevive(ctx, tx, b)
			if err != nil {
				return err
			}
		} else {
			stored = meta.Blob{Digest: b.Digest, Size: b.Size, Location: b.Location}
			stored.CreatedAt, stored.LastTouched = now, now
		}
		return s.link(ctx, tx, repoID, b.Digest)
	})
	if err != nil {
		return meta.Blob{}, false, fmt.Errorf("sqlstore: commit blob %s to %s: %w", b.Digest, repo, err)
	}
	return stored, existed, nil
}

// touchBlob updates last_touched of blob d (locking its row on PostgreSQL)
// and returns it with its state; ErrNotFound if there is no such blob.
func (s *Store) touchBlob(ctx context.Context, tx execer, d digest.Digest) (meta.Blob, string, error) {
	var (
		b     meta.Blob
		state string
	)
	err := tx.QueryRowContext(ctx, s.d.q(`UPDATE blobs SET last_touched = ? WHERE digest = ?
		RETURNING `+blobColsBare+`, state`), s.d.ts(s.now()), d).
		Scan(&b.Digest, &b.Size, &b.Location, timeScanner{&b.CreatedAt}, timeScanner{&b.LastTouched}, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return meta.Blob{}, "", fmt.Errorf("blob %s: %w", d, meta.ErrNotFound)
	}
	if err != nil {
		return meta.Blob{}, "", fmt.Errorf("touch blob %s: %w", d, err)
	}
	return b, state, nil
}

// touchOrRevive touches the stored blob b.Digest for a commit of a fresh
// copy of its bytes at b.Location. If a collector has marked the blob
// deleting, its bytes may already be gone: the row is revived with the
// fresh copy's location (the collector deletes the old location, then only
// a row still marked deleting). A fresh copy at the very location being
// deleted cannot be saved: that is ErrNotFound, and the client uploads again.
func (s *Store) touchOrRevive(ctx context.Context, tx execer, b meta.Blob) (meta.Blob, error) {
	stored, state, err := s.touchBlob(ctx, tx, b.Digest)
	if err != nil || state != meta.BlobDeleting {
		return stored, err
	}
	if stored.Location == b.Location {
		return meta.Blob{}, fmt.Errorf("blob %s is being garbage collected: %w", b.Digest, meta.ErrNotFound)
	}
	if _, err := tx.ExecContext(ctx, s.d.q(`UPDATE blobs SET state = ?, location = ?, size = ? WHERE digest = ?`),
		meta.BlobReady, b.Location, b.Size, b.Digest); err != nil {
		return meta.Blob{}, fmt.Errorf("revive blob %s: %w", b.Digest, err)
	}
	s.log.Info("sqlstore: revived a blob being garbage collected", "digest", b.Digest, "location", b.Location)
	stored.Location, stored.Size = b.Location, b.Size
	return stored, nil
}

// link links blob d to repository repoID if it is not already.
func (s *Store) link(ctx context.Context, tx execer, repoID int64, d digest.Digest) error {
	_, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO repository_blobs (repository_id, digest, created_at)
		VALUES (?, ?, ?) ON CONFLICT (repository_id, digest) DO NOTHING`), repoID, d, s.d.ts(s.now()))
	if err != nil {
		return fmt.Errorf("link blob %s: %w", d, err)
	}
	return nil
}

// LinkBlob links an already stored blob to repo (a cross-repository mount),
// creating the repository if needed. meta.ErrNotFound if there is no blob d
// or a collector has marked it deleting; the repository is then not created
// (or, for a deleting blob, the transaction rolls back).
func (s *Store) LinkBlob(ctx context.Context, repo string, d digest.Digest) (meta.Blob, error) {
	var b meta.Blob
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// Check without locking first, so that a missing blob does not create
		// the repository, then keep the lock order repository -> blob.
		var one int
		err := tx.QueryRowContext(ctx, s.d.q(`SELECT 1 FROM blobs WHERE digest = ?`), d).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("blob %s: %w", d, meta.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("find blob %s: %w", d, err)
		}
		repoID, err := s.ensureRepo(ctx, tx, repo)
		if err != nil {
			return err
		}
		var state string
		if b, state, err = s.touchBlob(ctx, tx, d); err != nil {
			return err
		}
		if state == meta.BlobDeleting {
			// Its bytes may be gone already: the client uploads them again.
			return fmt.Errorf("blob %s is being garbage collected: %w", d, meta.ErrNotFound)
		}
		return s.link(ctx, tx, repoID, d)
	})
	if err != nil {
		return meta.Blob{}, fmt.Errorf("sqlstore: link blob %s to %s: %w", d, repo, err)
	}
	return b, nil
}

// UnlinkBlob removes the link between repo and d. meta.ErrNotFound if d is
// not linked to repo. The blob row stays for garbage collection.
func (s *Store) UnlinkBlob(ctx context.Context, repo string, d digest.Digest) error {
	res, err := s.w.ExecContext(ctx, s.d.q(`DELETE FROM repository_blobs
		WHERE repository_id = (SELECT id FROM repositories WHERE name = ?) AND digest = ?`), repo, d)
	if err != nil {
		return fmt.Errorf("sqlstore: unlink blob %s from %s: %w", d, repo, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlstore: unlink blob %s from %s: %w", d, repo, err)
	} else if n == 0 {
		return fmt.Errorf("sqlstore: blob %s in %s: %w", d, repo, meta.ErrNotFound)
	}
	return nil
}
