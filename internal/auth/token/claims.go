package token

import (
	"encoding/json"
	"errors"
	"github.com/berth-oci/berth/internal/access"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Access is one entry of a token's access claim: the actions granted on one
// resource, e.g. {Type: "repository", Name: "library/nginx", Actions:
// ["pull"]}. It is access.Scope, so what Evaluator.Grant returns goes into a
// token unchanged.
type Access = access.Scope

// Claims are the claims of a verified token.
type Claims struct {
	// Issuer is iss, the token service that signed the token.
	Issuer string
	// Subject is sub, the user or robot name; empty for anonymous access.
	Subject string
	// Audience is aud: the service for access tokens, RefreshAudience of it
	// for refresh tokens.
	Audience []string
	// ExpiresAt is exp.
	ExpiresAt time.Time
	// NotBefore is nbf.
	NotBefore time.Time
	// IssuedAt is iat; compare it with a user's password change time or
	// disable time to revoke refresh tokens issued before.
	IssuedAt time.Time
	// ID is jti, a random unique id.
	ID string
	// Access is the access claim of an access token.
	Access []Access
	// ClientID is the OAuth2 client_id a refresh token was issued to.
	ClientID string
	// KeyID is the kid of the key that signed the token.
	KeyID string
}

// Allows reports whether the token grants action on the resource of type
// typ named name. Type and name must match an entry exactly, so a grant for
// one repository never covers another; an entry with action "*" grants every
// action on its resource, as in Distribution.
func (c *Claims) Allows(typ, name, action string) bool {
	if c == nil || action == "" {
		return false
	}
	for _, a := range c.Access {
		if a.Type == typ && a.Name == name && (slices.Contains(a.Actions, action) || slices.Contains(a.Actions, "*")) {
			return true
		}
	}
	return false
}

// tokenUseRefresh marks refresh tokens in the token_use claim.
const tokenUseRefresh = "refresh"

// wireClaims is the JSON claim set of both token kinds.
type wireClaims struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  audience         `json:"aud"`
	ExpiresAt *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf,omitempty"`
	IssuedAt  *jwt.NumericDate `json:"iat,omitempty"`
	ID        string           `json:"jti,omitempty"`
	// Access is always present, possibly empty, in access tokens and absent
	// from refresh tokens.
	Access   []Access `json:"access,omitzero"`
	TokenUse string   `json:"token_use,omitempty"`
	ClientID string   `json:"client_id,omitempty"`
}

var _ jwt.Claims = (*wireClaims)(nil)

// GetExpirationTime implements jwt.Claims.
func (w *wireClaims) GetExpirationTime() (*jwt.NumericDate, error) { return w.ExpiresAt, nil }

// GetIssuedAt implements jwt.Claims.
func (w *wireClaims) GetIssuedAt() (*jwt.NumericDate, error) { return w.IssuedAt, nil }

// GetNotBefore implements jwt.Claims.
func (w *wireClaims) GetNotBefore() (*jwt.NumericDate, error) { return w.NotBefore, nil }

// GetIssuer implements jwt.Claims.
func (w *wireClaims) GetIssuer() (string, error) { return w.Issuer, nil }

// GetSubject implements jwt.Claims.
func (w *wireClaims) GetSubject() (string, error) { return w.Subject, nil }

// GetAudience implements jwt.Claims.
func (w *wireClaims) GetAudience() (jwt.ClaimStrings, error) {
	return jwt.ClaimStrings(w.Audience), nil
}

func (w *wireClaims) claims(kid string) *Claims {
	return &Claims{
		Issuer: w.Issuer, Subject: w.Subject, Audience: w.Audience, ID: w.ID,
		ExpiresAt: timeOf(w.ExpiresAt), NotBefore: timeOf(w.NotBefore), IssuedAt: timeOf(w.IssuedAt),
		Access: w.Access, ClientID: w.ClientID, KeyID: kid,
	}
}

func timeOf(d *jwt.NumericDate) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time
}

// audience is the aud claim: written as a single string when there is one
// audience (as in the specification's examples and older Distribution
// verifiers), read from a string or an array.
type audience []string

// MarshalJSON implements json.Marshaler.
func (a audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// UnmarshalJSON implements json.Unmarshaler.
func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("aud: want a string or an array of strings")
	}
	*a = many
	return nil
}
