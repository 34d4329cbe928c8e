package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/meta"
)

// Garbage collection. The queues are filled by the triggers of migration
// 00005; each method here re-checks one entry in its own short transaction,
// locking the row it may delete first (FOR UPDATE on PostgreSQL, whose
// READ COMMITTED statements then see every commit made before the lock was
// granted; SQLite has one writer). A concurrent CommitBlob or LinkBlob
// touches the blob row (a row lock on PostgreSQL), and PutManifest locks
// the links it relies on FOR SHARE, so either the re-check sees their work
// or they see ours and fail cleanly.

// queryList runs query on the read pool and scans every row with scan.
func queryList[T any](ctx context.Context, s *Store, what, query string, scan func(*sql.Rows) (T, error), args ...any) ([]T, error) {
	rows, err := s.r.QueryContext(ctx, s.d.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	return out, nil
}

// GCLinkQueue lists queued links after the cursor.
func (s *Store) GCLinkQueue(ctx context.Context, after meta.LinkRef, limit int) ([]meta.LinkRef, error) {
	return queryList(ctx, s, "gc link queue", `SELECT repository_id, digest FROM gc_link_queue
		WHERE repository_id > ? OR (repository_id = ? AND digest > ?)
		ORDER BY repository_id, digest LIMIT ?`, func(rows *sql.Rows) (meta.LinkRef, error) {
		var l meta.LinkRef
		err := rows.Scan(&l.RepositoryID, &l.Digest)
		return l, err
	}, after.RepositoryID, after.RepositoryID, after.Digest.String(), limit)
}

// SweepLink re-checks and maybe deletes a queued link.
func (s *Store) SweepLink(ctx context.Context, l meta.LinkRef, cutoff time.Time, dryRun bool) (meta.GCVerdict, error) {
	verdict := meta.GCKeep
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var created, touched time.Time
		err := tx.QueryRowContext(ctx, s.d.q(`SELECT rb.created_at, b.last_touched
			FROM repository_blobs rb JOIN blobs b ON b.digest = rb.digest
			WHERE rb.repository_id = ? AND rb.digest = ?`+s.d.forUpdate()), l.RepositoryID, l.Digest.String()).
			Scan(timeScanner{&created}, timeScanner{&touched})
		if errors.Is(err, sql.ErrNoRows) {
			return s.dequeueLink(ctx, tx, l, dryRun)
		}
		if err != nil {
			return fmt.Errorf("lock link: %w", err)
		}
		var one int
		err = tx.QueryRowContext(ctx, s.d.q(`SELECT 1 FROM manifest_blobs mb JOIN manifests m ON m.id = mb.manifest_id
			WHERE mb.digest = ? AND m.repository_id = ? LIMIT 1`), l.Digest.String(), l.RepositoryID).Scan(&one)
		switch {
		case err == nil:
			return s.dequeueLink(ctx, tx, l, dryRun)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("check link references: %w", err)
		}
		if !created.Before(cutoff) || !touched.Before(cutoff) {
			verdict = meta.GCLater
			return nil
		}
		verdict = meta.GCCollected
		if dryRun {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.d.q(`DELETE FROM repository_blobs WHERE repository_id = ? AND digest = ?`),
			l.RepositoryID, l.Digest.String()); err != nil {
			return fmt.Errorf("delete link: %w", err)
		}
		return s.dequeueLink(ctx, tx, l, false)
	})
	if err != nil {
		return 0, fmt.Errorf("sqlstore: sweep link %d/%s: %w", l.RepositoryID, l.Digest, err)
	}
	return verdict, nil
}

func (s *Store) dequeueLink(ctx context.Context, tx *sql.Tx, l meta.LinkRef, dryRun bool) error {
	if dryRun {
		return nil
	}
	_, err := tx.ExecContext(ctx, s.d.q(`DELETE FROM gc_link_queue WHERE repository_id = ? AND digest = ?`),
		l.RepositoryID, l.Digest.String())
	if err != nil {
		return fmt.Errorf("dequeue link: %w", err)
	}
	return nil
}

