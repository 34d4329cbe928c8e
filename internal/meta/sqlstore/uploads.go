package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/berth-oci/berth/internal/meta"
)

const uploadCols = `id, repository, location, byte_offset, algorithm, hash_state, created_at, updated_at`

func scanUpload(row interface{ Scan(...any) error }) (meta.Upload, error) {
	var u meta.Upload
	err := row.Scan(&u.ID, &u.Repository, &u.Location, &u.Offset, &u.Algorithm, &u.HashState,
		timeScanner{&u.CreatedAt}, timeScanner{&u.UpdatedAt})
	return u, err
}

// CreateUpload stores a new session. Zero CreatedAt and UpdatedAt are set to
// the current time. meta.ErrConflict if the ID exists.
func (s *Store) CreateUpload(ctx context.Context, u meta.Upload) error {
	now := s.now()
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	res, err := s.w.ExecContext(ctx, s.d.q(`INSERT INTO uploads (`+uploadCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		u.ID, u.Repository, u.Location, u.Offset, u.Algorithm, u.HashState, s.d.ts(u.CreatedAt), s.d.ts(u.UpdatedAt))
	if err != nil {
		return fmt.Errorf("sqlstore: create upload %s: %w", u.ID, conflict(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlstore: create upload %s: %w", u.ID, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlstore: upload %s exists: %w", u.ID, meta.ErrConflict)
	}
	return nil
}

// GetUpload returns session id of repo, or meta.ErrNotFound.
func (s *Store) GetUpload(ctx context.Context, repo, id string) (meta.Upload, error) {
	u, err := scanUpload(s.r.QueryRowContext(ctx, s.d.q(`SELECT `+uploadCols+` FROM uploads
		WHERE id = ? AND repository = ?`), id, repo))
	if errors.Is(err, sql.ErrNoRows) {
		return meta.Upload{}, fmt.Errorf("sqlstore: upload %s in %s: %w", id, repo, meta.ErrNotFound)
	}
	if err != nil {
		return meta.Upload{}, fmt.Errorf("sqlstore: get upload %s in %s: %w", id, repo, err)
	}
	return u, nil
}

// UpdateUpload saves Offset, HashState and UpdatedAt (the current time if
// zero) of session u if its stored offset still equals prevOffset.
// meta.ErrConflict if another update won, meta.ErrNotFound if the session is
// gone.
func (s *Store) UpdateUpload(ctx context.Context, u meta.Upload, prevOffset int64) error {
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = s.now()
	}
	res, err := s.w.ExecContext(ctx, s.d.q(`UPDATE uploads SET byte_offset = ?, hash_state = ?, updated_at = ?
		WHERE id = ? AND repository = ? AND byte_offset = ?`),
		u.Offset, u.HashState, s.d.ts(u.UpdatedAt), u.ID, u.Repository, prevOffset)
	if err != nil {
		return fmt.Errorf("sqlstore: update upload %s: %w", u.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlstore: update upload %s: %w", u.ID, err)
	}
	if n == 1 {
		return nil
	}
	// Nothing matched: tell a lost race from a vanished session.
	var one int
	err = s.w.QueryRowContext(ctx, s.d.q(`SELECT 1 FROM uploads WHERE id = ? AND repository = ?`), u.ID, u.Repository).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlstore: upload %s in %s: %w", u.ID, u.Repository, meta.ErrNotFound)
	case err != nil:
		return fmt.Errorf("sqlstore: update upload %s: %w", u.ID, err)
	}
	return fmt.Errorf("sqlstore: upload %s is no longer at offset %d: %w", u.ID, prevOffset, meta.ErrConflict)
}

// DeleteUpload removes session id of repo. meta.ErrNotFound if absent.
func (s *Store) DeleteUpload(ctx context.Context, repo, id string) error {
	res, err := s.w.ExecContext(ctx, s.d.q(`DELETE FROM uploads WHERE id = ? AND repository = ?`), id, repo)
	if err != nil {
		return fmt.Errorf("sqlstore: delete upload %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlstore: delete upload %s: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("sqlstore: upload %s in %s: %w", id, repo, meta.ErrNotFound)
	}
	return nil
}

// ExpiredUploads lists up to limit (no limit if <= 0) sessions last updated
// strictly before before, least recently updated first.
func (s *Store) ExpiredUploads(ctx context.Context, before time.Time, limit int) ([]meta.Upload, error) {
	args := []any{s.d.ts(before)}
	lim, args := limitClause(limit, args)
	rows, err := s.r.QueryContext(ctx, s.d.q(`SELECT `+uploadCols+` FROM uploads
		WHERE updated_at < ? ORDER BY updated_at, id`+lim), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: expired uploads: %w", err)
	}
	defer rows.Close()
	var out []meta.Upload
	for rows.Next() {
		u, err := scanUpload(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: expired uploads: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: expired uploads: %w", err)
	}
	return out, nil
}
