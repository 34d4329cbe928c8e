package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-oci/berth/internal/auth/password"
	"github.com/berth-oci/berth/internal/meta"
)

const (
	teamRobot   = `{"name":"builder","level":"project","duration":30,"permissions":[{"kind":"project","namespace":"team","access":[{"resource":"repository","action":"pull"},{"resource":"repository","action":"push"}]}]}`
	systemRobot = `{"name":"mirror","level":"system","duration":-1,"permissions":[{"kind":"project","namespace":"*","access":[{"resource":"repository","action":"pull"}]}]}`
)

func TestRobotsPermissions(t *testing.T) {
	t.Parallel()
	runMatrix(t, []matrixCase{
		// Create: project robots by project admins, system robots by
		// system admins; robots never create robots. Robots of a project
		// the caller may not read are as missing as the project (team's
		// robot may pull and push, not read the project).
		{"padmin", "POST", "/robots", teamRobot, http.StatusCreated},
		{"admin", "POST", "/robots", teamRobot, http.StatusCreated},
		{"maintainer", "POST", "/robots", teamRobot, http.StatusForbidden},
		{"dev", "POST", "/robots", teamRobot, http.StatusForbidden},
		{"robot", "POST", "/robots", teamRobot, http.StatusNotFound},
		{"outsider", "POST", "/robots", teamRobot, http.StatusNotFound},
		{"anonymous", "POST", "/robots", teamRobot, http.StatusUnauthorized},
		{"admin", "POST", "/robots", systemRobot, http.StatusCreated},
		{"padmin", "POST", "/robots", systemRobot, http.StatusForbidden},
		{"robot", "POST", "/robots", systemRobot, http.StatusForbidden},

		// Read: robot.read (maintainers and up) for project robots.
		{"maintainer", "GET", "/robots/{robot}", "", http.StatusOK},
		{"dev", "GET", "/robots/{robot}", "", http.StatusForbidden},
		{"robot", "GET", "/robots/{robot}", "", http.StatusNotFound},
		{"outsider", "GET", "/robots/{robot}", "", http.StatusNotFound},
		{"anonymous", "GET", "/robots/{robot}", "", http.StatusUnauthorized},
		{"admin", "GET", "/robots/999", "", http.StatusNotFound},
		{"anonymous", "GET", "/robots", "", http.StatusUnauthorized},
		{"dev", "GET", "/robots?q=Level%3Dsystem", "", http.StatusForbidden},
		{"dev", "GET", "/robots?q=Level%3Dproject,ProjectID%3D{team}", "", http.StatusForbidden},
		{"outsider", "GET", "/robots?q=Level%3Dproject,ProjectID%3D{team}", "", http.StatusNotFound},
		{"outsider", "GET", "/robots?q=ProjectID%3D999", "", http.StatusNotFound},
		{"outsider", "GET", "/robots", "", http.StatusOK},
		{"maintainer", "GET", "/robots?q=Level%3Dproject,ProjectID%3D{team}", "", http.StatusOK},

		// Write: robot.write (project admins).
		{"padmin", "DELETE", "/robots/{robot}", "", http.StatusOK},
		{"maintainer", "DELETE", "/robots/{robot}", "", http.StatusForbidden},
		{"robot", "DELETE", "/robots/{robot}", "", http.StatusNotFound},
		{"outsider", "DELETE", "/robots/{robot}", "", http.StatusNotFound},
		{"padmin", "PATCH", "/robots/{robot}", "", http.StatusOK},
		{"maintainer", "PATCH", "/robots/{robot}", "", http.StatusForbidden},
		{"robot", "PATCH", "/robots/{robot}", `{"secret":"Robot12345"}`, http.StatusNotFound},

		// Bad input.
		{"padmin", "POST", "/robots", `{"name":"x","level":"project","permissions":[{"kind":"project","namespace":"team","access":[{"resource":"helm-chart","action":"read"}]}]}`, http.StatusBadRequest},
		{"padmin", "POST", "/robots", `{"name":"x","level":"project","permissions":[{"kind":"project","namespace":"team","access":[]}]}`, http.StatusBadRequest},
		{"padmin", "POST", "/robots", `{"name":"Bad Name","level":"project","permissions":[{"kind":"project","namespace":"team","access":[{"resource":"repository","action":"pull"}]}]}`, http.StatusBadRequest},
		{"padmin", "POST", "/robots", `{"name":"x","level":"galaxy","permissions":[]}`, http.StatusBadRequest},
		{"padmin", "POST", "/robots", `{"name":"x","level":"project","permissions":[{"kind":"project","namespace":"*","access":[{"resource":"repository","action":"pull"}]}]}`, http.StatusBadRequest},
		{"padmin", "POST", "/robots", `{"name":"x","level":"project","duration":-5,"permissions":[{"kind":"project","namespace":"team","access":[{"resource":"repository","action":"pull"}]}]}`, http.StatusBadRequest},
		{"admin", "POST", "/robots", `{"name":"x","level":"system","permissions":[{"kind":"project","namespace":"nope","access":[{"resource":"repository","action":"pull"}]}]}`, http.StatusNotFound},
		{"admin", "POST", "/robots", `{"name":"x","level":"system","permissions":[{"kind":"system","namespace":"/","access":[{"resource":"user","action":"create"}]}]}`, http.StatusBadRequest},
		{"padmin", "POST", "/robots", `{"name":"x","level":"project","secret":"weak","permissions":[{"kind":"project","namespace":"team","access":[{"resource":"repository","action":"pull"}]}]}`, http.StatusBadRequest},
		{"padmin", "PATCH", "/robots/{robot}", `{"secret":"weakweakweak"}`, http.StatusBadRequest},
		{"padmin", "PATCH", "/robots/{robot}", `{"secret":`, http.StatusBadRequest},
		{"padmin", "PUT", "/robots/{robot}", `{"name":"robot$other","permissions":[{"kind":"project","namespace":"team","access":[{"resource":"repository","action":"pull"}]}]}`, http.StatusBadRequest},
		{"padmin", "PUT", "/robots/{robot}", `{"level":"system","permissions":[{"kind":"project","namespace":"team","access":[{"resource":"repository","action":"pull"}]}]}`, http.StatusBadRequest},
		{"padmin", "PUT", "/robots/{robot}", `{"permissions":[{"kind":"project","namespace":"pub","access":[{"resource":"repository","action":"pull"}]}]}`, http.StatusBadRequest},
	}, Options{})
}