// GCBlobQueue lists queued blobs after the cursor.
func (s *Store) GCBlobQueue(ctx context.Context, after digest.Digest, limit int) ([]digest.Digest, error) {
	return queryList(ctx, s, "gc blob queue", `SELECT digest FROM gc_blob_queue WHERE digest > ? ORDER BY digest LIMIT ?`,
		func(rows *sql.Rows) (digest.Digest, error) {
			var d digest.Digest
			err := rows.Scan(&d)
			return d, err
		}, after.String(), limit)
}

// MarkBlobDeleting re-checks a queued blob and marks it deleting.
func (s *Store) MarkBlobDeleting(ctx context.Context, d digest.Digest, cutoff time.Time, dryRun bool) (meta.Blob, meta.GCVerdict, error) {
	var (
		b       meta.Blob
		verdict = meta.GCKeep
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var state string
		row := tx.QueryRowContext(ctx, s.d.q(`SELECT `+blobColsBare+`, state FROM blobs WHERE digest = ?`+s.d.forUpdate()), d.String())
		err := row.Scan(&b.Digest, &b.Size, &b.Location, timeScanner{&b.CreatedAt}, timeScanner{&b.LastTouched}, &state)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && state != meta.BlobReady) {
			return s.dequeueBlob(ctx, tx, d, dryRun)
		}
		if err != nil {
			return fmt.Errorf("lock blob: %w", err)
		}
		// A dry run has deleted no dangling link: it counts as gone a link
		// that SweepLink would delete (older than the cutoff; the blob's own
		// touch is checked below).
		linked := `EXISTS (SELECT 1 FROM repository_blobs WHERE digest = ?)`
		args := []any{d.String()}
		if dryRun {
			linked = `EXISTS (SELECT 1 FROM repository_blobs WHERE digest = ? AND created_at >= ?)`
			args = append(args, s.d.ts(cutoff))
		}
		var one int
		err = tx.QueryRowContext(ctx, s.d.q(`SELECT 1 WHERE `+linked+`
			OR EXISTS (SELECT 1 FROM manifest_blobs WHERE digest = ?)`), append(args, d.String())...).Scan(&one)
		switch {
		case err == nil:
			return s.dequeueBlob(ctx, tx, d, dryRun)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("check blob references: %w", err)
		}
		if !b.LastTouched.Before(cutoff) {
			verdict = meta.GCLater
			return nil
		}
		verdict = meta.GCCollected
		if dryRun {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.d.q(`UPDATE blobs SET state = ? WHERE digest = ?`), meta.BlobDeleting, d.String()); err != nil {
			return fmt.Errorf("mark blob deleting: %w", err)
		}
		return s.dequeueBlob(ctx, tx, d, false)
	})
	if err != nil {
		return meta.Blob{}, 0, fmt.Errorf("sqlstore: mark blob %s deleting: %w", d, err)
	}
	return b, verdict, nil
}

func (s *Store) dequeueBlob(ctx context.Context, tx *sql.Tx, d digest.Digest, dryRun bool) error {
	if dryRun {
		return nil
	}
	if _, err := tx.ExecContext(ctx, s.d.q(`DELETE FROM gc_blob_queue WHERE digest = ?`), d.String()); err != nil {
		return fmt.Errorf("dequeue blob: %w", err)
	}
	return nil
}

// DeletingBlobs lists blobs in state deleting after the cursor.
func (s *Store) DeletingBlobs(ctx context.Context, after digest.Digest, limit int) ([]meta.Blob, error) {
	return queryList(ctx, s, "deleting blobs", `SELECT `+blobCols+` FROM blobs b
		WHERE b.state = ? AND b.digest > ? ORDER BY b.digest LIMIT ?`,
		func(rows *sql.Rows) (meta.Blob, error) { return scanBlob(rows) }, meta.BlobDeleting, after.String(), limit)
}

