package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Errors returned by Hash, Verify and the htpasswd reader.
var (
	// ErrUnsupportedHash means an encoded hash is neither argon2id nor bcrypt.
	ErrUnsupportedHash = errors.New("unsupported password hash scheme")
	// ErrMalformedHash means an encoded hash has a known scheme but cannot be
	// decoded, or its parameters are outside the bounds Berth accepts.
	ErrMalformedHash = errors.New("malformed password hash")
	// ErrEmptySecret is returned by Hash for an empty secret.
	ErrEmptySecret = errors.New("empty secret")
	// ErrSecretTooLong is returned by Hash for a secret over MaxSecretLength.
	ErrSecretTooLong = errors.New("secret too long")
)

// MaxSecretLength is the longest secret, in bytes, that Hash accepts and
// Verify will ever match.
const MaxSecretLength = 1024

// maxBcryptSecret is bcrypt's input limit: longer inputs are silently
// truncated by the algorithm, so Verify refuses them instead.
const maxBcryptSecret = 72

// maxBcryptCost bounds the cost Verify will spend on a stored bcrypt hash
// (cost 14 is about a second here), so a corrupt or hostile entry cannot pin
// a CPU for minutes.
const maxBcryptCost = 14

// Bounds on argon2id parameters read from stored hashes, for the same reason.
const (
	maxMemoryKiB  = 1 << 20 // 1 GiB
	maxIterations = 64
	minSaltLen    = 8
	maxSaltLen    = 64
	minKeyLen     = 16
	maxKeyLen     = 64
)

// Params are argon2id cost parameters.
type Params struct {
	// Memory is the memory cost in KiB.
	Memory uint32
	// Iterations is the number of passes over the memory (argon2's t).
	Iterations uint32
	// Parallelism is the number of lanes (argon2's p).
	Parallelism uint8
	// SaltLength is the length of the random salt in bytes.
	SaltLength uint32
	// KeyLength is the length of the derived key in bytes.
	KeyLength uint32
}

// DefaultParams returns the parameters new hashes use: 19 MiB, 2 passes,
// 1 lane, a 16-byte salt and a 32-byte key. They are OWASP's first
// recommended argon2id configuration; one hash takes about 40 ms on a 2-core
// build machine, and one lane keeps a login from occupying every core.
func DefaultParams() Params {
	return Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

func (p Params) validate() error {
	switch {
	case p.Parallelism < 1:
		return fmt.Errorf("parallelism %d: must be at least 1", p.Parallelism)
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > maxMemoryKiB:
		return fmt.Errorf("memory %d KiB: must be within %d..%d", p.Memory, 8*uint32(p.Parallelism), maxMemoryKiB)
	case p.Iterations < 1 || p.Iterations > maxIterations:
		return fmt.Errorf("iterations %d: must be within 1..%d", p.Iterations, maxIterations)
	case p.SaltLength < minSaltLen || p.SaltLength > maxSaltLen:
		return fmt.Errorf("salt length %d: must be within %d..%d", p.SaltLength, minSaltLen, maxSaltLen)
	case p.KeyLength < minKeyLen || p.KeyLength > maxKeyLen:
		return fmt.Errorf("key length %d: must be within %d..%d", p.KeyLength, minKeyLen, maxKeyLen)
	}
	return nil
}

// Hasher hashes and verifies secrets with fixed argon2id parameters. It
// bounds the number of argon2id computations running at once (to
// GOMAXPROCS, at least 2), which bounds the memory a burst of logins can
// take. A Hasher is safe for concurrent use.
type Hasher struct {
	params Params
	slots  chan struct{}
}

// NewHasher returns a Hasher that creates hashes with p. It returns an error
// if p is outside the bounds Verify accepts.
func NewHasher(p Params) (*Hasher, error) {
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("argon2id parameters: %w", err)
	}
	return &Hasher{params: p, slots: make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))}, nil
}

// Params returns the parameters h uses for new hashes.
func (h *Hasher) Params() Params { return h.params }

func (h *Hasher) idKey(secret, salt []byte, p Params) []byte {
	h.slots <- struct{}{}
	defer func() { <-h.slots }()
	return argon2.IDKey(secret, salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
}

// Hash returns the PHC-encoded argon2id hash of secret with a fresh random
// salt. It returns ErrEmptySecret or ErrSecretTooLong for secrets it refuses
// to store.
func (h *Hasher) Hash(secret string) (string, error) {
	switch {
	case secret == "":
		return "", ErrEmptySecret
	case len(secret) > MaxSecretLength:
		return "", ErrSecretTooLong
	}
	salt := make([]byte, h.params.SaltLength)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails since Go 1.24
	key := h.idKey([]byte(secret), salt, h.params)
	return encodeArgon2id(h.params, salt, key), nil
}

// Verify reports whether secret matches the encoded hash, which may be an
// argon2id PHC string or a bcrypt hash. A mismatch is (false, nil); an error
// means the stored hash is unusable: ErrUnsupportedHash for an unknown
// scheme, ErrMalformedHash for a known scheme that does not decode or whose
// parameters are out of bounds. The comparison is constant-time.
func (h *Hasher) Verify(encoded, secret string) (bool, error) {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		p, salt, want, err := decodeArgon2id(encoded)
		if err != nil {
			return false, err
		}
		if len(secret) > MaxSecretLength {
			return false, nil
		}
		got := h.idKey([]byte(secret), salt, p)
		return subtle.ConstantTimeCompare(got, want) == 1, nil
	case isBcrypt(encoded):
		return verifyBcrypt([]byte(encoded), secret)
	default:
		return false, ErrUnsupportedHash
	}
}

