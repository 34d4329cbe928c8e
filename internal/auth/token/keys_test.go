package token_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-oci/berth/internal/auth/token"
)

var b64 = base64.RawURLEncoding

// rfc7638N and rfc7638E are the RSA key of RFC 7638 section 3.1, whose
// thumbprint the RFC gives as rfc7638Kid.
const (
	rfc7638N = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAt" +
		"VT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn6" +
		"4tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FD" +
		"W2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n9" +
		"1CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINH" +
		"aQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
	rfc7638E   = "AQAB"
	rfc7638Kid = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
)

func rfc7638Key(t *testing.T) *rsa.PublicKey {
	t.Helper()
	n, err := b64.DecodeString(rfc7638N)
	if err != nil {
		t.Fatal(err)
	}
	e, err := b64.DecodeString(rfc7638E)
	if err != nil {
		t.Fatal(err)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
}

// ecThumbprint recomputes the RFC 7638 thumbprint of a P-256 key with
// encoding/json (which sorts map keys), independently of keys.go.
func ecThumbprint(t *testing.T, pub *ecdsa.PublicKey) string {
	t.Helper()
	point, err := pub.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	canon, err := json.Marshal(map[string]string{
		"kty": "EC", "crv": "P-256", "x": b64.EncodeToString(point[1:33]), "y": b64.EncodeToString(point[33:]),
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(canon)
	return b64.EncodeToString(sum[:])
}

func newECKey(t *testing.T, curve elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newRSAKey(t *testing.T, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestNewKeySet(t *testing.T) {
	t.Parallel()
	ks, err := token.NewKeySet()
	if err != nil {
		t.Fatal(err)
	}
	kid := ks.ActiveKeyID()
	if got := ks.KeyIDs(); !slices.Equal(got, []string{kid}) {
		t.Fatalf("KeyIDs = %v, want [%s]", got, kid)
	}
	pub, ok := ks.PublicKey(kid)
	if !ok {
		t.Fatal("PublicKey(active) not found")
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		t.Fatalf("active key is %T, want ECDSA P-256", pub)
	}
	if want := ecThumbprint(t, ec); kid != want {
		t.Errorf("kid = %s, want RFC 7638 thumbprint %s", kid, want)
	}
	if _, ok := ks.PublicKey("nope"); ok {
		t.Error("PublicKey(unknown) found")
	}
	if err := ks.Reload(); err != nil {
		t.Errorf("Reload of an in-memory set: %v", err)
	}
}

func TestTrustThumbprintVector(t *testing.T) {
	t.Parallel()
	ks, err := token.NewKeySet()
	if err != nil {
		t.Fatal(err)
	}
	kid, err := ks.Trust(rfc7638Key(t))
	if err != nil {
		t.Fatal(err)
	}
	if kid != rfc7638Kid {
		t.Errorf("kid = %s, want RFC 7638's %s", kid, rfc7638Kid)
	}
	// Trusting the same key again is a no-op.
	if again, err := ks.Trust(rfc7638Key(t)); err != nil || again != kid {
		t.Errorf("second Trust = %s, %v", again, err)
	}
	if ks.ActiveKeyID() == kid {
		t.Error("a trusted public key became the signer")
	}
	if len(ks.KeyIDs()) != 2 {
		t.Errorf("KeyIDs = %v, want 2", ks.KeyIDs())
	}
}

func TestTrustRefusesWeakKeys(t *testing.T) {
	t.Parallel()
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pub  crypto.PublicKey
		ok   bool
	}{
		{"P-256", newECKey(t, elliptic.P256()).Public(), true},
		{"RSA 2048", newRSAKey(t, 2048).Public(), true},
		{"RSA 1024", newRSAKey(t, 1024).Public(), false},
		{"RSA 2047", &rsa.PublicKey{N: new(big.Int).Lsh(big.NewInt(1), 2046), E: 65537}, false},
		{"P-384", newECKey(t, elliptic.P384()).Public(), false},
		{"P-521", newECKey(t, elliptic.P521()).Public(), false},
		{"Ed25519", edPub, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ks, err := token.NewKeySet()
			if err != nil {
				t.Fatal(err)
			}
			kid, err := ks.Trust(tt.pub)
			if tt.ok {
				if err != nil || kid == "" {
					t.Fatalf("Trust = %q, %v", kid, err)
				}
				return
			}
			if !errors.Is(err, token.ErrUnsupportedKey) {
				t.Fatalf("Trust = %q, %v; want ErrUnsupportedKey", kid, err)
			}
			if len(ks.KeyIDs()) != 1 {
				t.Errorf("refused key was added: %v", ks.KeyIDs())
			}
		})
	}
}

func TestLoadOrCreate(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys")
	ks, err := token.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	kid := ks.ActiveKeyID()
	if kid == "" {
		t.Fatal("no active key")
	}
	assertMode(t, dir, 0o700)
	assertMode(t, filepath.Join(dir, kid+".key.pem"), 0o600)
	assertMode(t, filepath.Join(dir, "active"), 0o600)
	if b, err := os.ReadFile(filepath.Join(dir, "active")); err != nil || strings.TrimSpace(string(b)) != kid {
		t.Errorf("active file = %q, %v; want %s", b, err, kid)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}

	// Loading again finds the same key rather than creating one.
	again, err := token.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.ActiveKeyID() != kid || !slices.Equal(again.KeyIDs(), []string{kid}) {
		t.Errorf("reload: active %s keys %v, want %s", again.ActiveKeyID(), again.KeyIDs(), kid)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("mode of %s = %o, want %o", filepath.Base(path), got, want)
	}
}

// TestRotateReloadRetire runs two processes' worth of KeySets over one
// directory: rotation in one is picked up by the other, old tokens keep
// verifying until the key is retired.
func TestRotateReloadRetire(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, err := token.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := token.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	old := a.ActiveKeyID()
	iss := newIssuer(t, a, nil)
	oldTok, _, _, err := iss.Issue("alice", nil, 0)
	if err != nil {
		t.Fatal(err)
	}

	fresh, err := a.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if fresh == old || a.ActiveKeyID() != fresh {
		t.Fatalf("Rotate = %s (old %s, active %s)", fresh, old, a.ActiveKeyID())
	}
	assertMode(t, filepath.Join(dir, fresh+".key.pem"), 0o600)
	if err := b.Reload(); err != nil {
		t.Fatal(err)
	}
	if b.ActiveKeyID() != fresh {
		t.Errorf("after Reload active = %s, want %s", b.ActiveKeyID(), fresh)
	}
	if want := []string{old, fresh}; !slices.Equal(b.KeyIDs(), sorted(want)) {
		t.Errorf("after Reload keys = %v, want %v", b.KeyIDs(), sorted(want))
	}

	// b verifies both the token signed before rotation and one signed after.
	vb := newVerifier(t, b, nil)
	newTok, _, _, err := newIssuer(t, a, nil).Issue("alice", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"old": oldTok, "new": newTok} {
		c, err := vb.Verify(tok)
		if err != nil {
			t.Fatalf("%s token: %v", name, err)
		}
		if want := map[string]string{"old": old, "new": fresh}[name]; c.KeyID != want {
			t.Errorf("%s token KeyID = %s, want %s", name, c.KeyID, want)
		}
	}

	if err := a.Retire(fresh); !errors.Is(err, token.ErrActiveKey) {
		t.Errorf("Retire(active) = %v, want ErrActiveKey", err)
	}
	if err := a.Retire("nope"); !errors.Is(err, token.ErrUnknownKey) {
		t.Errorf("Retire(unknown) = %v, want ErrUnknownKey", err)
	}
	if err := a.Retire(old); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, old+".key.pem")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("retired key file still there: %v", err)
	}
	if _, err := newVerifier(t, a, nil).Verify(oldTok); !errors.Is(err, token.ErrUnknownKey) {
		t.Errorf("token of retired key: %v, want ErrUnknownKey", err)
	}
	// b still trusts the old key until it reloads.
	if _, err := vb.Verify(oldTok); err != nil {
		t.Errorf("before Reload: %v", err)
	}
	if err := b.Reload(); err != nil {
		t.Fatal(err)
	}
	if _, err := vb.Verify(oldTok); !errors.Is(err, token.ErrUnknownKey) {
		t.Errorf("after Reload: %v, want ErrUnknownKey", err)
	}
	if _, err := vb.Verify(newTok); err != nil {
		t.Errorf("new token after Reload: %v", err)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestTrustPersists(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ks, err := token.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	other := newECKey(t, elliptic.P256())
	kid, err := ks.Trust(other.Public())
	if err != nil {
		t.Fatal(err)
	}
	assertMode(t, filepath.Join(dir, kid+".pub.pem"), 0o600)
	reloaded, err := token.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := reloaded.PublicKey(kid); !ok {
		t.Fatal("trusted key lost on reload")
	}
	if reloaded.ActiveKeyID() == kid {
		t.Error("trusted public key became the signer")
	}
	if err := reloaded.Retire(kid); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, kid+".pub.pem")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("retired public key file still there: %v", err)
	}
}

// TestLoadOrCreateForeignKeys loads keys copied in by hand: PKCS#8 and
// legacy PEM types, freely named, with and without an active pointer.
func TestLoadOrCreateForeignKeys(t *testing.T) {
	t.Parallel()
	ec := newECKey(t, elliptic.P256())
	rsaKey := newRSAKey(t, 2048)
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	}
	ecDER, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		files   map[string][]byte
		wantAlg string // of the active key; "" means LoadOrCreate fails
	}{
		{"pkcs8 ecdsa", map[string][]byte{"a.key.pem": pkcs8(ec)}, token.ES256},
		{"pkcs8 rsa", map[string][]byte{"harbor.key.pem": pkcs8(rsaKey)}, token.RS256},
		{"sec1 ecdsa", map[string][]byte{"a.key.pem": pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER})}, token.ES256},
		{"pkcs1 rsa", map[string][]byte{"a.key.pem": pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})}, token.RS256},
		{"weak rsa", map[string][]byte{"a.key.pem": pkcs8(newRSAKey(t, 1024))}, ""},
		{"p384", map[string][]byte{"a.key.pem": pkcs8(newECKey(t, elliptic.P384()))}, ""},
		{"not pem", map[string][]byte{"a.key.pem": []byte("hello")}, ""},
		{"wrong pem type", map[string][]byte{"a.key.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})}, ""},
		{"active names a missing key", map[string][]byte{"a.key.pem": pkcs8(ec), "active": []byte("nope\n")}, ""},
		{"ignored files", map[string][]byte{"a.key.pem": pkcs8(ec), "README": []byte("x"), "b.key.pem.bak": []byte("x")}, token.ES256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for name, data := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			ks, err := token.LoadOrCreate(dir)
			if tt.wantAlg == "" {
				if err == nil {
					t.Fatalf("LoadOrCreate succeeded with keys %v", ks.KeyIDs())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ks.KeyIDs()) != 1 {
				t.Errorf("keys = %v, want the one copied in", ks.KeyIDs())
			}
			if got := jwksAlg(t, ks, ks.ActiveKeyID()); got != tt.wantAlg {
				t.Errorf("alg = %s, want %s", got, tt.wantAlg)
			}
			// The pointer was written for the next start.
			if b, err := os.ReadFile(filepath.Join(dir, "active")); err != nil || strings.TrimSpace(string(b)) != ks.ActiveKeyID() {
				t.Errorf("active file = %q, %v", b, err)
			}
			// A token signed with it verifies.
			tok, _, _, err := newIssuer(t, ks, nil).Issue("alice", nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := newVerifier(t, ks, nil).Verify(tok); err != nil {
				t.Fatal(err)
			}
		})
	}
}

type jwksDoc struct {
	Keys []map[string]string `json:"keys"`
}

func jwksAlg(t *testing.T, ks *token.KeySet, kid string) string {
	t.Helper()
	b, err := ks.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	var doc jwksDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range doc.Keys {
		if k["kid"] == kid {
			return k["alg"]
		}
	}
	t.Fatalf("kid %s not in JWKS %s", kid, b)
	return ""
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	ks, err := token.NewKeySet()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Rotate(); err != nil {
		t.Fatal(err)
	}
	if _, err := ks.Trust(rfc7638Key(t)); err != nil {
		t.Fatal(err)
	}
	b, err := ks.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	var doc jwksDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range doc.Keys {
		kids = append(kids, k["kid"])
		if k["use"] != "sig" {
			t.Errorf("key %s use = %q", k["kid"], k["use"])
		}
		if _, ok := k["d"]; ok {
			t.Errorf("key %s publishes its private part", k["kid"])
		}
		switch k["kty"] {
		case "RSA":
			want := map[string]string{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": rfc7638Kid, "n": rfc7638N, "e": rfc7638E}
			if diff := cmp.Diff(want, k); diff != "" {
				t.Errorf("RSA JWK (-want +got):\n%s", diff)
			}
		case "EC":
			if k["alg"] != "ES256" || k["crv"] != "P-256" {
				t.Errorf("EC JWK %v", k)
			}
			pub, ok := ks.PublicKey(k["kid"])
			if !ok {
				t.Fatalf("JWKS kid %s unknown to the set", k["kid"])
			}
			if want := ecThumbprint(t, pub.(*ecdsa.PublicKey)); k["kid"] != want {
				t.Errorf("EC kid = %s, want thumbprint %s", k["kid"], want)
			}
			// The kid is the thumbprint of exactly the published members.
			canon, _ := json.Marshal(map[string]string{"crv": k["crv"], "kty": "EC", "x": k["x"], "y": k["y"]})
			sum := sha256.Sum256(canon)
			if b64.EncodeToString(sum[:]) != k["kid"] {
				t.Errorf("EC kid %s does not match its x, y", k["kid"])
			}
			if x, _ := b64.DecodeString(k["x"]); len(x) != 32 {
				t.Errorf("x is %d bytes, want 32", len(x))
			}
		default:
			t.Errorf("kty %q", k["kty"])
		}
	}
	if !slices.IsSorted(kids) || !slices.Equal(kids, ks.KeyIDs()) {
		t.Errorf("JWKS kids = %v, want sorted %v", kids, ks.KeyIDs())
	}
}

// TestKeySetConcurrent signs and verifies while another goroutine rotates,
// for the race detector.
func TestKeySetConcurrent(t *testing.T) {
	t.Parallel()
	ks, err := token.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	iss, v := newIssuer(t, ks, nil), newVerifier(t, ks, nil)
	done := make(chan error, 1)
	go func() {
		for range 5 {
			if _, err := ks.Rotate(); err != nil {
				done <- err
				return
			}
			if _, err := ks.JWKS(); err != nil {
				done <- err
				return
			}
		}
		done <- ks.Reload()
	}()
	for range 20 {
		tok, _, _, err := iss.Issue("alice", nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Verify(tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(ks.KeyIDs()); n != 6 {
		t.Errorf("%d keys after 5 rotations, want 6", n)
	}
}