// DeleteBlobRow deletes blob d if it is still deleting.
func (s *Store) DeleteBlobRow(ctx context.Context, d digest.Digest) (bool, error) {
	res, err := s.w.ExecContext(ctx, s.d.q(`DELETE FROM blobs WHERE digest = ? AND state = ?`), d.String(), meta.BlobDeleting)
	if err != nil {
		return false, fmt.Errorf("sqlstore: delete blob row %s: %w", d, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlstore: delete blob row %s: %w", d, err)
	}
	return n > 0, nil
}

// GCManifestQueue lists queued manifest ids after the cursor.
func (s *Store) GCManifestQueue(ctx context.Context, after int64, limit int) ([]int64, error) {
	return queryList(ctx, s, "gc manifest queue", `SELECT manifest_id FROM gc_manifest_queue WHERE manifest_id > ?
		ORDER BY manifest_id LIMIT ?`, func(rows *sql.Rows) (int64, error) {
		var id int64
		err := rows.Scan(&id)
		return id, err
	}, after, limit)
}

// SweepManifest re-checks a queued manifest and deletes it if it is
// untagged, unreferenced and older than cutoff.
func (s *Store) SweepManifest(ctx context.Context, id int64, cutoff time.Time, dryRun bool) (meta.GCVerdict, string, digest.Digest, error) {
	var (
		verdict = meta.GCKeep
		repo    string
		d       digest.Digest
	)
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var (
			repoID  int64
			subject sql.NullString
			created time.Time
		)
		err := tx.QueryRowContext(ctx, s.d.q(`SELECT m.repository_id, r.name, m.digest, m.subject_digest, m.created_at
			FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE m.id = ?`+s.d.forUpdateOf("m")), id).
			Scan(&repoID, &repo, &d, &subject, timeScanner{&created})
		if errors.Is(err, sql.ErrNoRows) {
			return s.dequeueManifest(ctx, tx, id, dryRun)
		}
		if err != nil {
			return fmt.Errorf("lock manifest: %w", err)
		}
		var one int
		err = tx.QueryRowContext(ctx, s.d.q(`SELECT 1 WHERE
			EXISTS (SELECT 1 FROM tags WHERE manifest_id = ?)
			OR EXISTS (SELECT 1 FROM manifest_children c JOIN manifests p ON p.id = c.manifest_id
				WHERE c.child_digest = ? AND p.repository_id = ?)
			OR EXISTS (SELECT 1 FROM manifests sm WHERE sm.repository_id = ? AND sm.digest = ?)`),
			id, d.String(), repoID, repoID, subject.String).Scan(&one)
		switch {
		case err == nil:
			return s.dequeueManifest(ctx, tx, id, dryRun)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("check manifest references: %w", err)
		}
		// Tag history pins what RestoreTag may bring back (see
		// meta.TagHistory); pruning the history unpins, so a pinned
		// manifest stays queued. Ignoring the window keeps more, never less.
		err = tx.QueryRowContext(ctx, s.d.q(`SELECT 1 FROM tag_history h
			WHERE h.repository_id = ? AND h.old_digest = ? LIMIT 1`), repoID, d.String()).Scan(&one)
		switch {
		case err == nil:
			verdict = meta.GCLater
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("check tag history: %w", err)
		}
		if !created.Before(cutoff) {
			verdict = meta.GCLater
			return nil
		}
		verdict = meta.GCCollected
		if dryRun {
			return nil
		}
		if _, err := tx.ExecContext(ctx, s.d.q(`DELETE FROM manifests WHERE id = ?`), id); err != nil {
			return fmt.Errorf("delete manifest: %w", err)
		}
		return s.dequeueManifest(ctx, tx, id, false)
	})
	if err != nil {
		return 0, "", "", fmt.Errorf("sqlstore: sweep manifest %d: %w", id, err)
	}
	return verdict, repo, d, nil
}

func (s *Store) dequeueManifest(ctx context.Context, tx *sql.Tx, id int64, dryRun bool) error {
	if dryRun {
		return nil
	}
	if _, err := tx.ExecContext(ctx, s.d.q(`DELETE FROM gc_manifest_queue WHERE manifest_id = ?`), id); err != nil {
		return fmt.Errorf("dequeue manifest: %w", err)
	}
	return nil
}

