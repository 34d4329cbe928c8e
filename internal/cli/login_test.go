package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeAuthServer answers /users/current for alice:pw (200) and robot$ci:sec
// (403, as Berth answers robots) and 401 otherwise; /projects lists one
// project named after the caller, so tests see which credentials were sent.
func fakeAuthServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ := r.BasicAuth()
		switch {
		case r.URL.Path == "/api/v2.0/projects":
			w.Header().Set("X-Total-Count", "1")
			fmt.Fprintf(w, `[{"project_id":1,"name":%q}]`, "as-"+user)
		case user == "alice" && pass == "pw":
			fmt.Fprint(w, `{"user_id":1,"username":"alice"}`)
		case user == "robot$ci" && pass == "sec":
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"errors":[{"code":"FORBIDDEN","message":"only users may do this"}]}`)
		default:
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"errors":[{"code":"UNAUTHORIZED","message":"invalid username or password"}]}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestLogin(t *testing.T) {
	t.Parallel()
	srv := fakeAuthServer(t)
	tests := []struct {
		name     string
		args     []string
		stdin    string
		vars     map[string]string
		terminal bool
		code     int
		stderr   string
		user     string // stored username when code is 0
		secret   string
	}{
		{name: "prompts on a terminal", terminal: true, stdin: "alice\n", code: 0, stderr: "Username: Password: ", user: "alice", secret: "pw"},
		{name: "password from stdin", args: []string{"-u", "alice", "--password-stdin"}, stdin: "pw\r\n", user: "alice", secret: "pw"},
		{name: "password from env", args: []string{"--username", "alice"}, vars: map[string]string{envPassword: "pw"}, user: "alice", secret: "pw"},
		{name: "username from env", vars: map[string]string{envUsername: "alice", envPassword: "pw"}, user: "alice", secret: "pw"},
		{name: "robot", args: []string{"-u", "robot$ci", "--password-stdin"}, stdin: "sec\n", user: "robot$ci", secret: "sec"},
		{name: "wrong password", args: []string{"-u", "alice", "--password-stdin"}, stdin: "nope\n", code: 1, stderr: "login failed: invalid username or password (HTTP 401 UNAUTHORIZED)"},
		{name: "no terminal for the username", code: 1, stderr: "no username (use --username or BERTH_USERNAME): standard input is not a terminal"},
		{name: "no terminal for the password", args: []string{"-u", "alice"}, code: 1, stderr: "no password: use --password-stdin or BERTH_PASSWORD (standard input is not a terminal, so berth cannot prompt)"},
		{name: "empty stdin", args: []string{"-u", "alice", "--password-stdin"}, code: 1, stderr: "--password-stdin: read standard input: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "sub", "cli.json")
			vars := map[string]string{envCLIConfig: path}
			for k, v := range tt.vars {
				vars[k] = v
			}
			e, stdout, stderr := testEnv(tt.stdin, vars)
			e.Terminal = tt.terminal
			e.ReadPassword = func() (string, error) { return "pw", nil }
			code := Login(t.Context(), e, append(tt.args, srv.URL))
			if code != tt.code || !strings.Contains(stderr.String(), tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.stderr)
			}
			if code != 0 {
				if _, err := os.Stat(path); err == nil {
					t.Error("a failed login wrote the credentials file")
				}
				return
			}
			if !strings.Contains(stdout.String(), "Logged in to "+srv.URL+" as "+tt.user) {
				t.Errorf("stdout %q", stdout)
			}
			cfg, err := loadConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Current != srv.URL || cfg.Servers[srv.URL] != (credentials{tt.user, tt.secret}) {
				t.Errorf("stored %+v", cfg)
			}
			fi, err := os.Stat(path)
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("credentials file: %v, %v", fi.Mode(), err)
			}
			if di, err := os.Stat(filepath.Dir(path)); err != nil || di.Mode().Perm() != 0o700 {
				t.Errorf("credentials directory: %v, %v", di.Mode(), err)
			}
		})
	}
}

// TestServerChoice checks which server and credentials the remote commands
// use: --server over BERTH_SERVER over the last login; BERTH_USERNAME and
// BERTH_PASSWORD over stored credentials.
func TestServerChoice(t *testing.T) {
	t.Parallel()
	a, b := fakeAuthServer(t), fakeAuthServer(t)
	path := filepath.Join(t.TempDir(), "cli.json")
	cfg := cliConfig{Current: a.URL, Servers: map[string]credentials{
		a.URL: {"alice", "pw"},
		b.URL: {"robot$ci", "sec"},
	}}
	if err := saveConfig(path, cfg); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		vars map[string]string
		want string // the project the fake server names after the caller
	}{
		{"last login", nil, nil, "as-alice"},
		{"BERTH_SERVER", nil, map[string]string{envServer: b.URL + "/"}, "as-robot$ci"},
		{"--server over BERTH_SERVER", []string{"--server", a.URL}, map[string]string{envServer: b.URL}, "as-alice"},
		{"credentials from env", nil, map[string]string{envUsername: "carol", envPassword: "x"}, "as-carol"},
		{"unknown server is anonymous", []string{"--server", "http://127.0.0.1:1"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vars := map[string]string{envCLIConfig: path}
			for k, v := range tt.vars {
				vars[k] = v
			}
			e, stdout, stderr := testEnv("", vars)
			code := Project(t.Context(), e, append([]string{"list", "-o", "json"}, tt.args...))
			if tt.want == "" {
				if code != 1 || !strings.Contains(stderr.String(), "connection refused") {
					t.Errorf("exit %d, stderr %q", code, stderr)
				}
				return
			}
			var ps []struct{ Name string }
			if err := json.Unmarshal(stdout.Bytes(), &ps); code != 0 || err != nil || len(ps) != 1 || ps[0].Name != tt.want {
				t.Errorf("exit %d, %v, stdout %q, stderr %q; want %s", code, err, stdout, stderr, tt.want)
			}
		})
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cli.json")
	if err := saveConfig(path, cliConfig{Current: "http://a:1", Servers: map[string]credentials{
		"http://a:1": {"u", "s"}, "https://b.example": {"v", "t"},
	}}); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		e, stdout, stderr := testEnv("", map[string]string{envCLIConfig: path})
		if code := Logout(t.Context(), e, args); code != 0 {
			t.Fatalf("logout %v: %d %s", args, code, stderr)
		}
		return stdout.String() + stderr.String()
	}
	if out := run("b.example"); !strings.Contains(out, "Removed the credentials of https://b.example.") {
		t.Errorf("logout b.example: %q", out)
	}
	if out := run(); !strings.Contains(out, "Removed the credentials of http://a:1.") {
		t.Errorf("logout: %q", out)
	}
	if out := run(); !strings.Contains(out, "Not logged in to any server.") {
		t.Errorf("second logout: %q", out)
	}
	cfg, err := loadConfig(path)
	if err != nil || cfg.Current != "" || len(cfg.Servers) != 0 {
		t.Errorf("after logout: %+v %v", cfg, err)
	}
}
