package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/berth-oci/berth/internal/auth/password"
)

// AccessTokenPrefix starts every personal access token secret, so that the
// authenticator can tell one from a password without a lookup and secret
// scanners can recognise leaked ones.
const AccessTokenPrefix = "berth_pat_"

// NewAccessTokenSecret returns a fresh personal access token secret: the
// prefix and 256 random bits. Show it once; store HashAccessToken of it.
func NewAccessTokenSecret() string { return AccessTokenPrefix + password.GenerateSecret() }

// IsAccessTokenSecret reports whether s has the shape of a personal access
// token secret.
func IsAccessTokenSecret(s string) bool {
	return strings.HasPrefix(s, AccessTokenPrefix) && len(s) > len(AccessTokenPrefix)+16
}

// HashAccessToken is the stored form of a personal access token secret:
// hex SHA-256. A fast, unsalted hash is right here because the secret has
// 256 bits of entropy (no dictionary to attack) and the store looks tokens
// up by this value.
func HashAccessToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
