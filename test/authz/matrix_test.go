package authz

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/berth-oci/berth/internal/config"
	"github.com/berth-oci/berth/test/internal/berthtest"
)

const adminPassword = "Matrix-Admin-1"

// env is a running Berth with the matrix's projects, users and robots.
type env struct {
	t      *testing.T
	url    string
	creds  map[string][2]string // principal -> username, secret
	images map[string]string    // repository -> manifest digest
}

func newEnv(t *testing.T) *env {
	t.Helper()
	cfg := config.Default().WithDataDir(t.TempDir())
	cfg.Auth.AdminPassword = adminPassword
	e := &env{t: t, url: berthtest.Serve(t, cfg), creds: map[string][2]string{"admin": {"admin", adminPassword}}, images: map[string]string{}}
	e.setup()
	return e
}

// Harbor role ids.
var roleIDs = map[string]int{"projectAdmin": 1, "developer": 2, "guest": 3, "maintainer": 4, "limitedGuest": 5}

func (e *env) setup() {
	t := e.t
	for _, p := range []struct {
		name   string
		public bool
	}{{"pub", true}, {"priv", false}, {"other", false}} {
		e.api("admin", http.MethodPost, "/api/v2.0/projects", map[string]any{"project_name": p.name, "metadata": map[string]string{"public": fmt.Sprint(p.public)}}, http.StatusCreated)
	}
	for _, u := range []string{"guest", "limitedGuest", "developer", "maintainer", "projectAdmin", "outsider"} {
		pw := "Pw-" + u + "-123"
		e.api("admin", http.MethodPost, "/api/v2.0/users", map[string]any{"username": u, "password": pw, "email": u + "@example.com", "realname": u}, http.StatusCreated)
		e.creds[u] = [2]string{u, pw}
		if id, ok := roleIDs[u]; ok {
			for _, p := range []string{"pub", "priv"} {
				e.api("admin", http.MethodPost, "/api/v2.0/projects/"+p+"/members", map[string]any{"role_id": id, "member_user": map[string]string{"username": u}}, http.StatusCreated)
			}
		}
	}
	// Project robots of priv, one per registry permission.
	for _, r := range []struct{ name, actions string }{{"pull", "pull"}, {"push", "pull,push"}, {"delete", "pull,delete"}} {
		var acc []map[string]string
		for _, a := range strings.Split(r.actions, ",") {
			acc = append(acc, map[string]string{"resource": "repository", "action": a})
		}
		body := map[string]any{"name": r.name, "level": "project", "duration": -1,
			"permissions": []map[string]any{{"kind": "project", "namespace": "priv", "access": acc}}}
		var out struct{ Name, Secret string }
		json.Unmarshal(e.api("admin", http.MethodPost, "/api/v2.0/robots", body, http.StatusCreated), &out)
		if out.Secret == "" || out.Name != "robot$priv+"+r.name {
			t.Fatalf("robot %s: got %+v", r.name, out)
		}
		e.creds["robot-"+r.name] = [2]string{out.Name, out.Secret}
	}
	for _, repo := range []string{"pub/app", "priv/app", "other/app"} {
		e.images[repo] = e.pushImage("admin", repo, "v1")
	}
}

// api calls the management API as who and checks the status.
func (e *env) api(who, method, path string, body any, want int) []byte {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.url+path, rd)
	req.Header.Set("Content-Type", "application/json")
	e.authorize(req, who, "")
	resp, b := e.send(req)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s as %s = %d %s, want %d", method, path, who, resp.StatusCode, b, want)
	}
	return b
}

