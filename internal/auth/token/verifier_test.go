package token_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-oci/berth/internal/auth/token"
)

const (
	testIssuer  = "berth-token"
	testService = "reg.example"
)

// t0 is the test clock's start.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newIssuer(t *testing.T, ks *token.KeySet, edit func(*token.IssuerOptions)) *token.Issuer {
	t.Helper()
	opt := token.IssuerOptions{Issuer: testIssuer, Service: testService}
	if edit != nil {
		edit(&opt)
	}
	iss, err := token.NewIssuer(ks, opt)
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

func newVerifier(t *testing.T, ks *token.KeySet, edit func(*token.VerifierOptions)) *token.Verifier {
	t.Helper()
	opt := token.VerifierOptions{Issuer: testIssuer, Service: testService}
	if edit != nil {
		edit(&opt)
	}
	v, err := token.NewVerifier(ks, opt)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func at(tm time.Time) func() time.Time { return func() time.Time { return tm } }

func TestNewIssuerVerifierOptions(t *testing.T) {
	t.Parallel()
	ks, err := token.NewKeySet()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		ks   *token.KeySet
		iss  string
		svc  string
	}{
		{"no keys", nil, testIssuer, testService},
		{"no issuer", ks, "", testService},
		{"no service", ks, testIssuer, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := token.NewIssuer(tt.ks, token.IssuerOptions{Issuer: tt.iss, Service: tt.svc}); err == nil {
				t.Error("NewIssuer succeeded")
			}
			if _, err := token.NewVerifier(tt.ks, token.VerifierOptions{Issuer: tt.iss, Service: tt.svc}); err == nil {
				t.Error("NewVerifier succeeded")
			}
		})
	}
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	t.Parallel()
	ks, err := token.NewKeySet()
	if err != nil {
		t.Fatal(err)
	}
	now := t0.Add(500 * time.Millisecond) // truncated to the second in the token
	iss := newIssuer(t, ks, func(o *token.IssuerOptions) { o.Now = at(now) })
	v := newVerifier(t, ks, func(o *token.VerifierOptions) { o.Now = at(now) })
	grant := []token.Access{{Type: "repository", Name: "p/x", Actions: []string{"pull", "push"}}}

	tests := []struct {
		name    string
		ttl     time.Duration
		wantTTL int
	}{
		{"default", 0, int(token.DefaultTTL / time.Second)},
		{"explicit", 10 * time.Minute, 600},
		{"below minimum", time.Second, 60},
		{"fractional", 90*time.Second + 300*time.Millisecond, 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, expiresIn, issuedAt, err := iss.Issue("alice", grant, tt.ttl)
			if err != nil {
				t.Fatal(err)
			}
			if expiresIn != tt.wantTTL || !issuedAt.Equal(t0) {
				t.Errorf("Issue = expires_in %d issued_at %v, want %d %v", expiresIn, issuedAt, tt.wantTTL, t0)
			}
			c, err := v.Verify(tok)
			if err != nil {
				t.Fatal(err)
			}
			want := &token.Claims{
				Issuer: testIssuer, Subject: "alice", Audience: []string{testService},
				ExpiresAt: t0.Add(time.Duration(tt.wantTTL) * time.Second), NotBefore: t0, IssuedAt: t0,
				ID: c.ID, Access: grant, KeyID: ks.ActiveKeyID(),
			}
			if diff := cmp.Diff(want, c); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
			if c.ID == "" {
				t.Error("no jti")
			}
			header, payload := decodeParts(t, tok)
			if header["alg"] != "ES256" || header["kid"] != ks.ActiveKeyID() || header["typ"] != "JWT" {
				t.Errorf("header = %v", header)
			}
			// aud is a single string, as older Distribution verifiers want.
			if payload["aud"] != testService {
				t.Errorf("aud = %#v, want the string %q", payload["aud"], testService)
			}
		})
	}

	t.Run("anonymous, no access", func(t *testing.T) {
		t.Parallel()
		tok, _, _, err := iss.Issue("", nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, payload := decodeParts(t, tok)
		if a, ok := payload["access"].([]any); !ok || len(a) != 0 {
			t.Errorf("access = %#v, want an empty array", payload["access"])
		}
		c, err := v.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		if c.Subject != "" || len(c.Access) != 0 {
			t.Errorf("claims = %+v", c)
		}
	})

	t.Run("grant is copied", func(t *testing.T) {
		t.Parallel()
		g := []token.Access{{Type: "repository", Name: "p/y", Actions: []string{"pull"}}}
		tok, _, _, err := iss.Issue("alice", g, 0)
		if err != nil {
			t.Fatal(err)
		}
		c, err := v.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		c.Access[0].Actions[0] = "push"
		if g[0].Actions[0] != "pull" {
			t.Error("claims share the caller's slice")
		}
	})

	t.Run("refresh", func(t *testing.T) {
		t.Parallel()
		if _, err := iss.IssueRefresh("", "cli"); err == nil {
			t.Error("refresh token without subject issued")
		}
		rt, err := iss.IssueRefresh("alice", "docker")
		if err != nil {
			t.Fatal(err)
		}
		c, err := v.VerifyRefresh(rt)
		if err != nil {
			t.Fatal(err)
		}
		if c.Subject != "alice" || c.ClientID != "docker" || !c.IssuedAt.Equal(t0) ||
			!c.ExpiresAt.Equal(t0.Add(token.DefaultRefreshTTL)) || len(c.Access) != 0 {
			t.Errorf("refresh claims = %+v", c)
		}
		if diff := cmp.Diff([]string{token.RefreshAudience(testService)}, c.Audience); diff != "" {
			t.Errorf("refresh aud (-want +got):\n%s", diff)
		}
		_, payload := decodeParts(t, rt)
		if _, ok := payload["access"]; ok {
			t.Error("refresh token carries an access claim")
		}
	})
}

