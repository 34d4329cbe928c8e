package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/berth-oci/berth/internal/meta"
)

const tokenCols = `t.id, t.user_id, t.name, t.token_hash, t.created_at, t.expires_at, t.last_used_at, t.revoked_at`

var tokenReturning = strings.ReplaceAll(tokenCols, "t.", "")

func scanToken(row interface{ Scan(...any) error }) (meta.AccessToken, error) {
	var t meta.AccessToken
	err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.TokenHash, timeScanner{&t.CreatedAt}, timeScanner{&t.ExpiresAt},
		timeScanner{&t.LastUsedAt}, timeScanner{&t.RevokedAt})
	return t, err
}

// CreateAccessToken stores t and returns it. meta.ErrConflict if the user
// has a token of that name or the hash exists, meta.ErrNotFound if the user
// does not exist, meta.ErrInvalid for an empty name or hash.
func (s *Store) CreateAccessToken(ctx context.Context, t meta.AccessToken) (meta.AccessToken, error) {
	if t.Name == "" || t.TokenHash == "" {
		return meta.AccessToken{}, fmt.Errorf("sqlstore: create access token: %w", invalid("empty name or hash"))
	}
	out, err := scanToken(s.w.QueryRowContext(ctx, s.d.q(`INSERT INTO access_tokens
		(user_id, name, token_hash, created_at, expires_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		RETURNING `+tokenReturning), t.UserID, t.Name, t.TokenHash, s.d.ts(s.now()), s.d.nullTS(t.ExpiresAt),
		s.d.nullTS(t.LastUsedAt), s.d.nullTS(t.RevokedAt)))
	if err != nil {
		return meta.AccessToken{}, fmt.Errorf("sqlstore: create access token %s of user %d: %w", t.Name, t.UserID, insertErr(err))
	}
	return out, nil
}

// GetAccessTokenByHash returns the token whose hash is hash (revoked and
// expired ones included), or meta.ErrNotFound: one unique-index lookup.
func (s *Store) GetAccessTokenByHash(ctx context.Context, hash string) (meta.AccessToken, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, s.d.q(`SELECT `+tokenCols+` FROM access_tokens t WHERE t.token_hash = ?`), hash))
	if err != nil {
		return meta.AccessToken{}, fmt.Errorf("sqlstore: get access token: %w", noRows(err, "access token"))
	}
	return t, nil
}

// ListAccessTokens lists the tokens of user userID by ID.
func (s *Store) ListAccessTokens(ctx context.Context, userID int64) ([]meta.AccessToken, error) {
	rows, err := s.r.QueryContext(ctx, s.d.q(`SELECT `+tokenCols+` FROM access_tokens t WHERE t.user_id = ? ORDER BY t.id`), userID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list access tokens of user %d: %w", userID, err)
	}
	defer rows.Close()
	var out []meta.AccessToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list access tokens of user %d: %w", userID, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: list access tokens of user %d: %w", userID, err)
	}
	return out, nil
}

// TouchAccessToken sets the last-used time of token id. meta.ErrNotFound if
// there is no such token.
func (s *Store) TouchAccessToken(ctx context.Context, id int64, at time.Time) error {
	res, err := s.w.ExecContext(ctx, s.d.q(`UPDATE access_tokens SET last_used_at = ? WHERE id = ?`), s.d.ts(at), id)
	if err == nil {
		err = affected(res, "access token")
	}
	if err != nil {
		return fmt.Errorf("sqlstore: touch access token %d: %w", id, err)
	}
	return nil
}

// RevokeAccessToken revokes token id of user userID (keeping the first
// revocation time if it is already revoked). meta.ErrNotFound if the user
// has no such token.
func (s *Store) RevokeAccessToken(ctx context.Context, userID, id int64, at time.Time) error {
	res, err := s.w.ExecContext(ctx, s.d.q(`UPDATE access_tokens SET revoked_at = COALESCE(revoked_at, ?)
		WHERE id = ? AND user_id = ?`), s.d.ts(at), id, userID)
	if err == nil {
		err = affected(res, "access token")
	}
	if err != nil {
		return fmt.Errorf("sqlstore: revoke access token %d of user %d: %w", id, userID, err)
	}
	return nil
}

// PruneAccessTokens deletes the tokens revoked or expired before before
// and returns how many.
func (s *Store) PruneAccessTokens(ctx context.Context, before time.Time) (int64, error) {
	b := s.d.ts(before)
	res, err := s.w.ExecContext(ctx, s.d.q(`DELETE FROM access_tokens WHERE revoked_at < ? OR expires_at < ?`), b, b)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: prune access tokens: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlstore: prune access tokens: %w", err)
	}
	return n, nil
}
