package token

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Errors returned by KeySet.
var (
	// ErrActiveKey is returned by Retire for the active signing key.
	ErrActiveKey = errors.New("key is the active signing key")
	// ErrUnsupportedKey means a key is neither ECDSA P-256 nor RSA of at
	// least 2048 bits.
	ErrUnsupportedKey = errors.New("unsupported key type")
)

// Algorithms Berth signs and accepts.
const (
	// ES256 is ECDSA P-256 with SHA-256, the algorithm of new keys.
	ES256 = "ES256"
	// RS256 is RSASSA-PKCS1-v1_5 with SHA-256, accepted for keys brought
	// from elsewhere (Harbor's token key is RSA).
	RS256 = "RS256"
)

// File names inside a LoadOrCreate directory.
const (
	privateSuffix = ".key.pem" // PKCS#8 "PRIVATE KEY"
	publicSuffix  = ".pub.pem" // PKIX "PUBLIC KEY", verification only
	activeFile    = "active"   // the active kid
)

const minRSABits = 2048

// key is one entry of a KeySet.
type key struct {
	id   string
	alg  string
	pub  crypto.PublicKey
	priv crypto.Signer // nil for verification-only keys
	file string        // path in the KeySet directory, if any
}

// KeySet holds token signing keys: exactly one active key that signs, and
// any number of keys that still verify, each identified by its kid. It is
// safe for concurrent use.
type KeySet struct {
	dir string // "" for an in-memory set

	mu     sync.RWMutex
	keys   map[string]*key
	active string
}

// NewKeySet returns an in-memory KeySet with one fresh ES256 key, for tests
// and single-process setups that accept tokens dying with the process.
func NewKeySet() (*KeySet, error) {
	s := &KeySet{keys: make(map[string]*key)}
	if _, err := s.Rotate(); err != nil {
		return nil, err
	}
	return s, nil
}

// LoadOrCreate returns the KeySet stored in dir, creating dir (mode 0700)
// and a first ES256 key if there is none. The directory holds
// "<kid>.key.pem" private keys (PKCS#8; ECDSA P-256 or RSA), optional
// "<kid>.pub.pem" public keys trusted for verification only, and "active",
// the kid that signs. Key ids are always recomputed from the keys, so files
// may be named freely as long as they keep the suffix.
func LoadOrCreate(dir string) (*KeySet, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("token keys: %w", err)
	}
	s := &KeySet{dir: dir, keys: make(map[string]*key)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.loadLocked(); err != nil {
		return nil, err
	}
	if s.active == "" {
		if _, err := s.rotateLocked(); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Reload re-reads the directory of a KeySet made by LoadOrCreate, picking up
// keys rotated or retired by another process sharing it. It is a no-op for
// an in-memory set. On error the previous keys stay in effect.
func (s *KeySet) Reload() error {
	if s.dir == "" {
		return nil
	}
	fresh := &KeySet{dir: s.dir, keys: make(map[string]*key)}
	if err := fresh.loadLocked(); err != nil {
		return err
	}
	if fresh.active == "" {
		return fmt.Errorf("token keys %s: no active key", s.dir)
	}
	s.mu.Lock()
	s.keys, s.active = fresh.keys, fresh.active
	s.mu.Unlock()
	return nil
}

func (s *KeySet) loadLocked() error {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("token keys: %w", err)
	}
	var newest string
	var newestMod int64
	for _, e := range entries {
		name := e.Name()
		private := strings.HasSuffix(name, privateSuffix)
		if e.IsDir() || (!private && !strings.HasSuffix(name, publicSuffix)) {
			continue
		}
		path := filepath.Join(s.dir, name)
		k, err := readKeyFile(path, private)
		if err != nil {
			return err
		}
		if old, dup := s.keys[k.id]; dup && old.priv != nil {
			continue // a public file next to its private key adds nothing
		}
		s.keys[k.id] = k
		if info, err := e.Info(); err == nil && private && (newest == "" || info.ModTime().UnixNano() > newestMod) {
			newest, newestMod = k.id, info.ModTime().UnixNano()
		}
	}
	data, err := os.ReadFile(filepath.Join(s.dir, activeFile))
	switch {
	case errors.Is(err, os.ErrNotExist):
		if newest == "" {
			return nil // caller creates the first key
		}
		// Keys without a pointer (copied in by hand): the newest signs.
		s.active = newest
		return writeFileAtomic(filepath.Join(s.dir, activeFile), []byte(newest+"\n"))
	case err != nil:
		return fmt.Errorf("token keys: %w", err)
	}
	kid := strings.TrimSpace(string(data))
	k, ok := s.keys[kid]
	if !ok || k.priv == nil {
		return fmt.Errorf("token keys %s: active key %q has no private key file", s.dir, kid)
	}
	s.active = kid
	return nil
}

func readKeyFile(path string, private bool) (*key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("token key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("token key %s: no PEM block", path)
	}
	var k *key
	if private {
		var parsed any
		switch block.Type {
		case "PRIVATE KEY":
			parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			parsed, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			parsed, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		default:
			err = fmt.Errorf("PEM type %q", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("token key %s: %w", path, err)
		}
		signer, ok := parsed.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("token key %s: %w: %T", path, ErrUnsupportedKey, parsed)
		}
		k, err = newKey(signer.Public(), signer)
	} else {
		var pub any
		if pub, err = x509.ParsePKIXPublicKey(block.Bytes); err == nil {
			k, err = newKey(pub, nil)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("token key %s: %w", path, err)
	}
	k.file = path
	return k, nil
}

// newKey checks the key type and computes alg and kid.
func newKey(pub crypto.PublicKey, priv crypto.Signer) (*key, error) {
	k := &key{pub: pub, priv: priv}
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		if p.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: ECDSA curve %s (want P-256)", ErrUnsupportedKey, p.Curve.Params().Name)
		}
		k.alg = ES256
	case *rsa.PublicKey:
		if p.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("%w: RSA key of %d bits (want at least %d)", ErrUnsupportedKey, p.N.BitLen(), minRSABits)
		}
		k.alg = RS256
	default:
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
	}
	jwk, err := publicJWK(k)
	if err != nil {
		return nil, err
	}
	k.id = thumbprint(jwk)
	return k, nil
}