func TestRobotLifecycle(t *testing.T) {
	t.Parallel()
	e := newIdentityEnv(t, Options{})
	ctx := context.Background()
	before := time.Now()
	w := e.do(t, "padmin", "POST", "/robots", `{"name":"builder","description":"CI","level":"project","duration":30,"permissions":[
		{"kind":"project","namespace":"team","access":[
			{"resource":"repository","action":"pull"},{"resource":"artifact","action":"delete"},
			{"resource":"tag","action":"create"},{"resource":"scan","action":"create"}]}]}`)
	want(t, w, http.StatusCreated)
	created := decode[map[string]any](t, w)
	if diff := cmp.Diff([]string{"creation_time", "expires_at", "id", "name", "secret"}, keys(created)); diff != "" {
		t.Errorf("created keys (-want +got):\n%s", diff)
	}
	cr := decode[robotCreatedJSON](t, w)
	if cr.Name != "robot$team+builder" {
		t.Errorf("name %q, want robot$team+builder", cr.Name)
	}
	if exp := time.Unix(cr.ExpiresAt, 0); exp.Before(before.Add(30*24*time.Hour-time.Minute)) || exp.After(time.Now().Add(30*24*time.Hour+time.Minute)) {
		t.Errorf("expires_at %v, want 30 days from now", exp)
	}

	// The secret is shown once and stored hashed.
	stored, err := e.store.GetRobot(ctx, cr.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cr.Secret == "" || stored.SecretHash == cr.Secret || strings.Contains(stored.SecretHash, cr.Secret) {
		t.Fatalf("secret %q stored as %q", cr.Secret, stored.SecretHash)
	}
	if ok, err := password.Verify(stored.SecretHash, cr.Secret); err != nil || !ok {
		t.Errorf("stored hash does not verify the secret: %v", err)
	}
	if diff := cmp.Diff([]meta.RobotPermission{{Project: "team", Actions: []string{"pull", "delete", "write", "scan"}}}, stored.Permissions); diff != "" {
		t.Errorf("stored permissions (-want +got):\n%s", diff)
	}

	w = e.do(t, "padmin", "GET", "/robots/"+itoa(cr.ID), "")
	want(t, w, http.StatusOK)
	if strings.Contains(w.Body.String(), cr.Secret) || strings.Contains(w.Body.String(), "argon2") {
		t.Errorf("GET leaks the secret: %s", w.Body)
	}
	shape := decode[map[string]any](t, w)
	wantKeys := []string{"creation_time", "description", "disable", "duration", "editable", "expires_at", "id", "level", "name", "permissions", "update_time"}
	if diff := cmp.Diff(wantKeys, keys(shape)); diff != "" {
		t.Errorf("robot keys (-want +got):\n%s", diff)
	}
	checkHarborTimes(t, shape, "creation_time", "update_time")
	checkHarborTimes(t, created, "creation_time")
	if _, ok := shape["expires_at"].(float64); !ok {
		t.Errorf("expires_at %v, want unix seconds", shape["expires_at"])
	}
	rb := decode[robotJSON](t, w)
	if rb.Duration != 30 || rb.Level != "project" || rb.Description != "CI" {
		t.Errorf("robot = %+v", rb)
	}
	wantPerms := []robotPermissionJSON{{Kind: "project", Namespace: "team", Access: []robotAccessJSON{
		{"repository", "pull", ""}, {"repository", "delete", ""}, {"artifact", "delete", ""},
		{"repository", "update", ""}, {"tag", "create", ""}, {"tag", "delete", ""},
		{"scan", "create", ""}, {"scan", "stop", ""},
	}}}
	if diff := cmp.Diff(wantPerms, rb.Permissions); diff != "" {
		t.Errorf("permissions (-want +got):\n%s", diff)
	}

	// PUT: duration counts from creation; -1 never expires.
	want(t, e.do(t, "padmin", "PUT", "/robots/"+itoa(cr.ID), `{"name":"robot$team+builder","level":"project","description":"CI 2","duration":-1,"disable":true,"permissions":[
		{"kind":"project","namespace":"team","access":[{"resource":"repository","action":"pull"}]}]}`), http.StatusOK)
	rb = decode[robotJSON](t, e.do(t, "padmin", "GET", "/robots/"+itoa(cr.ID), ""))
	if rb.ExpiresAt != -1 || rb.Duration != -1 || !rb.Disable || rb.Description != "CI 2" || len(rb.Permissions[0].Access) != 1 {
		t.Errorf("after PUT: %+v", rb)
	}

	// PATCH: an empty body generates a secret; a given one must be strong.
	w = e.do(t, "padmin", "PATCH", "/robots/"+itoa(cr.ID), "")
	want(t, w, http.StatusOK)
	sec := decode[robotSecJSON](t, w)
	if sec.Secret == "" || sec.Secret == cr.Secret {
		t.Errorf("refreshed secret %q", sec.Secret)
	}
	want(t, e.do(t, "padmin", "PATCH", "/robots/"+itoa(cr.ID), `{"secret":"Chosen1234"}`), http.StatusOK)
	stored, _ = e.store.GetRobot(ctx, cr.ID)
	if ok, _ := password.Verify(stored.SecretHash, "Chosen1234"); !ok {
		t.Error("chosen secret does not verify")
	}

	want(t, e.do(t, "padmin", "DELETE", "/robots/"+itoa(cr.ID), ""), http.StatusOK)
	want(t, e.do(t, "padmin", "GET", "/robots/"+itoa(cr.ID), ""), http.StatusNotFound)

	ops := e.auditTrail(t, meta.AuditFilter{ResourceType: "robot"}, func(ev meta.AuditEvent) string { return ev.Operation })
	if diff := cmp.Diff([]string{"robot.delete", "robot.update", "robot.update", "robot.update", "robot.create"}, ops); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}

func TestRobotsList(t *testing.T) {
	t.Parallel()
	e := newIdentityEnv(t, Options{})
	want(t, e.do(t, "admin", "POST", "/robots", systemRobot), http.StatusCreated)
	want(t, e.do(t, "admin", "POST", "/robots", strings.Replace(strings.Replace(teamRobot, `"team"`, `"pub"`, 1), "builder", "pubbot", 1)), http.StatusCreated)
	// maintainer is a maintainer of pub too: robot.read in two projects.
	e.callers["maintainer"].Principal.Roles["pub"] = "maintainer"
	names := func(who, query string) []string {
		t.Helper()
		w := e.do(t, who, "GET", "/robots"+query, "")
		want(t, w, http.StatusOK)
		var out []string
		for _, rb := range decode[[]robotJSON](t, w) {
			out = append(out, rb.Name)
		}
		return out
	}
	for _, c := range []struct {
		who, query string
		want       []string
	}{
		{"admin", "", []string{"robot$mirror", "robot$pub+pubbot", "robot$team+ci"}},
		{"admin", "?q=Level%3Dsystem", []string{"robot$mirror"}},
		{"admin", "?q=Level%3Dproject,ProjectID%3D" + itoa(e.pub.ID), []string{"robot$pub+pubbot"}},
		{"admin", "?q=name%3D~team", []string{"robot$team+ci"}},
		{"maintainer", "", []string{"robot$pub+pubbot", "robot$team+ci"}},
		{"maintainer", "?page=2&page_size=1", []string{"robot$team+ci"}},
		{"maintainer", "?q=name%3D~pub", []string{"robot$pub+pubbot"}},
		{"maintainer", "?q=Level%3Dproject,ProjectID%3D" + itoa(e.team.ID), []string{"robot$team+ci"}},
		{"outsider", "", nil},
		{"dev", "", nil},
		{"robot", "", nil},
	} {
		if diff := cmp.Diff(c.want, names(c.who, c.query)); diff != "" {
			t.Errorf("%s GET /robots%s (-want +got):\n%s", c.who, c.query, diff)
		}
	}
	w := e.do(t, "admin", "GET", "/robots?page=1&page_size=2", "")
	if got := w.Header().Get("X-Total-Count"); got != "3" {
		t.Errorf("X-Total-Count %q, want 3", got)
	}
	if !strings.Contains(w.Header().Get("Link"), `rel="next"`) {
		t.Errorf("Link %q has no next", w.Header().Get("Link"))
	}
	w = e.do(t, "maintainer", "GET", "/robots?page=1&page_size=1", "")
	if got := w.Header().Get("X-Total-Count"); got != "2" {
		t.Errorf("maintainer: X-Total-Count %q, want 2", got)
	}
	want(t, e.do(t, "admin", "GET", "/robots?q=Level%3Dgalaxy", ""), http.StatusBadRequest)
}