// forUpdateOf locks only the rows of table alias a (PostgreSQL).
func (d dialect) forUpdateOf(a string) string {
	if d == dialectPostgres {
		return " FOR UPDATE OF " + a
	}
	return ""
}

// TouchBlob updates the last_touched time of a ready blob d (a HEAD by a
// pusher); nothing if there is none.
func (s *Store) TouchBlob(ctx context.Context, d digest.Digest) error {
	_, err := s.w.ExecContext(ctx, s.d.q(`UPDATE blobs SET last_touched = ? WHERE digest = ? AND state = ?`),
		s.d.ts(s.now()), d.String(), meta.BlobReady)
	if err != nil {
		return fmt.Errorf("sqlstore: touch blob %s: %w", d, err)
	}
	return nil
}

// BlobAtLocation reports whether a blob row keeps its bytes at loc.
func (s *Store) BlobAtLocation(ctx context.Context, loc string) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, s.d.q(`SELECT 1 FROM blobs WHERE location = ? AND location LIKE 'uploads/%'`), loc).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlstore: blob at %s: %w", loc, err)
	}
	return true, nil
}

// UploadExists reports whether upload session id has a row.
func (s *Store) UploadExists(ctx context.Context, id string) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, s.d.q(`SELECT 1 FROM uploads WHERE id = ?`), id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlstore: upload %s exists: %w", id, err)
	}
	return true, nil
}

// AcquireGCLock takes or renews lease name for holder.
func (s *Store) AcquireGCLock(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	now := s.now()
	res, err := s.w.ExecContext(ctx, s.d.q(`INSERT INTO gc_lock (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE gc_lock.holder = excluded.holder OR gc_lock.expires_at < ?`),
		name, holder, s.d.ts(now.Add(ttl)), s.d.ts(now))
	if err != nil {
		return false, fmt.Errorf("sqlstore: acquire gc lock: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlstore: acquire gc lock: %w", err)
	}
	return n > 0, nil
}

// ReleaseGCLock drops holder's lease.
func (s *Store) ReleaseGCLock(ctx context.Context, name, holder string) error {
	if _, err := s.w.ExecContext(ctx, s.d.q(`DELETE FROM gc_lock WHERE name = ? AND holder = ?`), name, holder); err != nil {
		return fmt.Errorf("sqlstore: release gc lock: %w", err)
	}
	return nil
}

const gcRunCols = `id, kind, status, dry_run, delete_untagged, created_at, updated_at,
	links_deleted, blobs_deleted, manifests_deleted, orphans_deleted, bytes_freed, log`

func scanGCRun(row interface{ Scan(...any) error }) (meta.GCRun, error) {
	var r meta.GCRun
	err := row.Scan(&r.ID, &r.Kind, &r.Status, &r.DryRun, &r.DeleteUntagged, timeScanner{&r.CreatedAt}, timeScanner{&r.UpdatedAt},
		&r.LinksDeleted, &r.BlobsDeleted, &r.ManifestsDeleted, &r.OrphansDeleted, &r.BytesFreed, &r.Log)
	return r, err
}