// NeedsRehash reports whether encoded should be replaced by a fresh Hash of
// the same secret: true for bcrypt and malformed hashes and for argon2id
// hashes made with parameters other than h's. Call it after a successful
// Verify, while the plaintext is at hand.
func (h *Hasher) NeedsRehash(encoded string) bool {
	if !strings.HasPrefix(encoded, "$argon2id$") {
		return true
	}
	p, _, _, err := decodeArgon2id(encoded)
	return err != nil || p != h.params
}

func isBcrypt(encoded string) bool {
	return strings.HasPrefix(encoded, "$2a$") || strings.HasPrefix(encoded, "$2b$") ||
		strings.HasPrefix(encoded, "$2y$")
}

func verifyBcrypt(encoded []byte, secret string) (bool, error) {
	cost, err := bcrypt.Cost(encoded)
	if err != nil {
		return false, fmt.Errorf("%w: bcrypt: %w", ErrMalformedHash, err)
	}
	if cost > maxBcryptCost {
		return false, fmt.Errorf("%w: bcrypt cost %d exceeds %d", ErrMalformedHash, cost, maxBcryptCost)
	}
	if len(secret) > maxBcryptSecret {
		// bcrypt would compare only the first 72 bytes; refuse rather than
		// accept a password that merely shares a prefix.
		return false, nil
	}
	err = bcrypt.CompareHashAndPassword(encoded, []byte(secret))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, fmt.Errorf("%w: bcrypt: %w", ErrMalformedHash, err)
	}
}

var b64 = base64.RawStdEncoding

func encodeArgon2id(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decodeArgon2id parses "$argon2id$v=19$m=M,t=T,p=P$salt$hash" strictly.
func decodeArgon2id(encoded string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("%w: argon2id: want 5 '$'-separated fields", ErrMalformedHash)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: argon2id: unsupported version %q", ErrMalformedHash, parts[2])
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return p, nil, nil, fmt.Errorf("%w: argon2id: want m,t,p parameters", ErrMalformedHash)
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		s, ok := strings.CutPrefix(kv[i], name)
		v, err := strconv.ParseUint(s, 10, 32)
		if !ok || err != nil {
			return p, nil, nil, fmt.Errorf("%w: argon2id: bad parameter %q", ErrMalformedHash, kv[i])
		}
		vals[i] = v
	}
	if vals[2] > 255 {
		return p, nil, nil, fmt.Errorf("%w: argon2id: parallelism %d", ErrMalformedHash, vals[2])
	}
	salt, err := b64.Strict().DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, fmt.Errorf("%w: argon2id salt: %w", ErrMalformedHash, err)
	}
	key, err := b64.Strict().DecodeString(parts[5])
	if err != nil {
		return p, nil, nil, fmt.Errorf("%w: argon2id hash: %w", ErrMalformedHash, err)
	}
	p = Params{
		Memory: uint32(vals[0]), Iterations: uint32(vals[1]), Parallelism: uint8(vals[2]),
		SaltLength: uint32(len(salt)), KeyLength: uint32(len(key)),
	}
	if err := p.validate(); err != nil {
		return p, nil, nil, fmt.Errorf("%w: argon2id: %w", ErrMalformedHash, err)
	}
	return p, salt, key, nil
}

// defaultHasher backs the package-level functions. It is immutable apart
// from its concurrency slots, which bound argon2id memory process-wide.
var defaultHasher = &Hasher{params: DefaultParams(), slots: make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))}

// Hash returns the argon2id PHC string for secret with DefaultParams; see
// Hasher.Hash.
func Hash(secret string) (string, error) { return defaultHasher.Hash(secret) }

// Verify reports whether secret matches an argon2id or bcrypt hash; see
// Hasher.Verify.
func Verify(encoded, secret string) (bool, error) { return defaultHasher.Verify(encoded, secret) }

// NeedsRehash reports whether encoded differs from what Hash produces today;
// see Hasher.NeedsRehash.
func NeedsRehash(encoded string) bool { return defaultHasher.NeedsRehash(encoded) }

// SecretBytes is the number of random bytes in a GenerateSecret result.
const SecretBytes = 32

// GenerateSecret returns a new random secret for a robot account or an
// access token: 32 bytes from crypto/rand, base64url-encoded without padding
// (43 characters, safe in URLs, headers and basic-auth passwords).
func GenerateSecret() string {
	b := make([]byte, SecretBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails since Go 1.24
	return base64.RawURLEncoding.EncodeToString(b)
}
