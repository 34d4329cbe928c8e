// Package token is the core of Berth's Docker Registry token service,
// independent of HTTP: signing keys, issuing and verifying bearer tokens,
// refresh tokens, the WWW-Authenticate challenge and the scope parameter.
//
// It follows the Distribution token specification (docs/spec/auth/token.md,
// jwt.md, oauth.md and scope.md in distribution/distribution):
//
//   - Tokens are compact JWS (JWT) signed ES256 by default. The header
//     carries "kid", the RFC 7638 JWK SHA-256 thumbprint of the signing key,
//     base64url without padding: the key id Distribution v3 derives for
//     trusted keys, so a Distribution registry given Berth's JWKS (or its
//     public key) can verify Berth tokens.
//   - Access token claims are iss, sub (empty for anonymous), aud (the
//     service), exp, nbf, iat, jti and access, an array of
//     {"type","name","actions"} entries: the intersection of what was asked
//     and what the caller may do, computed by the caller.
//   - Refresh tokens (OAuth2 offline access) are signed JWTs too, but with
//     an audience derived from the service by RefreshAudience and a
//     "token_use":"refresh" claim, so neither kind of token is accepted
//     where the other is expected, by Berth or by any verifier that checks
//     the audience.
//
// A KeySet holds the keys: one active signer and older keys kept for
// verification until retired, so rotation never invalidates tokens in
// flight. LoadOrCreate persists them as PEM files (mode 0600, atomic
// writes) in a directory.
//
// Verifier.Verify is the per-request check. It accepts only ES256 and
// RS256, requires a known kid whose key type matches alg, a valid
// signature, exp and nbf within a small leeway, the configured issuer and
// the service among the audiences. Failures wrap ErrInvalidToken and one
// specific sentinel (ErrExpired, ErrInvalidSignature, ErrWrongAudience, ...).
// Claims.Allows then checks one (type, name, action) against the access
// claim by exact name: a grant for one repository never covers another.
package token