// TestVerifyRSA signs with an RSA key brought from elsewhere.
func TestVerifyRSA(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writePKCS8(t, dir+"/harbor.key.pem", newRSAKey(t, 2048))
	ks, err := token.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	tok, _, _, err := newIssuer(t, ks, nil).Issue("alice", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := decodeParts(t, tok); h["alg"] != "RS256" {
		t.Errorf("alg = %v, want RS256", h["alg"])
	}
	if _, err := newVerifier(t, ks, nil).Verify(tok); err != nil {
		t.Fatal(err)
	}
}

func writePKCS8(t *testing.T, path string, k crypto.Signer) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func decodeParts(t *testing.T, tok string) (header, payload map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	for i, dst := range []*map[string]any{&header, &payload} {
		b, err := b64.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, payload
}

// jws assembles a compact JWS from a header, claims and a signing function
// over the signing input, as an attacker would by hand.
func jws(t *testing.T, header, claims map[string]any, sign func(input []byte) []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(c)
	var sig []byte
	if sign != nil {
		sig = sign([]byte(input))
	}
	return input + "." + b64.EncodeToString(sig)
}

func es256(t *testing.T, k *ecdsa.PrivateKey) func([]byte) []byte {
	return func(input []byte) []byte {
		sum := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, k, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig
	}
}

func rs256(t *testing.T, k *rsa.PrivateKey) func([]byte) []byte {
	return func(input []byte) []byte {
		sum := sha256.Sum256(input)
		sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
}

func hs256(secret []byte) func([]byte) []byte {
	return func(input []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(input)
		return m.Sum(nil)
	}
}

// TestVerifyRefuses is the hardening table: every token below must be
// refused with ErrInvalidToken and the one specific sentinel.
func TestVerifyRefuses(t *testing.T) {
	t.Parallel()
	// The set trusts an ECDSA signer and an RSA verification-only key
	// whose private half the test holds, so that tokens can be forged for
	// every kind of kid.
	signer := newECKey(t, elliptic.P256())
	rsaKey := newRSAKey(t, 2048)
	dir := t.TempDir()
	writePKCS8(t, dir+"/a.key.pem", signer)
	ks, err := token.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	ecKid := ks.ActiveKeyID()
	rsaKid, err := ks.Trust(rsaKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	ecPub, _ := ks.PublicKey(ecKid)
	pubDER, err := x509.MarshalPKIXPublicKey(ecPub)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	jwksBytes, err := ks.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	attacker := newECKey(t, elliptic.P256())

	now := t0
	iss := newIssuer(t, ks, func(o *token.IssuerOptions) { o.Now = at(now) })
	v := newVerifier(t, ks, func(o *token.VerifierOptions) { o.Now = at(now) })
	good, _, _, err := iss.Issue("alice", []token.Access{{Type: "repository", Name: "p/x", Actions: []string{"pull"}}}, 0)
	if err != nil {
		t.Fatal(err)
	}
	refresh, err := iss.IssueRefresh("alice", "cli")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(good); err != nil {
		t.Fatalf("control token refused: %v", err)
	}

	claims := func(edit func(map[string]any)) map[string]any {
		c := map[string]any{
			"iss": testIssuer, "sub": "alice", "aud": testService,
			"exp": now.Add(5 * time.Minute).Unix(), "nbf": now.Unix(), "iat": now.Unix(), "jti": "x",
			"access": []map[string]any{{"type": "repository", "name": "p/x", "actions": []string{"*"}}},
		}
		if edit != nil {
			edit(c)
		}
		return c
	}
	hdr := func(alg, kid string) map[string]any {
		h := map[string]any{"alg": alg, "typ": "JWT"}
		if kid != "" {
			h["kid"] = kid
		}
		return h
	}
	// forged is signed by the real key, so only its claims are wrong.
	forged := func(edit func(map[string]any)) string {
		return jws(t, hdr("ES256", ecKid), claims(edit), es256(t, signer))
	}
	if _, err := v.Verify(forged(nil)); err != nil {
		t.Fatalf("hand-made control token refused: %v", err)
	}
	parts := strings.Split(good, ".")

	tests := []struct {
		name    string
		tok     string
		refresh bool // VerifyRefresh instead of Verify
		want    error
	}{
		// Time.
		{"expired", forged(func(c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() }), false, token.ErrExpired},
		{"not yet valid", forged(func(c map[string]any) { c["nbf"] = now.Add(time.Minute).Unix() }), false, token.ErrNotYetValid},
		{"issued in the future", forged(func(c map[string]any) { c["iat"] = now.Add(time.Minute).Unix() }), false, token.ErrNotYetValid},
		{"no exp", forged(func(c map[string]any) { delete(c, "exp") }), false, token.ErrMalformed},
		// Signatures.
		{"other key, same kid", jws(t, hdr("ES256", ecKid), claims(nil), es256(t, attacker)), false, token.ErrInvalidSignature},
		{"tampered payload", parts[0] + "." + b64.EncodeToString(mustJSON(t, claims(nil))) + "." + parts[2], false, token.ErrInvalidSignature},
		{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(forged(nil), ".")[2], false, token.ErrInvalidSignature},
		{"empty signature", parts[0] + "." + parts[1] + ".", false, token.ErrInvalidSignature},
		// Algorithms.
		{"alg none", jws(t, hdr("none", ecKid), claims(nil), nil), false, token.ErrUnsupportedAlgorithm},
		{"alg None", jws(t, hdr("None", ecKid), claims(nil), nil), false, token.ErrUnsupportedAlgorithm},
		{"alg missing", jws(t, map[string]any{"kid": ecKid}, claims(nil), nil), false, token.ErrUnsupportedAlgorithm},
		{"HS256 with public key PEM", jws(t, hdr("HS256", ecKid), claims(nil), hs256(pubPEM)), false, token.ErrUnsupportedAlgorithm},
		{"HS256 with public key DER", jws(t, hdr("HS256", ecKid), claims(nil), hs256(pubDER)), false, token.ErrUnsupportedAlgorithm},
		{"HS256 with JWKS", jws(t, hdr("HS256", ecKid), claims(nil), hs256(jwksBytes)), false, token.ErrUnsupportedAlgorithm},
		{"HS256 with RSA key", jws(t, hdr("HS256", rsaKid), claims(nil), hs256(x509.MarshalPKCS1PublicKey(&rsaKey.PublicKey))), false, token.ErrUnsupportedAlgorithm},
		{"ES384", jws(t, hdr("ES384", ecKid), claims(nil), es256(t, signer)), false, token.ErrUnsupportedAlgorithm},
		{"PS256", jws(t, hdr("PS256", rsaKid), claims(nil), rs256(t, rsaKey)), false, token.ErrUnsupportedAlgorithm},
		{"RS256 header on ECDSA kid", jws(t, hdr("RS256", ecKid), claims(nil), rs256(t, rsaKey)), false, token.ErrInvalidSignature},
		{"ES256 header on RSA kid", jws(t, hdr("ES256", rsaKid), claims(nil), es256(t, signer)), false, token.ErrInvalidSignature},
		// Keys.
		{"unknown kid", jws(t, hdr("ES256", "nope"), claims(nil), es256(t, attacker)), false, token.ErrUnknownKey},
		{"no kid", jws(t, hdr("ES256", ""), claims(nil), es256(t, signer)), false, token.ErrUnknownKey},
		{"kid not a string", jws(t, map[string]any{"alg": "ES256", "kid": 7}, claims(nil), es256(t, signer)), false, token.ErrUnknownKey},
		// Issuer and audience.
		{"wrong issuer", forged(func(c map[string]any) { c["iss"] = "evil" }), false, token.ErrWrongIssuer},
		{"no issuer", forged(func(c map[string]any) { delete(c, "iss") }), false, token.ErrMalformed},
		{"wrong audience", forged(func(c map[string]any) { c["aud"] = "other.example" }), false, token.ErrWrongAudience},
		{"wrong audience array", forged(func(c map[string]any) { c["aud"] = []string{"a", "b"} }), false, token.ErrWrongAudience},
		{"no audience", forged(func(c map[string]any) { delete(c, "aud") }), false, token.ErrMalformed},
		// Token kinds.
		{"refresh token as access token", refresh, false, token.ErrWrongTokenType},
		{"access token as refresh token", good, true, token.ErrWrongTokenType},
		{"token_use refresh with access audience", forged(func(c map[string]any) { c["token_use"] = "refresh" }), false, token.ErrWrongTokenType},
		{"unknown token_use", forged(func(c map[string]any) { c["token_use"] = "id" }), false, token.ErrWrongTokenType},
		{"refresh audience without token_use", forged(func(c map[string]any) {
			c["aud"] = token.RefreshAudience(testService)
		}), true, token.ErrWrongTokenType},
		// Shape.
		{"empty", "", false, token.ErrMalformed},
		{"garbage", "not a token", false, token.ErrMalformed},
		{"two parts", parts[0] + "." + parts[1], false, token.ErrMalformed},
		{"four parts", good + ".x", false, token.ErrMalformed},
		{"bad base64 header", "!!!." + parts[1] + "." + parts[2], false, token.ErrMalformed},
		{"padded base64", parts[0] + "=." + parts[1] + "." + parts[2], false, token.ErrMalformed},
		{"header not JSON", b64.EncodeToString([]byte("{")) + "." + parts[1] + "." + parts[2], false, token.ErrMalformed},
		{"claims not JSON", parts[0] + "." + b64.EncodeToString([]byte("[1]")) + "." + parts[2], false, token.ErrMalformed},
		{"aud a number", forged(func(c map[string]any) { c["aud"] = 7 }), false, token.ErrMalformed},
		{"oversize", jws(t, hdr("ES256", ecKid), claims(func(c map[string]any) {
			c["pad"] = strings.Repeat("a", token.MaxTokenSize)
		}), es256(t, signer)), false, token.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			verify := v.Verify
			if tt.refresh {
				verify = v.VerifyRefresh
			}
			c, err := verify(tt.tok)
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			if c != nil {
				t.Errorf("claims returned with error: %+v", c)
			}
			if !errors.Is(err, token.ErrInvalidToken) || !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want ErrInvalidToken and %v", err, tt.want)
			}
			// Exactly one specific sentinel.
			n := 0
			for _, s := range []error{token.ErrMalformed, token.ErrUnsupportedAlgorithm, token.ErrUnknownKey,
				token.ErrInvalidSignature, token.ErrExpired, token.ErrNotYetValid, token.ErrWrongIssuer,
				token.ErrWrongAudience, token.ErrWrongTokenType} {
				if errors.Is(err, s) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("err = %v wraps %d specific sentinels, want 1", err, n)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVerifyClock covers the leeway around exp and nbf with the Now option.
func TestVerifyClock(t *testing.T) {
	t.Parallel()
	ks, err := token.NewKeySet()
	if err != nil {
		t.Fatal(err)
	}
	tok, _, _, err := newIssuer(t, ks, func(o *token.IssuerOptions) { o.Now = at(t0) }).Issue("alice", nil, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	exp := t0.Add(time.Minute)
	tests := []struct {
		name   string
		now    time.Time
		leeway time.Duration
		want   error
	}{
		{"at issue", t0, 0, nil},
		{"just before exp", exp.Add(-time.Second), 0, nil},
		{"within leeway after exp", exp.Add(token.DefaultLeeway - time.Second), 0, nil},
		{"beyond leeway after exp", exp.Add(token.DefaultLeeway + time.Second), 0, token.ErrExpired},
		{"no leeway, after exp", exp.Add(time.Second), -1, token.ErrExpired},
		{"long after", exp.Add(24 * time.Hour), 0, token.ErrExpired},
		{"within leeway before nbf", t0.Add(-token.DefaultLeeway + time.Second), 0, nil},
		{"beyond leeway before nbf", t0.Add(-token.DefaultLeeway - time.Second), 0, token.ErrNotYetValid},
		{"no leeway, before nbf", t0.Add(-time.Second), -1, token.ErrNotYetValid},
		{"wide leeway", exp.Add(time.Hour), 2 * time.Hour, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := newVerifier(t, ks, func(o *token.VerifierOptions) { o.Now, o.Leeway = at(tt.now), tt.leeway })
			_, err := v.Verify(tok)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tt.want) || !errors.Is(err, token.ErrInvalidToken) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestVerifyOtherService: a token for one registry is no good at another
// sharing the keys, and a verifier with another issuer refuses it.
func TestVerifyOtherService(t *testing.T) {
	t.Parallel()
	ks, err := token.NewKeySet()
	if err != nil {
		t.Fatal(err)
	}
	tok, _, _, err := newIssuer(t, ks, nil).Issue("alice", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newVerifier(t, ks, func(o *token.VerifierOptions) { o.Service = "other" }).Verify(tok); !errors.Is(err, token.ErrWrongAudience) {
		t.Errorf("other service: %v, want ErrWrongAudience", err)
	}
	if _, err := newVerifier(t, ks, func(o *token.VerifierOptions) { o.Issuer = "other" }).Verify(tok); !errors.Is(err, token.ErrWrongIssuer) {
		t.Errorf("other issuer: %v, want ErrWrongIssuer", err)
	}
	other, err := token.NewKeySet()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newVerifier(t, other, nil).Verify(tok); !errors.Is(err, token.ErrUnknownKey) {
		t.Errorf("other key set: %v, want ErrUnknownKey", err)
	}
}
