package client

import (
	"context"
	"net/http"
	"strconv"
)

// Token is a personal access token of the caller as listed: never its
// secret. Revoked and expired tokens are listed too.
type Token struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	CreationTime Time   `json:"creation_time"`
	ExpiresAt    Time   `json:"expires_at"`     // zero: never expires
	LastUsedTime Time   `json:"last_used_time"` // zero: never used
	RevokedTime  Time   `json:"revoked_time"`   // zero: not revoked
	Active       bool   `json:"active"`
}

// TokenCreated is the answer to a token creation: the only time the
// secret is shown.
type TokenCreated struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Secret       string `json:"secret"`
	CreationTime Time   `json:"creation_time"`
	ExpiresAt    Time   `json:"expires_at"` // zero: never expires
}

// Tokens lists the personal access tokens of the caller, who must be a
// user (robots have none: the server answers 403).
func (c *Client) Tokens(ctx context.Context) ([]Token, error) {
	return list[Token](ctx, c, request{path: "/users/current/tokens"})
}

// CreateToken creates a personal access token for the caller, valid for
// days days (0: it never expires), and returns it with its secret.
func (c *Client) CreateToken(ctx context.Context, name string, days int) (TokenCreated, error) {
	body := struct {
		Name          string `json:"name"`
		ExpiresInDays int    `json:"expires_in_days"`
	}{name, days}
	var out TokenCreated
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/users/current/tokens", body: body}, &out)
	return out, err
}

// RevokeToken revokes the caller's token id; revoking a revoked token
// succeeds. It stays listed, revoked.
func (c *Client) RevokeToken(ctx context.Context, id int64) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/users/current/tokens/" + strconv.FormatInt(id, 10)}, nil)
	return err
}
