package token

import "time"

// Response is the JSON body of a successful token endpoint response, for
// both the GET token flow and the OAuth2 POST flow.
type Response struct {
	// Token is the bearer token.
	Token string `json:"token"`
	// AccessToken repeats Token for OAuth2 clients; the specification
	// allows both and older clients read only one of them.
	AccessToken string `json:"access_token"`
	// ExpiresIn is the lifetime in seconds from IssuedAt.
	ExpiresIn int `json:"expires_in"`
	// IssuedAt is the RFC 3339 UTC issue time.
	IssuedAt string `json:"issued_at"`
	// RefreshToken is set when offline_token=true (GET) or
	// access_type=offline (POST) was asked for, or when a refresh_token
	// grant is answered (the same refresh token is returned).
	RefreshToken string `json:"refresh_token,omitempty"`
	// Scope is the granted scope (FormatScope), which oauth.md requires in
	// POST responses; GET clients ignore it.
	Scope string `json:"scope"`
}

// NewResponse builds a Response from the results of Issuer.Issue, an
// optional refresh token and the granted access.
func NewResponse(token string, expiresIn int, issuedAt time.Time, refreshToken string, granted []Access) Response {
	return Response{
		Token:        token,
		AccessToken:  token,
		ExpiresIn:    expiresIn,
		IssuedAt:     issuedAt.UTC().Format(time.RFC3339),
		RefreshToken: refreshToken,
		Scope:        FormatScope(granted),
	}
}
