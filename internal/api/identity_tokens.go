package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/berth-oci/berth/internal/auth"
	"github.com/berth-oci/berth/internal/meta"
)

// Audit operations on personal access tokens.
const (
	opTokenCreate = "token.create"
	opTokenRevoke = "token.revoke"
)

// Limits on personal access tokens.
const (
	maxTokenNameLen = 100
	maxTokenDays    = 3650
)

// tokenRoutes registers the personal access token routes, a Berth
// extension: CLI secrets for users who log in through OIDC.
func (a *API) tokenRoutes() {
	a.handle("GET /users/current/tokens", "tokens_list", a.listTokens)
	a.handle("POST /users/current/tokens", "token_create", a.createToken)
	a.handle("DELETE /users/current/tokens/{token_id}", "token_revoke", a.revokeToken)
}

// tokenJSON is a personal access token as listed: never its secret.
type tokenJSON struct {
	ID           int64       `json:"id"`
	Name         string      `json:"name"`
	CreationTime harborTime  `json:"creation_time"`
	ExpiresAt    *harborTime `json:"expires_at"`
	LastUsedTime *harborTime `json:"last_used_time"`
	RevokedTime  *harborTime `json:"revoked_time"`
	Active       bool        `json:"active"`
}

// tokenCreatedJSON is the answer to POST /users/current/tokens, the only
// time the secret is shown.
type tokenCreatedJSON struct {
	ID           int64       `json:"id"`
	Name         string      `json:"name"`
	Secret       string      `json:"secret"`
	CreationTime harborTime  `json:"creation_time"`
	ExpiresAt    *harborTime `json:"expires_at"`
}

// timeOrNil returns nil for the zero time, so that JSON says null.
func timeOrNil(t time.Time) *harborTime {
	if t.IsZero() {
		return nil
	}
	ht := harborTime(t)
	return &ht
}

// tokenUser returns the id of the calling user, who must be in the store.
func (a *API) tokenUser(r *http.Request) (int64, error) {
	c, err := a.requireUser(r)
	if err != nil {
		return 0, err
	}
	if c.UserID == 0 {
		return 0, newError(http.StatusForbidden, CodeForbidden, "user %s has no account record to hold tokens", c.Principal.Name)
	}
	return c.UserID, nil
}

// listTokens is GET /users/current/tokens: the caller's tokens, revoked
// and expired ones included.
func (a *API) listTokens(w http.ResponseWriter, r *http.Request) error {
	uid, err := a.tokenUser(r)
	if err != nil {
		return err
	}
	ts, err := a.store.ListAccessTokens(r.Context(), uid)
	if err != nil {
		return err
	}
	now := a.now()
	out := make([]tokenJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, tokenJSON{
			ID: t.ID, Name: t.Name, CreationTime: harborTime(t.CreatedAt), ExpiresAt: timeOrNil(t.ExpiresAt),
			LastUsedTime: timeOrNil(t.LastUsedAt), RevokedTime: timeOrNil(t.RevokedAt), Active: t.Active(now),
		})
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(len(out)))
	writeJSON(w, http.StatusOK, out)
	return nil
}

// tokenReq is the body of POST /users/current/tokens.
type tokenReq struct {
	Name          string `json:"name"`
	ExpiresInDays int    `json:"expires_in_days"`
}

// createToken is POST /users/current/tokens: a new token for the caller;
// the answer holds the secret, which the store keeps only hashed.
func (a *API) createToken(w http.ResponseWriter, r *http.Request) error {
	uid, err := a.tokenUser(r)
	if err != nil {
		return err
	}
	var req tokenReq
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(req.Name) == "":
		return badRequest("name is required")
	case len(req.Name) > maxTokenNameLen:
		return badRequest("name must be at most %d characters long", maxTokenNameLen)
	case req.ExpiresInDays < 0 || req.ExpiresInDays > maxTokenDays:
		return badRequest("expires_in_days must be 0 (never expires) to %d", maxTokenDays)
	}
	var expires time.Time
	if req.ExpiresInDays > 0 {
		expires = a.now().Add(time.Duration(req.ExpiresInDays) * 24 * time.Hour)
	}
	secret := auth.NewAccessTokenSecret()
	t, err := a.store.CreateAccessToken(r.Context(), meta.AccessToken{
		UserID: uid, Name: req.Name, TokenHash: auth.HashAccessToken(secret), ExpiresAt: expires,
	})
	if err != nil {
		return storeError(err, "token "+strconv.Quote(req.Name))
	}
	a.audit(r, meta.AuditEvent{Operation: opTokenCreate, ResourceType: "token", Resource: t.Name})
	writeJSON(w, http.StatusCreated, tokenCreatedJSON{
		ID: t.ID, Name: t.Name, Secret: secret, CreationTime: harborTime(t.CreatedAt), ExpiresAt: timeOrNil(t.ExpiresAt),
	})
	return nil
}

// revokeToken is DELETE /users/current/tokens/{token_id}: revokes one of
// the caller's tokens (it stays listed, revoked).
func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) error {
	uid, err := a.tokenUser(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "token_id")
	if err != nil {
		return err
	}
	if err := a.store.RevokeAccessToken(r.Context(), uid, id, a.now()); err != nil {
		return storeError(err, "token "+strconv.FormatInt(id, 10))
	}
	a.audit(r, meta.AuditEvent{Operation: opTokenRevoke, ResourceType: "token", Resource: strconv.FormatInt(id, 10)})
	w.WriteHeader(http.StatusOK)
	return nil
}