func (e *env) send(req *http.Request) (*http.Response, []byte) {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// authorize adds who's credentials: basic auth, or with scope != "" a token
// from the token service for that scope.
func (e *env) authorize(req *http.Request, who, scope string) {
	e.t.Helper()
	if who == "anonymous" {
		if scope != "" {
			req.Header.Set("Authorization", "Bearer "+e.token("", scope))
		}
		return
	}
	c, ok := e.creds[who]
	if !ok {
		e.t.Fatalf("no credentials for %s", who)
	}
	if scope == "" {
		req.SetBasicAuth(c[0], c[1])
		return
	}
	req.Header.Set("Authorization", "Bearer "+e.token(who, scope))
}

func (e *env) token(who, scope string) string {
	e.t.Helper()
	q := url.Values{"service": {"berth-registry"}, "scope": strings.Split(scope, " ")}
	req, _ := http.NewRequest(http.MethodGet, e.url+"/service/token?"+q.Encode(), nil)
	if who != "" {
		c := e.creds[who]
		req.SetBasicAuth(c[0], c[1])
	}
	resp, b := e.send(req)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("token for %s %q = %d %s", who, scope, resp.StatusCode, b)
	}
	var tr struct{ Token string }
	if err := json.Unmarshal(b, &tr); err != nil || tr.Token == "" {
		e.t.Fatalf("token response %s: %v", b, err)
	}
	return tr.Token
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// pushImage pushes a one-layer image as who with basic auth and returns
// its manifest digest.
func (e *env) pushImage(who, repo, tag string) string {
	e.t.Helper()
	layer := []byte("layer of " + repo + " " + tag)
	cfgBlob := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`)
	for _, b := range [][]byte{layer, cfgBlob} {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/v2/"+repo+"/blobs/uploads/?digest="+digestOf(b), bytes.NewReader(b))
		e.authorize(req, who, "")
		if resp, body := e.send(req); resp.StatusCode != http.StatusCreated {
			e.t.Fatalf("push blob to %s as %s = %d %s", repo, who, resp.StatusCode, body)
		}
	}
	m, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digestOf(cfgBlob), "size": len(cfgBlob)},
		"layers": []map[string]any{{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digestOf(layer), "size": len(layer)}},
	})
	req, _ := http.NewRequest(http.MethodPut, e.url+"/v2/"+repo+"/manifests/"+tag, bytes.NewReader(m))
	req.Header.Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
	e.authorize(req, who, "")
	if resp, body := e.send(req); resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("push manifest %s:%s as %s = %d %s", repo, tag, who, resp.StatusCode, body)
	}
	return digestOf(m)
}

// op is one operation of the matrix: it runs as who against project and
// returns the status.
type op struct {
	name  string
	scope func(project string) string // token scope it needs, "" for basic-only ops
	run   func(e *env, who, project, scope string) int
}

func registryOp(name, action string, build func(e *env, project string) *http.Request) op {
	return op{
		name: name,
		scope: func(project string) string {
			return "repository:" + project + "/app:" + action
		},
		run: func(e *env, who, project, scope string) int {
			req := build(e, project)
			e.authorize(req, who, scope)
			resp, _ := e.send(req)
			return resp.StatusCode
		},
	}
}

var ops = []op{
	registryOp("pull", "pull", func(e *env, p string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, e.url+"/v2/"+p+"/app/manifests/v1", nil)
		req.Header.Set("Accept", "application/vnd.oci.image.manifest.v1+json")
		return req
	}),
	registryOp("tags", "pull", func(e *env, p string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, e.url+"/v2/"+p+"/app/tags/list", nil)
		return req
	}),
	registryOp("referrers", "pull", func(e *env, p string) *http.Request {
		req, _ := http.NewRequest(http.MethodGet, e.url+"/v2/"+p+"/app/referrers/"+e.images[p+"/app"], nil)
		return req
	}),
	registryOp("push", "pull,push", func(e *env, p string) *http.Request {
		b := []byte("pushed blob " + p)
		req, _ := http.NewRequest(http.MethodPost, e.url+"/v2/"+p+"/app/blobs/uploads/?digest="+digestOf(b), bytes.NewReader(b))
		return req
	}),
	registryOp("delete", "delete", func(e *env, p string) *http.Request {
		// A fresh manifest each time, so an allowed delete has something to delete.
		d := e.pushImage("admin", p+"/app", "del"+fmt.Sprint(len(e.images)))
		e.images[p+"/del"+d] = d
		req, _ := http.NewRequest(http.MethodDelete, e.url+"/v2/"+p+"/app/manifests/"+d, nil)
		return req
	}),
	{
		// Mounting from a private project the caller cannot read must
		// not mount (201) but fall back to an ordinary upload (202).
		name:  "mount-from-unreadable",
		scope: func(p string) string { return "repository:" + p + "/app:pull,push repository:other/app:pull" },
		run: func(e *env, who, p, scope string) int {
			req, _ := http.NewRequest(http.MethodPost, e.url+"/v2/"+p+"/app/blobs/uploads/?mount="+digestOf([]byte("layer of other/app v1"))+"&from=other/app", nil)
			e.authorize(req, who, scope)
			resp, _ := e.send(req)
			return resp.StatusCode
		},
	},
	{
		name: "api-list-repositories",
		run: func(e *env, who, p, _ string) int {
			req, _ := http.NewRequest(http.MethodGet, e.url+"/api/v2.0/projects/"+p+"/repositories", nil)
			e.authorize(req, who, "")
			resp, _ := e.send(req)
			return resp.StatusCode
		},
	},
	{
		name: "api-list-members",
		run: func(e *env, who, p, _ string) int {
			req, _ := http.NewRequest(http.MethodGet, e.url+"/api/v2.0/projects/"+p+"/members", nil)
			e.authorize(req, who, "")
			resp, _ := e.send(req)
			return resp.StatusCode
		},
	},
	{
		name: "api-add-member",
		run: func(e *env, who, p, _ string) int {
			b, _ := json.Marshal(map[string]any{"role_id": 3, "member_user": map[string]string{"username": "outsider"}})
			req, _ := http.NewRequest(http.MethodPost, e.url+"/api/v2.0/projects/"+p+"/members", bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			e.authorize(req, who, "")
			resp, _ := e.send(req)
			if resp.StatusCode == http.StatusCreated {
				// Undo, so the next principal's attempt is not a conflict.
				var ms []struct {
					ID         int64  `json:"id"`
					EntityName string `json:"entity_name"`
				}
				json.Unmarshal(e.api("admin", http.MethodGet, "/api/v2.0/projects/"+p+"/members?page_size=100", nil, http.StatusOK), &ms)
				for _, m := range ms {
					if m.EntityName == "outsider" {
						e.api("admin", http.MethodDelete, fmt.Sprintf("/api/v2.0/projects/%s/members/%d", p, m.ID), nil, http.StatusOK)
					}
				}
			}
			return resp.StatusCode
		},
	},
}

// allowed is the expected matrix, written from Harbor's role definitions
// (not from Berth's code): principal -> project kind -> allowed operations.
// "mount-from-unreadable" lists who may push (and so gets 202, not 201).
var allowed = map[string]map[string][]string{
	"admin":        {"pub": all, "priv": all},
	"projectAdmin": {"pub": all, "priv": all},
	"maintainer":   {"pub": except("api-add-member"), "priv": except("api-add-member")},
	"developer":    {"pub": writers("pull", "tags", "referrers", "push", "api-list-repositories", "api-list-members"), "priv": writers("pull", "tags", "referrers", "push", "api-list-repositories", "api-list-members")},
	"guest":        {"pub": readers("api-list-members"), "priv": readers("api-list-members")},
	"limitedGuest": {"pub": readers(), "priv": readers()},
	"outsider":     {"pub": readers(), "priv": nil},
	"anonymous":    {"pub": readers(), "priv": nil},
	// Project robots of priv: on the public project they read like anyone.
	"robot-pull":   {"pub": readers(), "priv": {"pull", "tags", "referrers"}},
	"robot-push":   {"pub": readers(), "priv": writers("pull", "tags", "referrers", "push")},
	"robot-delete": {"pub": readers(), "priv": {"pull", "tags", "referrers", "delete"}},
}

var all = []string{"pull", "tags", "referrers", "push", "delete", "mount-from-unreadable", "api-list-repositories", "api-list-members", "api-add-member"}

func except(x ...string) []string {
	return slices.DeleteFunc(slices.Clone(all), func(s string) bool { return slices.Contains(x, s) })
}

func readers(extra ...string) []string {
	return append([]string{"pull", "tags", "referrers", "api-list-repositories"}, extra...)
}

func writers(ops ...string) []string { return append(ops, "mount-from-unreadable") }

// expected returns the status an operation should get.
func expected(o op, who, project string, ok, bearer bool) []int {
	if ok {
		switch o.name {
		case "push":
			return []int{http.StatusCreated}
		case "delete":
			return []int{http.StatusAccepted}
		case "mount-from-unreadable":
			if who == "admin" {
				return []int{http.StatusCreated} // admins may read other/app: a real mount
			}
			return []int{http.StatusAccepted}
		case "api-add-member":
			return []int{http.StatusCreated}
		}
		return []int{http.StatusOK}
	}
	if who == "anonymous" || (bearer && o.scope != nil) {
		return []int{http.StatusUnauthorized}
	}
	if o.scope == nil && project == "priv" {
		// The API may hide a private project from a caller who cannot
		// read it (404) or refuse (403); either way nothing leaks.
		return []int{http.StatusForbidden, http.StatusNotFound}
	}
	return []int{http.StatusForbidden}
}

func TestPermissionMatrix(t *testing.T) {
	e := newEnv(t)
	principals := []string{"anonymous", "admin", "projectAdmin", "maintainer", "developer", "guest", "limitedGuest", "outsider", "robot-pull", "robot-push", "robot-delete"}
	for _, mode := range []string{"basic", "bearer"} {
		for _, who := range principals {
			for _, project := range []string{"pub", "priv"} {
				for _, o := range ops {
					if mode == "bearer" && o.scope == nil {
						continue // API routes take no registry tokens
					}
					name := fmt.Sprintf("%s/%s/%s/%s", mode, who, project, o.name)
					ok := slices.Contains(allowed[who][project], o.name)
					scope := ""
					if mode == "bearer" {
						scope = o.scope(project)
					}
					got := o.run(e, who, project, scope)
					if want := expected(o, who, project, ok, mode == "bearer"); !slices.Contains(want, got) {
						t.Errorf("%s = %d, want %v", name, got, want)
					}
				}
			}
		}
	}
}

// TestCatalogFiltered checks that the catalog lists exactly the
// repositories each caller may pull.
func TestCatalogFiltered(t *testing.T) {
	e := newEnv(t)
	want := map[string][]string{
		"admin":      {"other/app", "priv/app", "pub/app"},
		"developer":  {"priv/app", "pub/app"},
		"outsider":   {"pub/app"},
		"robot-pull": {"priv/app", "pub/app"},
	}
	for who, repos := range want {
		for _, mode := range []string{"basic", "bearer"} {
			req, _ := http.NewRequest(http.MethodGet, e.url+"/v2/_catalog?n=1", nil)
			scope := ""
			if mode == "bearer" {
				scope = "registry:catalog:*"
			}
			var got []string
			for req != nil {
				e.authorize(req, who, scope)
				resp, b := e.send(req)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s %s catalog = %d %s", mode, who, resp.StatusCode, b)
				}
				var c struct{ Repositories []string }
				json.Unmarshal(b, &c)
				got = append(got, c.Repositories...)
				req = nil
				if l := resp.Header.Get("Link"); l != "" {
					next := strings.TrimSuffix(strings.TrimPrefix(strings.Split(l, ";")[0], "<"), ">")
					req, _ = http.NewRequest(http.MethodGet, e.url+next, nil)
				}
			}
			if !slices.Equal(got, repos) {
				t.Errorf("%s catalog as %s = %v, want %v", mode, who, got, repos)
			}
		}
	}
	// Anonymous callers cannot list the catalog at all.
	req, _ := http.NewRequest(http.MethodGet, e.url+"/v2/_catalog", nil)
	if resp, _ := e.send(req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous catalog = %d, want 401", resp.StatusCode)
	}
}
