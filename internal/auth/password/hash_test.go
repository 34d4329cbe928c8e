package password

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// cheap are fast parameters for tests that do not measure cost.
var cheap = Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func newCheap(t testing.TB) *Hasher {
	t.Helper()
	h, err := NewHasher(cheap)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func mustBcrypt(t testing.TB, secret string, cost int) string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte(secret), cost)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDefaultHashFormat(t *testing.T) {
	t.Parallel()
	enc, err := Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("Hash = %q, want the PHC argon2id prefix with DefaultParams", enc)
	}
	parts := strings.Split(enc, "$")
	if salt, _ := base64.RawStdEncoding.DecodeString(parts[4]); len(salt) != 16 {
		t.Errorf("salt is %d bytes, want 16", len(salt))
	}
	if ok, err := Verify(enc, "correct horse"); !ok || err != nil {
		t.Errorf("Verify(right) = %v, %v; want true, nil", ok, err)
	}
	if ok, err := Verify(enc, "correct horsf"); ok || err != nil {
		t.Errorf("Verify(wrong) = %v, %v; want false, nil", ok, err)
	}
	if NeedsRehash(enc) {
		t.Error("NeedsRehash(fresh default hash) = true")
	}
	again, _ := Hash("correct horse")
	if again == enc {
		t.Error("two hashes of one secret are equal: salt not random")
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	h := newCheap(t)
	argon, err := h.Hash("s3cret")
	if err != nil {
		t.Fatal(err)
	}
	bc := mustBcrypt(t, "s3cret", bcrypt.MinCost)
	long := strings.Repeat("x", 80)
	bcLongPrefix := mustBcrypt(t, long[:72], bcrypt.MinCost)
	tests := []struct {
		name    string
		encoded string
		secret  string
		want    bool
		wantErr error
	}{
		{"argon2id match", argon, "s3cret", true, nil},
		{"argon2id mismatch", argon, "s3cre", false, nil},
		{"argon2id empty secret", argon, "", false, nil},
		{"bcrypt $2a$ match", bc, "s3cret", true, nil},
		{"bcrypt $2y$ match", "$2y$" + bc[4:], "s3cret", true, nil},
		{"bcrypt $2b$ match", "$2b$" + bc[4:], "s3cret", true, nil},
		{"bcrypt mismatch", bc, "S3cret", false, nil},
		{"bcrypt over 72 bytes refused, not truncated", bcLongPrefix, long, false, nil},
		{"bcrypt 72 bytes", bcLongPrefix, long[:72], true, nil},
		{"bcrypt cost too high", "$2a$31$" + bc[7:], "s3cret", false, ErrMalformedHash},
		{"bcrypt garbage", "$2a$10$short", "s3cret", false, ErrMalformedHash},
		{"md5 apr1", "$apr1$abc$def", "s3cret", false, ErrUnsupportedHash},
		{"plain text", "s3cret", "s3cret", false, ErrUnsupportedHash},
		{"empty", "", "", false, ErrUnsupportedHash},
		{"argon2i not argon2id", strings.Replace(argon, "argon2id", "argon2i", 1), "s3cret", false, ErrUnsupportedHash},
		{"argon2id wrong version", strings.Replace(argon, "v=19", "v=16", 1), "s3cret", false, ErrMalformedHash},
		{"argon2id huge memory", strings.Replace(argon, "m=64,", "m=99999999,", 1), "s3cret", false, ErrMalformedHash},
		{"argon2id zero time", strings.Replace(argon, "t=1,", "t=0,", 1), "s3cret", false, ErrMalformedHash},
		{"argon2id params reordered", strings.Replace(argon, "m=64,t=1", "t=1,m=64", 1), "s3cret", false, ErrMalformedHash},
		{"argon2id padded base64", argon + "=", "s3cret", false, ErrMalformedHash},
		{"argon2id extra field", argon + "$x", "s3cret", false, ErrMalformedHash},
		{"argon2id short key", argon[:strings.LastIndex(argon, "$")+1] + "AAAA", "s3cret", false, ErrMalformedHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := h.Verify(tt.encoded, tt.secret)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("Verify = %v, %v; want %v, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestHashRefuses(t *testing.T) {
	t.Parallel()
	h := newCheap(t)
	if _, err := h.Hash(""); !errors.Is(err, ErrEmptySecret) {
		t.Errorf("Hash(\"\") error = %v, want ErrEmptySecret", err)
	}
	if _, err := h.Hash(strings.Repeat("a", MaxSecretLength+1)); !errors.Is(err, ErrSecretTooLong) {
		t.Errorf("Hash(too long) error = %v, want ErrSecretTooLong", err)
	}
	if _, err := NewHasher(Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 4, KeyLength: 32}); err == nil {
		t.Error("NewHasher accepted a 4-byte salt")
	}
	if _, err := NewHasher(Params{}); err == nil {
		t.Error("NewHasher accepted zero Params")
	}
	if _, err := NewHasher(DefaultParams()); err != nil {
		t.Errorf("NewHasher(DefaultParams()) = %v", err)
	}
}

func TestNeedsRehash(t *testing.T) {
	t.Parallel()
	h := newCheap(t)
	current, _ := h.Hash("pw")
	stronger, err := NewHasher(Params{Memory: 128, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		hasher  *Hasher
		encoded string
		want    bool
	}{
		{"same params", h, current, false},
		{"params raised", stronger, current, true},
		{"bcrypt", h, mustBcrypt(t, "pw", bcrypt.MinCost), true},
		{"malformed", h, "$argon2id$v=19$m=1", true},
		{"unknown", h, "{SHA}abc", true},
	}
	for _, tt := range tests {
		if got := tt.hasher.NeedsRehash(tt.encoded); got != tt.want {
			t.Errorf("%s: NeedsRehash = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestGenerateSecret(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		s := GenerateSecret()
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(b) != SecretBytes {
			t.Fatalf("GenerateSecret() = %q: %d bytes, %v", s, len(b), err)
		}
		if strings.ContainsAny(s, "+/=") {
			t.Fatalf("GenerateSecret() = %q is not URL-safe", s)
		}
		if seen[s] {
			t.Fatalf("GenerateSecret() repeated %q", s)
		}
		seen[s] = true
	}
}

// TestDefaultCost keeps DefaultParams in the intended cost band; the bounds
// are loose because CI machines are shared.
func TestDefaultCost(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	enc, _ := Hash("pw")
	start := time.Now()
	const n = 3
	for range n {
		if ok, _ := Verify(enc, "pw"); !ok {
			t.Fatal("Verify failed")
		}
	}
	per := time.Since(start) / n
	t.Logf("argon2id verify with DefaultParams: %v", per)
	if per < 2*time.Millisecond || per > 2*time.Second {
		t.Errorf("verify took %v: DefaultParams are far outside the 20-50 ms target", per)
	}
}

func BenchmarkVerifyDefault(b *testing.B) {
	enc, _ := Hash("correct horse battery staple")
	b.ResetTimer()
	for b.Loop() {
		if ok, _ := Verify(enc, "correct horse battery staple"); !ok {
			b.Fatal("Verify failed")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}

func BenchmarkVerifyBcrypt10(b *testing.B) {
	enc := mustBcrypt(b, "correct horse battery staple", bcrypt.DefaultCost)
	b.ResetTimer()
	for b.Loop() {
		if ok, _ := Verify(enc, "correct horse battery staple"); !ok {
			b.Fatal("Verify failed")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}