// CreateGCRun stores a new run.
func (s *Store) CreateGCRun(ctx context.Context, r meta.GCRun) (meta.GCRun, error) {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.now()
	}
	r.CreatedAt = utcMicro(r.CreatedAt)
	r.UpdatedAt = r.CreatedAt
	err := s.w.QueryRowContext(ctx, s.d.q(`INSERT INTO gc_runs (kind, status, dry_run, delete_untagged, created_at, updated_at, log)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		r.Kind, r.Status, r.DryRun, r.DeleteUntagged, s.d.ts(r.CreatedAt), s.d.ts(r.UpdatedAt), r.Log).Scan(&r.ID)
	if err != nil {
		return meta.GCRun{}, fmt.Errorf("sqlstore: create gc run: %w", err)
	}
	return r, nil
}

// UpdateGCRun saves a run's progress.
func (s *Store) UpdateGCRun(ctx context.Context, r meta.GCRun) error {
	if r.UpdatedAt.IsZero() {
		r.UpdatedAt = s.now()
	}
	res, err := s.w.ExecContext(ctx, s.d.q(`UPDATE gc_runs SET status = ?, updated_at = ?, links_deleted = ?,
		blobs_deleted = ?, manifests_deleted = ?, orphans_deleted = ?, bytes_freed = ?, log = ? WHERE id = ?`),
		r.Status, s.d.ts(r.UpdatedAt), r.LinksDeleted, r.BlobsDeleted, r.ManifestsDeleted, r.OrphansDeleted,
		r.BytesFreed, r.Log, r.ID)
	if err != nil {
		return fmt.Errorf("sqlstore: update gc run %d: %w", r.ID, err)
	}
	if err := affected(res, fmt.Sprintf("gc run %d", r.ID)); err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	return nil
}

// GetGCRun returns run id.
func (s *Store) GetGCRun(ctx context.Context, id int64) (meta.GCRun, error) {
	r, err := scanGCRun(s.r.QueryRowContext(ctx, s.d.q(`SELECT `+gcRunCols+` FROM gc_runs WHERE id = ?`), id))
	if err != nil {
		return meta.GCRun{}, fmt.Errorf("sqlstore: %w", noRows(err, fmt.Sprintf("gc run %d", id)))
	}
	return r, nil
}

// LastGCRun returns the newest run of kind.
func (s *Store) LastGCRun(ctx context.Context, kind string) (meta.GCRun, error) {
	r, err := scanGCRun(s.r.QueryRowContext(ctx, s.d.q(`SELECT `+gcRunCols+` FROM gc_runs WHERE kind = ?
		ORDER BY id DESC LIMIT 1`), kind))
	if err != nil {
		return meta.GCRun{}, fmt.Errorf("sqlstore: %w", noRows(err, "last gc run "+kind))
	}
	return r, nil
}

// ListGCRuns lists runs newest first.
func (s *Store) ListGCRuns(ctx context.Context, w meta.Window) ([]meta.GCRun, error) {
	lim, args := s.d.window(w, nil)
	return queryList(ctx, s, "list gc runs", `SELECT `+gcRunCols+` FROM gc_runs ORDER BY id DESC`+lim,
		func(rows *sql.Rows) (meta.GCRun, error) { return scanGCRun(rows) }, args...)
}

// CountGCRuns counts the runs.
func (s *Store) CountGCRuns(ctx context.Context) (int64, error) {
	n, err := s.count(ctx, `SELECT COUNT(*) FROM gc_runs`, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: count gc runs: %w", err)
	}
	return n, nil
}

// GCSchedule returns the stored schedule.
func (s *Store) GCSchedule(ctx context.Context) (meta.GCSchedule, error) {
	var g meta.GCSchedule
	err := s.r.QueryRowContext(ctx, `SELECT type, cron, delete_untagged, dry_run, updated_at FROM gc_schedule WHERE id = 1`).
		Scan(&g.Type, &g.Cron, &g.DeleteUntagged, &g.DryRun, timeScanner{&g.UpdatedAt})
	if err != nil {
		return meta.GCSchedule{}, fmt.Errorf("sqlstore: %w", noRows(err, "gc schedule"))
	}
	return g, nil
}

// SetGCSchedule stores the schedule.
func (s *Store) SetGCSchedule(ctx context.Context, g meta.GCSchedule) error {
	if g.UpdatedAt.IsZero() {
		g.UpdatedAt = s.now()
	}
	_, err := s.w.ExecContext(ctx, s.d.q(`INSERT INTO gc_schedule (id, type, cron, delete_untagged, dry_run, updated_at)
		VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET type = excluded.type, cron = excluded.cron,
		delete_untagged = excluded.delete_untagged, dry_run = excluded.dry_run, updated_at = excluded.updated_at`),
		g.Type, g.Cron, g.DeleteUntagged, g.DryRun, s.d.ts(g.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: set gc schedule: %w", err)
	}
	return nil
}