// jwk is a public JSON Web Key (RFC 7517) as published in the JWKS.
type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use,omitempty"`
	Alg string `json:"alg,omitempty"`
	Kid string `json:"kid,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

var b64url = base64.RawURLEncoding

func publicJWK(k *key) (jwk, error) {
	switch p := k.pub.(type) {
	case *ecdsa.PublicKey:
		point, err := p.Bytes() // 0x04 || X || Y, coordinates padded to 32 bytes
		if err != nil {
			return jwk{}, fmt.Errorf("%w: %w", ErrUnsupportedKey, err)
		}
		return jwk{Kty: "EC", Crv: "P-256", X: b64url.EncodeToString(point[1:33]), Y: b64url.EncodeToString(point[33:])}, nil
	case *rsa.PublicKey:
		return jwk{Kty: "RSA", N: b64url.EncodeToString(p.N.Bytes()), E: b64url.EncodeToString(big.NewInt(int64(p.E)).Bytes())}, nil
	}
	return jwk{}, fmt.Errorf("%w: %T", ErrUnsupportedKey, k.pub)
}

// thumbprint is the RFC 7638 SHA-256 thumbprint of j: the hash of the
// required members in lexicographic order, without whitespace.
func thumbprint(j jwk) string {
	var canon string
	if j.Kty == "EC" {
		canon = fmt.Sprintf(`{"crv":%q,"kty":"EC","x":%q,"y":%q}`, j.Crv, j.X, j.Y)
	} else {
		canon = fmt.Sprintf(`{"e":%q,"kty":"RSA","n":%q}`, j.E, j.N)
	}
	sum := sha256.Sum256([]byte(canon))
	return b64url.EncodeToString(sum[:])
}

// Rotate creates a new ES256 key, makes it the active signer and returns its
// kid. Older keys keep verifying until retired; retire them once no token
// they signed can still be in use (the access token TTL, or the refresh
// token TTL if refresh tokens were issued).
func (s *KeySet) Rotate() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rotateLocked()
}

func (s *KeySet) rotateLocked() (string, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", fmt.Errorf("generate token key: %w", err)
	}
	k, err := newKey(priv.Public(), priv)
	if err != nil {
		return "", err
	}
	if s.dir != "" {
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		if err != nil {
			return "", fmt.Errorf("encode token key: %w", err)
		}
		k.file = filepath.Join(s.dir, k.id+privateSuffix)
		if err := writeFileAtomic(k.file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
			return "", err
		}
		if err := writeFileAtomic(filepath.Join(s.dir, activeFile), []byte(k.id+"\n")); err != nil {
			return "", err
		}
	}
	s.keys[k.id] = k
	s.active = k.id
	return k.id, nil
}

// Retire removes a key, so tokens it signed no longer verify. It returns
// ErrActiveKey for the active key (Rotate first) and ErrUnknownKey for a kid
// not in the set.
func (s *KeySet) Retire(kid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[kid]
	switch {
	case !ok:
		return fmt.Errorf("retire %q: %w", kid, ErrUnknownKey)
	case kid == s.active:
		return fmt.Errorf("retire %q: %w", kid, ErrActiveKey)
	}
	if k.file != "" {
		if err := os.Remove(k.file); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("retire %q: %w", kid, err)
		}
		if err := syncDir(s.dir); err != nil {
			return fmt.Errorf("retire %q: %w", kid, err)
		}
	}
	delete(s.keys, kid)
	return nil
}

// Trust adds a public key (ECDSA P-256 or RSA, at least 2048 bits) that
// verifies tokens but never signs, e.g. the key of a previous installation,
// and returns its kid. In a LoadOrCreate set it is also written as
// "<kid>.pub.pem".
func (s *KeySet) Trust(pub crypto.PublicKey) (string, error) {
	k, err := newKey(pub, nil)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[k.id]; ok {
		return k.id, nil
	}
	if s.dir != "" {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return "", fmt.Errorf("encode token key: %w", err)
		}
		k.file = filepath.Join(s.dir, k.id+publicSuffix)
		if err := writeFileAtomic(k.file, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})); err != nil {
			return "", err
		}
	}
	s.keys[k.id] = k
	return k.id, nil
}

// ActiveKeyID returns the kid of the signing key.
func (s *KeySet) ActiveKeyID() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.active
}

// KeyIDs returns the kids of all keys, sorted.
func (s *KeySet) KeyIDs() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]string, 0, len(s.keys))
	for id := range s.keys {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// PublicKey returns the public key with the given kid.
func (s *KeySet) PublicKey(kid string) (crypto.PublicKey, bool) {
	k, ok := s.lookup(kid)
	if !ok {
		return nil, false
	}
	return k.pub, true
}

func (s *KeySet) lookup(kid string) (*key, bool) {
	s.mu.RLock()
	k, ok := s.keys[kid]
	s.mu.RUnlock()
	return k, ok
}

func (s *KeySet) signer() *key {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.keys[s.active]
}

// JWKS returns the public keys as a JSON Web Key Set (RFC 7517 section 5),
// each with kid, alg and "use":"sig", sorted by kid. A Distribution registry
// can use it as its auth.token.jwks file to trust Berth's tokens.
func (s *KeySet) JWKS() ([]byte, error) {
	s.mu.RLock()
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, 0, len(s.keys))}
	for _, k := range s.keys {
		j, err := publicJWK(k)
		if err != nil {
			s.mu.RUnlock()
			return nil, err
		}
		j.Use, j.Alg, j.Kid = "sig", k.alg, k.id
		set.Keys = append(set.Keys, j)
	}
	s.mu.RUnlock()
	slices.SortFunc(set.Keys, func(a, b jwk) int { return strings.Compare(a.Kid, b.Kid) })
	return json.Marshal(set)
}

// writeFileAtomic writes data to path with mode 0600 through a temporary
// file in the same directory, synced and renamed over path, then syncs the
// directory, so a crash leaves either the old or the new file.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
