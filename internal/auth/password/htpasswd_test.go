package password

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/crypto/bcrypt"
)

func writeFile(t *testing.T, path, content string, mtime time.Time) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func TestParseHtpasswd(t *testing.T) {
	t.Parallel()
	alice := mustBcrypt(t, "alice-pw", bcrypt.MinCost)
	bob := "$2y$" + mustBcrypt(t, "bob-pw", bcrypt.MinCost)[4:]
	content := strings.Join([]string{
		"# comment",
		"",
		"alice:" + alice,
		"bob:" + bob + "\r",
		"carol:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/",
		"dave:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
		"erin:rqXexS6ZhobKA",
		"no-colon-line",
		":" + alice,
		"alice:" + alice,
		"frank:$2a$99$" + alice[7:],
	}, "\n")
	users, skipped, err := ParseHtpasswd(strings.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"alice": alice, "bob": bob}, users); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	type skip struct {
		Line int
		User string
		Is   error
	}
	want := []skip{
		{5, "carol", ErrUnsupportedHash},
		{6, "dave", ErrUnsupportedHash},
		{7, "erin", ErrUnsupportedHash},
		{8, "", nil},
		{9, "", nil},
		{10, "alice", ErrDuplicateUser},
		{11, "frank", ErrMalformedHash},
	}
	var got []skip
	for _, e := range skipped {
		var le *LineError
		if !errors.As(e, &le) {
			t.Fatalf("skipped error %v is not a *LineError", e)
		}
		s := skip{Line: le.Line, User: le.User}
		for _, target := range []error{ErrUnsupportedHash, ErrDuplicateUser, ErrMalformedHash} {
			if errors.Is(e, target) {
				s.Is = target
			}
		}
		got = append(got, s)
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	if msg := skipped[0].Error(); !strings.Contains(msg, `line 5 (user "carol")`) || !strings.Contains(msg, "$apr1$") ||
		!strings.Contains(msg, "htpasswd -B") {
		t.Errorf("error message %q is not clear about the line, user, scheme and fix", msg)
	}
}

func TestHtpasswdAuthenticateAndReload(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "htpasswd")
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	writeFile(t, path, "alice:"+mustBcrypt(t, "alice-pw", bcrypt.MinCost)+"\n", t0)
	h, err := OpenHtpasswd(path)
	if err != nil {
		t.Fatal(err)
	}
	check := func(user, pw string, want bool) {
		t.Helper()
		if got := h.Authenticate(user, pw); got != want {
			t.Errorf("Authenticate(%q, %q) = %v, want %v", user, pw, got, want)
		}
	}
	check("alice", "alice-pw", true)
	check("alice", "wrong", false)
	check("alice", "", false)
	check("bob", "bob-pw", false)
	check("Alice", "alice-pw", false)

	if changed, err := h.Reload(); changed || err != nil {
		t.Errorf("Reload of an untouched file = %v, %v; want false, nil", changed, err)
	}
	// Touched but identical content: not a change.
	writeFile(t, path, "alice:"+mustBcrypt(t, "alice-pw", bcrypt.MinCost)+"\n", t0.Add(time.Second))
	if changed, err := h.Reload(); !changed || err != nil {
		t.Errorf("Reload after rewrite = %v, %v; want true, nil (new salt, new content)", changed, err)
	}

	writeFile(t, path, "bob:"+mustBcrypt(t, "bob-pw", bcrypt.MinCost)+"\nmallory:$apr1$x$y\n", t0.Add(2*time.Second))
	if changed, err := h.Reload(); !changed || err != nil {
		t.Fatalf("Reload = %v, %v; want true, nil", changed, err)
	}
	check("alice", "alice-pw", false)
	check("bob", "bob-pw", true)
	if diff := cmp.Diff([]string{"bob"}, h.Users()); diff != "" {
		t.Errorf("Users (-want +got):\n%s", diff)
	}
	if len(h.Skipped()) != 1 || !errors.Is(h.Skipped()[0], ErrUnsupportedHash) {
		t.Errorf("Skipped = %v, want one ErrUnsupportedHash", h.Skipped())
	}
	if !h.Has("bob") || h.Has("alice") {
		t.Error("Has disagrees with the file")
	}

	// A vanished file is an error, and the old contents stay in effect.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Reload(); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Reload of a missing file error = %v, want ErrNotExist", err)
	}
	check("bob", "bob-pw", true)

	if _, err := OpenHtpasswd(path); err == nil {
		t.Error("OpenHtpasswd of a missing file succeeded")
	}
}

// TestHtpasswdUnknownUserChecksDummy shows that an unknown user costs a
// bcrypt comparison against a hash of the file's usual cost.
func TestHtpasswdUnknownUserChecksDummy(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "htpasswd")
	const cost = bcrypt.MinCost + 2
	writeFile(t, path, "alice:"+mustBcrypt(t, "alice-pw", cost)+"\nbob:"+mustBcrypt(t, "x", cost)+
		"\ncarol:"+mustBcrypt(t, "y", bcrypt.MinCost)+"\n", time.Now())
	h, err := OpenHtpasswd(path)
	if err != nil {
		t.Fatal(err)
	}
	var checked [][]byte
	h.verify = func(hash []byte, secret string) (bool, error) {
		checked = append(checked, hash)
		return verifyBcrypt(hash, secret)
	}
	if h.Authenticate("nobody", "alice-pw") {
		t.Fatal("unknown user authenticated")
	}
	if len(checked) != 1 {
		t.Fatalf("unknown user: %d hash checks, want 1", len(checked))
	}
	if c, err := bcrypt.Cost(checked[0]); err != nil || c != cost {
		t.Errorf("dummy hash cost = %d, %v; want %d (the most common cost)", c, err, cost)
	}

	// Timing, coarsely: the unknown-user path must cost about a real check.
	h.verify = verifyBcrypt
	measure := func(user string) time.Duration {
		start := time.Now()
		for range 5 {
			h.Authenticate(user, "wrong")
		}
		return time.Since(start)
	}
	known, unknown := measure("alice"), measure("nobody")
	if unknown < known/4 {
		t.Errorf("unknown user took %v, known user %v: timing reveals existence", unknown, known)
	}
}
