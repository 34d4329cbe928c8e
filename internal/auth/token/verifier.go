package token

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Errors returned by Verify and VerifyRefresh. Every failure wraps
// ErrInvalidToken and exactly one of the others.
var (
	// ErrInvalidToken wraps every verification failure: answer 401 with
	// error="invalid_token".
	ErrInvalidToken = errors.New("invalid token")
	// ErrMalformed means the token is not a well-formed JWS/JWT with the
	// required claims, or is larger than MaxTokenSize.
	ErrMalformed = errors.New("malformed token")
	// ErrUnsupportedAlgorithm means alg is not ES256 or RS256 ("none",
	// HS256 and the rest are refused before any key is consulted).
	ErrUnsupportedAlgorithm = errors.New("unsupported signing algorithm")
	// ErrUnknownKey means the kid is missing or names no key in the set.
	// KeySet.Retire also returns it for an unknown kid.
	ErrUnknownKey = errors.New("unknown signing key")
	// ErrInvalidSignature means the signature does not verify, or alg does
	// not match the type of the key named by kid.
	ErrInvalidSignature = errors.New("invalid signature")
	// ErrExpired means exp is in the past, beyond the leeway.
	ErrExpired = errors.New("token expired")
	// ErrNotYetValid means nbf or iat is in the future, beyond the leeway.
	ErrNotYetValid = errors.New("token not valid yet")
	// ErrWrongIssuer means iss is not the configured issuer.
	ErrWrongIssuer = errors.New("wrong issuer")
	// ErrWrongAudience means aud does not contain the expected audience.
	ErrWrongAudience = errors.New("wrong audience")
	// ErrWrongTokenType means a refresh token was presented as an access
	// token or the reverse.
	ErrWrongTokenType = errors.New("wrong token type")
)

// MaxTokenSize bounds the tokens Verify will parse, in bytes.
const MaxTokenSize = 32 << 10

// DefaultLeeway is the clock skew tolerated on exp, nbf and iat.
const DefaultLeeway = 30 * time.Second

// VerifierOptions configures a Verifier.
type VerifierOptions struct {
	// Issuer is the required iss. Required.
	Issuer string
	// Service is the audience access tokens must name. Required.
	Service string
	// Leeway is the tolerated clock skew. Default DefaultLeeway; negative
	// means none.
	Leeway time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Verifier checks tokens against the keys of a KeySet. It is safe for
// concurrent use.
type Verifier struct {
	keys    *KeySet
	service string
	access  *jwt.Parser
	refresh *jwt.Parser
}

// NewVerifier returns a Verifier trusting the keys in keys.
func NewVerifier(keys *KeySet, opt VerifierOptions) (*Verifier, error) {
	switch {
	case keys == nil:
		return nil, errors.New("token verifier: no key set")
	case opt.Issuer == "":
		return nil, errors.New("token verifier: issuer name required")
	case opt.Service == "":
		return nil, errors.New("token verifier: service name required")
	}
	if opt.Leeway == 0 {
		opt.Leeway = DefaultLeeway
	}
	opt.Leeway = max(opt.Leeway, 0)
	if opt.Now == nil {
		opt.Now = time.Now
	}
	parser := func(aud string) *jwt.Parser {
		return jwt.NewParser(
			jwt.WithValidMethods([]string{ES256, RS256}),
			jwt.WithIssuer(opt.Issuer),
			jwt.WithAudience(aud),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(opt.Leeway),
			jwt.WithTimeFunc(opt.Now),
			jwt.WithStrictDecoding(),
		)
	}
	return &Verifier{keys: keys, service: opt.Service, access: parser(opt.Service), refresh: parser(RefreshAudience(opt.Service))}, nil
}

// Verify checks an access token and returns its claims. Errors wrap
// ErrInvalidToken and one of ErrMalformed, ErrUnsupportedAlgorithm,
// ErrUnknownKey, ErrInvalidSignature, ErrExpired, ErrNotYetValid,
// ErrWrongIssuer, ErrWrongAudience or ErrWrongTokenType.
func (v *Verifier) Verify(token string) (*Claims, error) {
	return v.verify(v.access, token, false)
}

// VerifyRefresh checks a refresh token and returns its claims (Subject,
// ClientID, IssuedAt). Errors are as for Verify. The caller must still check
// that the subject exists and is enabled, and may refuse tokens issued
// before the subject's last password change.
func (v *Verifier) VerifyRefresh(token string) (*Claims, error) {
	return v.verify(v.refresh, token, true)
}

// errAlgKeyMismatch is the keyfunc's refusal of an alg that does not fit
// the key named by kid (say RS256 with an ECDSA key).
var errAlgKeyMismatch = errors.New("alg does not match key type")

func (v *Verifier) verify(p *jwt.Parser, token string, refresh bool) (*Claims, error) {
	if len(token) > MaxTokenSize {
		return nil, fmt.Errorf("%w: %w: %d bytes", ErrInvalidToken, ErrMalformed, len(token))
	}
	var (
		wc  wireClaims
		kid string
	)
	t, err := p.ParseWithClaims(token, &wc, func(t *jwt.Token) (any, error) {
		kid, _ = t.Header["kid"].(string)
		k, ok := v.keys.lookup(kid)
		if !ok {
			return nil, ErrUnknownKey
		}
		if t.Method.Alg() != k.alg {
			return nil, errAlgKeyMismatch
		}
		return k.pub, nil
	})
	if err != nil {
		// The audiences of the two kinds differ, so a token of the other
		// kind fails the audience check first; say what it really is.
		other := RefreshAudience(v.service)
		if refresh {
			other = v.service
		}
		return nil, classify(t, kid, err, slices.Contains(wc.Audience, other))
	}
	if (wc.TokenUse == tokenUseRefresh) != refresh || (wc.TokenUse != "" && wc.TokenUse != tokenUseRefresh) {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, ErrWrongTokenType)
	}
	return wc.claims(kid), nil
}

// classify maps a jwt error to this package's sentinels. otherKind reports
// that the claims carry the audience of the other token kind (the refresh
// audience for Verify, the service for VerifyRefresh); it only matters for
// audience errors, which jwt reports after checking the signature.
func classify(t *jwt.Token, kid string, err error, otherKind bool) error {
	kind := ErrMalformed
	var alg any
	if t != nil {
		alg = t.Header["alg"]
	}
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed) || t == nil || t.Header == nil:
		kind = ErrMalformed
	case alg != ES256 && alg != RS256:
		return fmt.Errorf("%w: %w %v", ErrInvalidToken, ErrUnsupportedAlgorithm, alg)
	case errors.Is(err, ErrUnknownKey):
		return fmt.Errorf("%w: %w %q", ErrInvalidToken, ErrUnknownKey, kid)
	case errors.Is(err, errAlgKeyMismatch):
		return fmt.Errorf("%w: %w: %w", ErrInvalidToken, ErrInvalidSignature, errAlgKeyMismatch)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		kind = ErrInvalidSignature
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		kind = ErrWrongIssuer
	case errors.Is(err, jwt.ErrTokenInvalidAudience) && otherKind:
		kind = ErrWrongTokenType
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		kind = ErrWrongAudience
	case errors.Is(err, jwt.ErrTokenExpired):
		kind = ErrExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		kind = ErrNotYetValid
	}
	return fmt.Errorf("%w: %w", ErrInvalidToken, kind)
}
