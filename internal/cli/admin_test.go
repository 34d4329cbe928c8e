package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/berth-oci/berth/internal/auth/password"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/meta/sqlstore"
)

// openTestStore opens the SQLite store under --data, as berth serve would
// with its defaults (internal/app's opener also applies the configuration,
// which tests of this package may not import).
func openTestStore(ctx context.Context, f StoreFlags, _ func(string) string) (AdminStore, error) {
	return sqlstore.Open(ctx, sqlstore.DriverSQLite, filepath.Join(f.Data, "berth.db"), nil)
}

// adminRun runs "berth admin args..." with stdin.
func adminRun(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	e, out, errs := testEnv(stdin, nil)
	code = Admin(openTestStore)(t.Context(), e, args)
	return out.String(), errs.String(), code
}

// storedUser reads a user straight from the store.
func storedUser(t *testing.T, dir, username string) meta.User {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), sqlstore.DriverSQLite, filepath.Join(dir, "berth.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.GetUserByName(t.Context(), username)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func checkPassword(t *testing.T, u meta.User, secret string) {
	t.Helper()
	if u.PasswordHash == "" || strings.Contains(u.PasswordHash, secret) {
		t.Fatalf("password of %s is not stored hashed: %q", u.Username, u.PasswordHash)
	}
	ok, err := password.Verify(u.PasswordHash, secret)
	if err != nil || !ok {
		t.Fatalf("password.Verify(%s) = %v, %v", u.Username, ok, err)
	}
}

var generatedRE = regexp.MustCompile(`(?m)^    (\S+)$`)

// generated returns the password a command printed.
func generated(t *testing.T, stdout string) string {
	t.Helper()
	m := generatedRE.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no generated password in %q", stdout)
	}
	return m[1]
}

func TestAdminUsers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()

	// A user with a password from standard input.
	out, errs, code := adminRun(t, "Alice-Pass-1\n", "create-user", "alice", "--admin", "--email", "a@example.com", "--password-stdin", "--data", dir)
	if code != 0 {
		t.Fatalf("create-user alice: %d\n%s%s", code, out, errs)
	}
	if !strings.Contains(out, "Created user alice (id 1, system admin).") || strings.Contains(out, "Alice-Pass-1") {
		t.Errorf("create-user output: %q", out)
	}
	alice := storedUser(t, dir, "alice")
	checkPassword(t, alice, "Alice-Pass-1")
	if !alice.Sysadmin || alice.Email != "a@example.com" || alice.Source != meta.SourceLocal {
		t.Errorf("alice stored as %+v", alice)
	}

	// A user with a generated password, which is printed once.
	out, errs, code = adminRun(t, "", "create-user", "--data", dir, "bob")
	if code != 0 {
		t.Fatalf("create-user bob: %d\n%s%s", code, out, errs)
	}
	bob := storedUser(t, dir, "bob")
	checkPassword(t, bob, generated(t, out))
	if bob.Sysadmin {
		t.Error("bob is a system admin")
	}

	// Usernames are unique.
	if _, errs, code = adminRun(t, "", "create-user", "bob", "--data", dir); code != 1 || !strings.Contains(errs, `user "bob" already exists`) {
		t.Errorf("second create-user bob: %d %q", code, errs)
	}

	// reset-password, generated and from standard input.
	out, _, code = adminRun(t, "", "reset-password", "alice", "--data", dir)
	if code != 0 {
		t.Fatalf("reset-password: %d", code)
	}
	newPass := generated(t, out)
	checkPassword(t, storedUser(t, dir, "alice"), newPass)
	if ok, _ := password.Verify(storedUser(t, dir, "alice").PasswordHash, "Alice-Pass-1"); ok {
		t.Error("the old password still works")
	}
	if out, _, code = adminRun(t, "Typed-Pass-2\r\n", "reset-password", "bob", "--password-stdin", "--data", dir); code != 0 || strings.Contains(out, "Typed") {
		t.Fatalf("reset-password --password-stdin: %d %q", code, out)
	}
	checkPassword(t, storedUser(t, dir, "bob"), "Typed-Pass-2")
	if _, errs, code = adminRun(t, "", "reset-password", "carol", "--data", dir); code != 1 || !strings.Contains(errs, `no user "carol"`) {
		t.Errorf("reset-password carol: %d %q", code, errs)
	}
	if _, errs, code = adminRun(t, "\n", "reset-password", "bob", "--password-stdin", "--data", dir); code != 1 || !strings.Contains(errs, "empty") {
		t.Errorf("reset-password with an empty line: %d %q", code, errs)
	}

	// list-users, as a table and as JSON without hashes.
	out, _, code = adminRun(t, "", "list-users", "--data", dir)
	if code != 0 {
		t.Fatalf("list-users: %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "USERNAME  ID  EMAIL          ADMIN") ||
		!strings.HasPrefix(lines[1], "alice     1   a@example.com  yes") || !strings.HasPrefix(lines[2], "bob       2   -              no") {
		t.Errorf("list-users table:\n%s", out)
	}
	out, _, code = adminRun(t, "", "list-users", "--data", dir, "--output", "json")
	var users []map[string]any
	if err := json.Unmarshal([]byte(out), &users); code != 0 || err != nil {
		t.Fatalf("list-users json: %d %v\n%s", code, err, out)
	}
	if len(users) != 2 || users[0]["username"] != "alice" || users[0]["sysadmin_flag"] != true || strings.Contains(out, "argon2") {
		t.Errorf("list-users json: %s", out)
	}
}

func TestAdminStoreError(t *testing.T) {
	t.Parallel()
	e, _, stderr := testEnv("", nil)
	fail := func(context.Context, StoreFlags, func(string) string) (AdminStore, error) {
		return nil, context.DeadlineExceeded
	}
	if code := Admin(fail)(t.Context(), e, []string{"list-users"}); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "berth admin list-users: open the metadata store: context deadline exceeded") {
		t.Errorf("stderr: %s", stderr)
	}
}
