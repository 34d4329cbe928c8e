package meta

import (
	"context"
	"time"
)

// AccessToken is a user's personal access token (a CLI secret): a
// high-entropy secret the user presents instead of a password, needed once
// login goes through OIDC. The store keeps only TokenHash, which must be a
// deterministic hash of the secret (e.g. hex SHA-256) because it is looked
// up by value; the secret is shown once.
type AccessToken struct {
	ID         int64
	UserID     int64
	Name       string // unique per user
	TokenHash  string // unique
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never expires
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: not revoked
}

// Active reports whether t may authenticate at now: neither revoked nor
// expired.
func (t AccessToken) Active(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// AccessTokens holds personal access tokens.
type AccessTokens interface {
	// CreateAccessToken stores t (ID and CreatedAt set by the store) and
	// returns it. ErrConflict if the user already has a token of that name
	// or the hash exists; ErrNotFound if the user does not exist;
	// ErrInvalid for an empty name or hash.
	CreateAccessToken(ctx context.Context, t AccessToken) (AccessToken, error)
	// GetAccessTokenByHash returns the token whose hash is hash, revoked and
	// expired ones included (check Active), or ErrNotFound.
	GetAccessTokenByHash(ctx context.Context, hash string) (AccessToken, error)
	// ListAccessTokens lists the tokens of user userID, revoked ones
	// included, by ID.
	ListAccessTokens(ctx context.Context, userID int64) ([]AccessToken, error)
	// TouchAccessToken sets the last-used time of token id. ErrNotFound if
	// there is no such token.
	TouchAccessToken(ctx context.Context, id int64, at time.Time) error
	// RevokeAccessToken revokes token id of user userID at the given time.
	// Revoking a revoked token keeps the first time and succeeds.
	// ErrNotFound if the user has no such token.
	RevokeAccessToken(ctx context.Context, userID, id int64, at time.Time) error
	// PruneAccessTokens deletes the tokens revoked or expired before
	// before and returns how many.
	PruneAccessTokens(ctx context.Context, before time.Time) (int64, error)
}
