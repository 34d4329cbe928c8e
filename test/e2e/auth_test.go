package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// apiCall calls the management API of srv as the administrator and decodes
// the JSON answer into out (if not nil).
func apiCall(t *testing.T, ctx context.Context, srv *server, method, path string, body, out any, want int) {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	_, resp := mustDo(t, ctx, method, srv.url()+"/api/v2.0"+path, b, map[string]string{"Content-Type": "application/json"}, want)
	if out != nil {
		if err := json.Unmarshal(resp, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, resp)
		}
	}
}

// TestCLILoginUserAndRobot logs real clients in as an ordinary user and as
// a robot account, pushes and pulls through the token flow, and checks
// what each may not do.
func TestCLILoginUserAndRobot(t *testing.T) {
	srv := newServer(t)
	ctx := testCtx(t, 4*time.Minute)
	host := srv.localhost()

	// A private project, a developer in it, and a pull-only robot of it.
	apiCall(t, ctx, srv, http.MethodPost, "/projects", map[string]any{"project_name": "team", "metadata": map[string]string{"public": "false"}}, nil, http.StatusCreated)
	const devUser, devPass = "dev1", "Dev1-password"
	apiCall(t, ctx, srv, http.MethodPost, "/users", map[string]any{"username": devUser, "password": devPass, "email": "dev1@example.com", "realname": "Dev One"}, nil, http.StatusCreated)
	apiCall(t, ctx, srv, http.MethodPost, "/projects/team/members", map[string]any{"role_id": 2, "member_user": map[string]string{"username": devUser}}, nil, http.StatusCreated)
	newRobot := func(name string, actions ...string) (r struct{ Name, Secret string }) {
		var acc []map[string]string
		for _, a := range actions {
			acc = append(acc, map[string]string{"resource": "repository", "action": a})
		}
		apiCall(t, ctx, srv, http.MethodPost, "/robots", map[string]any{
			"name": name, "level": "project", "duration": -1,
			"permissions": []map[string]any{{"kind": "project", "namespace": "team", "access": acc}},
		}, &r, http.StatusCreated)
		if r.Name != "robot$team+"+name || r.Secret == "" {
			t.Fatalf("robot created as %+v", r)
		}
		return r
	}
	robot := newRobot("reader", "pull")
	ci := newRobot("ci", "pull", "push")

	payload := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(payload, []byte("release notes "+uniq(t)), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("oras as developer", func(t *testing.T) {
		c := newCLI(t, "oras")
		cfg := []string{"--plain-http", "--registry-config", filepath.Join(c.home(), "auth.json")}
		oras := func(args ...string) (string, error) { return c.try(ctx, append(args, cfg...)...) }
		if out, err := oras("login", host, "-u", devUser, "-p", "wrong-password"); err == nil {
			t.Fatalf("oras login with a wrong password succeeded:\n%s", out)
		}
		if out, err := oras("login", host, "-u", devUser, "-p", devPass); err != nil {
			t.Fatalf("oras login: %v\n%s", err, out)
		}
		c.dir = filepath.Dir(payload)
		if out, err := oras("push", host+"/team/notes:v1", "notes.txt:text/plain"); err != nil {
			t.Fatalf("oras push as developer: %v\n%s", err, out)
		}
		if out, err := oras("pull", host+"/team/notes:v1", "-o", t.TempDir()); err != nil {
			t.Fatalf("oras pull as developer: %v\n%s", err, out)
		}
		// A developer of team has nothing in library beyond public reads.
		if out, err := oras("push", host+"/library/notes:v1", "notes.txt:text/plain"); err == nil {
			t.Fatalf("oras push to library as developer succeeded:\n%s", out)
		}
	})

	t.Run("crane as pushing robot", func(t *testing.T) {
		c := newCLI(t, "crane")
		c.run(ctx, "auth", "login", host, "-u", ci.Name, "-p", ci.Secret)
		c.run(ctx, "--insecure", "copy", host+"/team/notes:v1", host+"/team/notes-copy:v1")
		want := strings.TrimSpace(c.run(ctx, "--insecure", "digest", host+"/team/notes:v1"))
		if got := strings.TrimSpace(c.run(ctx, "--insecure", "digest", host+"/team/notes-copy:v1")); got != want {
			t.Fatalf("copy by robot: digest %s, want %s", got, want)
		}
		// Its project is team: library is out of reach for pushes.
		if out, err := c.try(ctx, "--insecure", "copy", host+"/team/notes:v1", host+"/library/notes:v1"); err == nil {
			t.Fatalf("robot of team pushed to library:\n%s", out)
		}
	})

	t.Run("crane as robot", func(t *testing.T) {
		c := newCLI(t, "crane")
		c.run(ctx, "auth", "login", host, "-u", robot.Name, "-p", robot.Secret)
		d := strings.TrimSpace(c.run(ctx, "--insecure", "digest", host+"/team/notes:v1"))
		if !strings.HasPrefix(d, "sha256:") {
			t.Fatalf("crane digest as robot = %q", d)
		}
		// Pull-only: copying to a new tag is a push, refused.
		if out, err := c.try(ctx, "--insecure", "tag", host+"/team/notes:v1", "v2"); err == nil || !strings.Contains(strings.ToUpper(out), "UNAUTHORIZED") && !strings.Contains(strings.ToUpper(out), "DENIED") {
			t.Fatalf("crane tag as a pull-only robot: err %v\n%s", err, out)
		}
	})

	t.Run("regctl as robot", func(t *testing.T) {
		home := t.TempDir()
		c := newCLI(t, "regctl", "REGCTL_CONFIG="+filepath.Join(home, "regctl.json"))
		c.run(ctx, "registry", "set", host, "--tls", "disabled", "--skip-check")
		c.run(ctx, "registry", "login", host, "-u", robot.Name, "-p", robot.Secret)
		if out := c.run(ctx, "tag", "ls", host+"/team/notes"); !strings.Contains(out, "v1") {
			t.Fatalf("regctl tag ls as robot:\n%s", out)
		}
	})

	t.Run("skopeo as developer", func(t *testing.T) {
		authFile := filepath.Join(t.TempDir(), "auth.json")
		c := newCLI(t, "skopeo", "REGISTRY_AUTH_FILE="+authFile)
		c.run(ctx, "login", "--tls-verify=false", "-u", devUser, "-p", devPass, host)
		out := c.run(ctx, "--insecure-policy", "inspect", "--raw", "--tls-verify=false", "docker://"+host+"/team/notes:v1")
		if !strings.Contains(out, "schemaVersion") {
			t.Fatalf("skopeo inspect as developer:\n%s", out)
		}
	})

	t.Run("anonymous", func(t *testing.T) {
		c := newCLI(t, "crane")
		if out, err := c.try(ctx, "--insecure", "digest", host+"/team/notes:v1"); err == nil || !strings.Contains(strings.ToUpper(out), "UNAUTHORIZED") {
			t.Fatalf("anonymous crane digest of a private image: err %v\n%s", err, out)
		}
	})

	// Logins and pushes are in the audit log, with who did them.
	var events []struct {
		Username, Operation, Resource string
	}
	apiCall(t, ctx, srv, http.MethodGet, "/audit-logs?page_size=100", nil, &events, http.StatusOK)
	seen := map[string]bool{}
	for _, e := range events {
		seen[e.Username+" "+e.Operation] = true
	}
	for _, want := range []string{devUser + " login", devUser + " login_failed", devUser + " push", robot.Name + " pull"} {
		if !seen[want] {
			// Pulls are written in batches, at most a second late.
			time.Sleep(1500 * time.Millisecond)
			apiCall(t, ctx, srv, http.MethodGet, "/audit-logs?page_size=100", nil, &events, http.StatusOK)
			for _, e := range events {
				seen[e.Username+" "+e.Operation] = true
			}
		}
		if !seen[want] {
			t.Errorf("audit log lacks %q; have %v", want, seen)
		}
	}
}
