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

var _ meta.TagHistory = (*Store)(nil)

// historyPinned is the condition, over manifests aliased alias, that keeps
// a manifest from garbage collection because the tag history pins it (see
// meta.TagHistory): some change at or after the cutoff, its one argument,
// moved or deleted a tag of the manifest's repository away from it. The
// index tag_history_pinned serves it.
func historyPinned(alias string) string {
	return `EXISTS (SELECT 1 FROM tag_history h WHERE h.repository_id = ` + alias + `.repository_id
		AND h.old_digest = ` + alias + `.digest AND h.changed_at >= ?)`
}

// nullDigest encodes d, or NULL when it is "".
func nullDigest(d digest.Digest) any {
	if d == "" {
		return nil
	}
	return d.String()
}

// recordTagChange writes one history row in tx; the actor comes from ctx.
func (s *Store) recordTagChange(ctx context.Context, tx *sql.Tx, repoID int64, tag string, old, new digest.Digest) error {
	_, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO tag_history (repository_id, tag, old_digest, new_digest, actor, changed_at)
		VALUES (?, ?, ?, ?, ?, ?)`), repoID, tag, nullDigest(old), nullDigest(new), meta.ActorFrom(ctx), s.d.ts(s.now()))
	if err != nil {
		return fmt.Errorf("record tag history: %w", err)
	}
	return nil
}

// lockOf is appended to a SELECT over joined tables that must lock the
// rows of alias only (PostgreSQL; SQLite has one writer): locking the
// repository row too would make concurrent pushes into it wait.
func (d dialect) lockOf(alias string) string {
	if d == dialectPostgres {
		return " FOR UPDATE OF " + alias
	}
	return ""
}

// currentTag returns the manifest id and digest tag points at in
// repository repoID, locked for the rest of tx; found is false if the tag
// does not exist.
func (s *Store) currentTag(ctx context.Context, tx *sql.Tx, repoID int64, tag string) (id int64, d digest.Digest, found bool, err error) {
	err = tx.QueryRowContext(ctx, s.d.q(`SELECT t.manifest_id, m.digest FROM tags t JOIN manifests m ON m.id = t.manifest_id
		WHERE t.repository_id = ? AND t.name = ?`+s.d.lockOf("t")), repoID, tag).Scan(&id, &d)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", false, nil
	}
	if err != nil {
		return 0, "", false, fmt.Errorf("find tag %s: %w", tag, err)
	}
	return id, d, true, nil
}

// setTag points tag of repository repoID (named repo) at manifest id
// (digest d) in tx: it creates the tag, or moves it after checking the
// immutability rules, and records the change; pointing a tag at the
// manifest it already names only refreshes its time. With mustCreate an
// existing tag is meta.ErrConflict.
func (s *Store) setTag(ctx context.Context, tx *sql.Tx, repo string, repoID int64, tag string, id int64, d digest.Digest, mustCreate bool) error {
	now := s.d.ts(s.now())
	// A concurrent creator of the same tag can commit between the lookup
	// and the INSERT (PostgreSQL); the next round then finds and locks it.
	for range 3 {
		oldID, old, found, err := s.currentTag(ctx, tx, repoID, tag)
		if err != nil {
			return err
		}
		switch {
		case found && mustCreate:
			return fmt.Errorf("tag %s exists: %w", tag, meta.ErrConflict)
		case found && oldID == id:
			_, err := tx.ExecContext(ctx, s.d.q(`UPDATE tags SET updated_at = ? WHERE repository_id = ? AND name = ?`), now, repoID, tag)
			if err != nil {
				return fmt.Errorf("set tag %s: %w", tag, err)
			}
			return nil
		case found:
			if err := s.checkMutable(ctx, tx, repo, tag); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, s.d.q(`UPDATE tags SET manifest_id = ?, updated_at = ? WHERE repository_id = ? AND name = ?`),
				id, now, repoID, tag)
			if err != nil {
				return fmt.Errorf("move tag %s: %w", tag, err)
			}
			return s.recordTagChange(ctx, tx, repoID, tag, old, d)
		}
		res, err := tx.ExecContext(ctx, s.d.q(`INSERT INTO tags (repository_id, name, manifest_id, updated_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (repository_id, name) DO NOTHING`), repoID, tag, id, now)
		if err != nil {
			return fmt.Errorf("create tag %s: %w", tag, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("create tag %s: %w", tag, err)
		} else if n == 1 {
			return s.recordTagChange(ctx, tx, repoID, tag, "", d)
		}
	}
	return fmt.Errorf("set tag %s: raced with concurrent writers: %w", tag, meta.ErrConflict)
}

// ListTagHistory lists the changes of tag in repo since since, newest
// first.
func (s *Store) ListTagHistory(ctx context.Context, repo, tag string, since time.Time, win meta.Window) ([]meta.TagChange, error) {
	lim, args := s.d.window(win, []any{repo, tag, s.d.ts(since)})
	rows, err := s.r.QueryContext(ctx, s.d.q(`SELECT h.id, h.old_digest, h.new_digest, h.actor, h.changed_at FROM tag_history h
		WHERE h.repository_id = (SELECT id FROM repositories WHERE name = ?) AND h.tag = ? AND h.changed_at >= ?
		ORDER BY h.changed_at DESC, h.id DESC`+lim), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: history of tag %s in %s: %w", tag, repo, err)
	}
	defer rows.Close()
	var out []meta.TagChange
	for rows.Next() {
		c := meta.TagChange{Repository: repo, Tag: tag}
		var old, new sql.NullString
		if err := rows.Scan(&c.ID, &old, &new, &c.Actor, timeScanner{&c.ChangedAt}); err != nil {
			return nil, fmt.Errorf("sqlstore: history of tag %s in %s: %w", tag, repo, err)
		}
		c.Old, c.New = digest.Digest(old.String), digest.Digest(new.String)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: history of tag %s in %s: %w", tag, repo, err)
	}
	return out, nil
}

// CountTagHistory counts the changes of tag in repo since since.
func (s *Store) CountTagHistory(ctx context.Context, repo, tag string, since time.Time) (int64, error) {
	n, err := s.count(ctx, `SELECT COUNT(*) FROM tag_history h
		WHERE h.repository_id = (SELECT id FROM repositories WHERE name = ?) AND h.tag = ? AND h.changed_at >= ?`,
		[]any{repo, tag, s.d.ts(since)})
	if err != nil {
		return 0, fmt.Errorf("sqlstore: count history of tag %s in %s: %w", tag, repo, err)
	}
	return n, nil
}

// RestoreTag points tag of repo at d again, if the history since since
// names d and the manifest is still stored.
func (s *Store) RestoreTag(ctx context.Context, repo, tag string, d digest.Digest, since time.Time) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.checkMutable(ctx, tx, repo, tag); err != nil {
			return err
		}
		var repoID, id int64
		err := tx.QueryRowContext(ctx, s.d.q(`SELECT r.id, m.id FROM repositories r
			JOIN manifests m ON m.repository_id = r.id AND m.digest = ? WHERE r.name = ?`+s.d.shareLock()),
			d.String(), repo).Scan(&repoID, &id)
		if err != nil {
			return noRows(err, "manifest")
		}
		var one int
		err = tx.QueryRowContext(ctx, s.d.q(`SELECT 1 FROM tag_history WHERE repository_id = ? AND tag = ?
			AND (old_digest = ? OR new_digest = ?) AND changed_at >= ? LIMIT 1`),
			repoID, tag, d.String(), d.String(), s.d.ts(since)).Scan(&one)
		if err != nil {
			return noRows(err, "digest in the tag's history window")
		}
		return s.setTag(ctx, tx, repo, repoID, tag, id, d, false)
	})
	if err != nil {
		return fmt.Errorf("sqlstore: restore tag %s of %s to %s: %w", tag, repo, d, err)
	}
	return nil
}

// PruneTagHistory deletes the changes made before before.
func (s *Store) PruneTagHistory(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, s.d.q(`DELETE FROM tag_history WHERE changed_at < ?`), s.d.ts(before))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: prune tag history: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlstore: prune tag history: %w", err)
	}
	return n, nil
}

// HistoryPinned reports whether manifest d of repo is stored and pinned by
// the history since since.
func (s *Store) HistoryPinned(ctx context.Context, repo string, d digest.Digest, since time.Time) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, s.d.q(`SELECT 1 FROM repositories r
		JOIN manifests m ON m.repository_id = r.id AND m.digest = ?
		WHERE r.name = ? AND `+historyPinned("m")), d.String(), repo, s.d.ts(since)).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("sqlstore: history pins %s in %s: %w", d, repo, err)
	}
	return true, nil
}
