package token

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token lifetimes.
const (
	// DefaultTTL is the access token lifetime when IssuerOptions.TTL is 0.
	DefaultTTL = 5 * time.Minute
	// MinTTL is the shortest access token lifetime: the specification says
	// a token should never be returned with less than 60 seconds to live.
	MinTTL = 60 * time.Second
	// DefaultRefreshTTL is the refresh token lifetime when
	// IssuerOptions.RefreshTTL is 0.
	DefaultRefreshTTL = 30 * 24 * time.Hour
)

// RefreshAudience returns the audience of refresh tokens for service. It
// differs from service so that no verifier checking aud, Berth's or
// another's, accepts a refresh token as an access token.
func RefreshAudience(service string) string { return "urn:berth:refresh-token:" + service }

// IssuerOptions configures an Issuer.
type IssuerOptions struct {
	// Issuer is the iss claim, typically the token service's host name.
	// Required.
	Issuer string
	// Service is the aud claim of access tokens: the registry's service
	// name, as in the challenge's service parameter. Required.
	Service string
	// TTL is the default access token lifetime. Default DefaultTTL; values
	// below MinTTL are raised to it.
	TTL time.Duration
	// RefreshTTL is the refresh token lifetime. Default DefaultRefreshTTL.
	RefreshTTL time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Issuer signs access and refresh tokens with the active key of a KeySet.
// It is safe for concurrent use.
type Issuer struct {
	keys *KeySet
	opt  IssuerOptions
}

// NewIssuer returns an Issuer signing with keys.
func NewIssuer(keys *KeySet, opt IssuerOptions) (*Issuer, error) {
	switch {
	case keys == nil:
		return nil, errors.New("token issuer: no key set")
	case opt.Issuer == "":
		return nil, errors.New("token issuer: issuer name required")
	case opt.Service == "":
		return nil, errors.New("token issuer: service name required")
	}
	if opt.TTL == 0 {
		opt.TTL = DefaultTTL
	}
	opt.TTL = max(opt.TTL, MinTTL)
	if opt.RefreshTTL <= 0 {
		opt.RefreshTTL = DefaultRefreshTTL
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Issuer{keys: keys, opt: opt}, nil
}

// Issue signs an access token for subject ("" for anonymous) granting
// access, valid for ttl (0 for the configured TTL; at least MinTTL). It
// returns the token, its lifetime in seconds and its issue time, truncated
// to the second as in the iat claim, for the expires_in and issued_at
// response fields.
func (i *Issuer) Issue(subject string, access []Access, ttl time.Duration) (token string, expiresIn int, issuedAt time.Time, err error) {
	if ttl == 0 {
		ttl = i.opt.TTL
	}
	ttl = max(ttl, MinTTL).Truncate(time.Second)
	now := i.opt.Now().UTC().Truncate(time.Second)
	grants := make([]Access, 0, len(access))
	for _, a := range access {
		actions := append(make([]string, 0, len(a.Actions)), a.Actions...)
		grants = append(grants, Access{Type: a.Type, Name: a.Name, Actions: actions})
	}
	token, err = i.sign(&wireClaims{
		Issuer:    i.opt.Issuer,
		Subject:   subject,
		Audience:  audience{i.opt.Service},
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		NotBefore: jwt.NewNumericDate(now),
		IssuedAt:  jwt.NewNumericDate(now),
		ID:        rand.Text(),
		Access:    grants,
	})
	if err != nil {
		return "", 0, time.Time{}, err
	}
	return token, int(ttl / time.Second), now, nil
}

// IssueRefresh signs a refresh token for subject, issued to the OAuth2
// client clientID, valid for RefreshTTL. It grants nothing by itself: the
// token service exchanges it (after VerifyRefresh and a check that the
// subject still exists and is enabled) for access tokens of the same
// subject and service.
func (i *Issuer) IssueRefresh(subject, clientID string) (string, error) {
	if subject == "" {
		return "", errors.New("refresh token: subject required")
	}
	now := i.opt.Now().UTC().Truncate(time.Second)
	return i.sign(&wireClaims{
		Issuer:    i.opt.Issuer,
		Subject:   subject,
		Audience:  audience{RefreshAudience(i.opt.Service)},
		ExpiresAt: jwt.NewNumericDate(now.Add(i.opt.RefreshTTL)),
		NotBefore: jwt.NewNumericDate(now),
		IssuedAt:  jwt.NewNumericDate(now),
		ID:        rand.Text(),
		TokenUse:  tokenUseRefresh,
		ClientID:  clientID,
	})
}

func (i *Issuer) sign(c *wireClaims) (string, error) {
	k := i.keys.signer()
	if k == nil || k.priv == nil {
		return "", errors.New("sign token: no active signing key")
	}
	method := jwt.SigningMethod(jwt.SigningMethodES256)
	if k.alg == RS256 {
		method = jwt.SigningMethodRS256
	}
	t := jwt.NewWithClaims(method, c)
	t.Header["kid"] = k.id
	s, err := t.SignedString(k.priv)
	if err != nil {
		return "", fmt.Errorf("sign token with %s: %w", k.id, err)
	}
	return s, nil
}
