package api

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/auth"
	"github.com/berth-oci/berth/internal/auth/password"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/meta/sqlstore"
)

// identityEnv is an API over a real SQLite store holding, in the private
// project "team" (and the public project "pub"), one user of each role.
type identityEnv struct {
	api   *API
	store *sqlstore.Store
	team  meta.Project
	pub   meta.Project
	users map[string]meta.User // by username
	// callers by name: admin, padmin, maintainer, dev, guest, lguest,
	// outsider, robot (a project robot of team with pull and push),
	// anonymous.
	callers map[string]*auth.Caller
}

// testPassword is every seeded user's password.
const testPassword = "Passw0rdOK"

func newIdentityEnv(t *testing.T, opt Options) *identityEnv {
	t.Helper()
	return newIdentityTemplate(t).clone(t, opt)
}

// identityTemplate is a seeded, closed database file that environments
// copy: migrating and seeding a SQLite file under the race detector takes
// most of a second, copying it a millisecond.
type identityTemplate struct {
	path     string
	team     meta.Project
	pub      meta.Project
	users    map[string]meta.User
	robotID  int64
	robotPrn access.Principal
}

func newIdentityTemplate(t *testing.T) *identityTemplate {
	t.Helper()
	ctx := context.Background()
	tpl := &identityTemplate{path: filepath.Join(t.TempDir(), "template.db"), users: map[string]meta.User{}}
	s, err := sqlstore.Open(ctx, sqlstore.DriverSQLite, tpl.path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	if tpl.team, err = s.CreateProject(ctx, meta.Project{Name: "team"}); err != nil {
		t.Fatal(err)
	}
	if tpl.pub, err = s.CreateProject(ctx, meta.Project{Name: "pub", Public: true}); err != nil {
		t.Fatal(err)
	}
	// Seed hashes with cheap parameters: Verify reads them from the hash.
	cheap, err := password.NewHasher(password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := cheap.Hash(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range seedRoles {
		u, err := s.CreateUser(ctx, meta.User{Username: x.name, Email: x.name + "@example.com", PasswordHash: hash, Sysadmin: x.name == "admin"})
		if err != nil {
			t.Fatal(err)
		}
		tpl.users[x.name] = u
		if x.role != "" {
			if _, err := s.AddMember(ctx, meta.Member{ProjectID: tpl.team.ID, UserID: u.ID, Role: x.role}); err != nil {
				t.Fatal(err)
			}
		}
	}
	rb, err := s.CreateRobot(ctx, meta.Robot{
		Name: "robot$team+ci", Level: meta.RobotProject, ProjectID: tpl.team.ID, SecretHash: hash,
		Permissions: []meta.RobotPermission{{Project: "team", Actions: []string{"pull", "push"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tpl.robotID = rb.ID
	tpl.robotPrn = access.Principal{
		Kind: access.KindRobot, Name: rb.Name, Level: access.RobotProject, Project: "team",
		Permissions: []access.RobotPermission{{Project: "team", Actions: []access.Action{access.ActionPull, access.ActionPush}}},
	}
	return tpl
}

// seedRoles are the seeded users and their roles in team.
var seedRoles = []struct {
	name string
	role meta.Role
}{
	{"admin", ""}, {"padmin", meta.RoleProjectAdmin}, {"maintainer", meta.RoleMaintainer},
	{"dev", meta.RoleDeveloper}, {"guest", meta.RoleGuest}, {"lguest", meta.RoleLimitedGuest}, {"outsider", ""},
}

// clone opens a copy of the template's database under an API.
func (tpl *identityTemplate) clone(t *testing.T, opt Options) *identityEnv {
	t.Helper()
	b, err := os.ReadFile(tpl.path)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "meta.db")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := sqlstore.Open(context.Background(), sqlstore.DriverSQLite, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	e := &identityEnv{store: s, team: tpl.team, pub: tpl.pub, users: tpl.users, callers: map[string]*auth.Caller{"anonymous": nil}}
	for _, x := range seedRoles {
		u := tpl.users[x.name]
		p := access.Principal{Kind: access.KindUser, Name: x.name, SystemAdmin: u.Sysadmin, Roles: map[string]access.Role{}}
		if x.role != "" {
			p.Roles["team"] = access.Role(x.role)
		}
		e.callers[x.name] = &auth.Caller{Principal: p, UserID: u.ID, Method: auth.MethodBasic}
	}
	e.callers["robot"] = &auth.Caller{RobotID: tpl.robotID, Method: auth.MethodBasic, Principal: tpl.robotPrn}
	e.api = New(Deps{Store: s, Now: time.Now}, opt)
	return e
}

// do serves one request as the named caller ("anonymous" for none).
func (e *identityEnv) do(t *testing.T, who, method, path, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	c, ok := e.callers[who]
	if !ok {
		t.Fatalf("no caller %q", who)
	}
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, Prefix+path, nil)
	} else {
		r = httptest.NewRequest(method, Prefix+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	if c != nil {
		r = r.WithContext(auth.WithCaller(r.Context(), *c))
	}
	w := httptest.NewRecorder()
	e.api.ServeHTTP(w, r)
	return w
}

// want checks the status of a response, showing its body when it differs.
func want(t *testing.T, w *httptest.ResponseRecorder, status int) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d, want %d; body %s", w.Code, status, w.Body.String())
	}
}

// decode unmarshals a response body.
func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v", w.Body.String(), err)
	}
	return v
}

// keys returns the sorted keys of a JSON object.
func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// expand replaces {u:NAME} in path with the id of user NAME, {m:NAME}
// with the id of NAME's membership of team, {team} with team's id and
// {robot} with the id of team's robot.
func (e *identityEnv) expand(t *testing.T, path string) string {
	t.Helper()
	for name, u := range e.users {
		path = strings.ReplaceAll(path, "{u:"+name+"}", strconv.FormatInt(u.ID, 10))
		if strings.Contains(path, "{m:"+name+"}") {
			ms, err := e.store.UserMemberships(context.Background(), u.ID)
			if err != nil || len(ms) != 1 {
				t.Fatalf("memberships of %s: %v %v", name, ms, err)
			}
			path = strings.ReplaceAll(path, "{m:"+name+"}", strconv.FormatInt(ms[0].ID, 10))
		}
	}
	path = strings.ReplaceAll(path, "{team}", strconv.FormatInt(e.team.ID, 10))
	return strings.ReplaceAll(path, "{robot}", strconv.FormatInt(e.callers["robot"].RobotID, 10))
}

// matrixCase is one row of a permission matrix: who calls what, and the
// status they get.
type matrixCase struct {
	who, method, path, body string
	status                  int
}

// runMatrix runs each case: GETs against one shared environment, other
// methods against a fresh one each, so that rows do not depend on each
// other.
func runMatrix(t *testing.T, cases []matrixCase, opt Options) {
	t.Helper()
	tpl := newIdentityTemplate(t)
	shared := tpl.clone(t, opt)
	for i, c := range cases {
		t.Run(fmt.Sprintf("%02d %s %s %s", i, c.who, c.method, c.path), func(t *testing.T) {
			t.Parallel()
			e := shared
			if c.method != http.MethodGet {
				e = tpl.clone(t, opt)
			}
			want(t, e.do(t, c.who, c.method, e.expand(t, c.path), c.body), c.status)
		})
	}
}

// harborTimeRE is how Harbor writes times.
var harborTimeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// checkHarborTimes checks that the named fields of a decoded JSON object
// are times in Harbor's form (null is accepted: "never").
func checkHarborTimes(t *testing.T, obj map[string]any, fields ...string) {
	t.Helper()
	for _, f := range fields {
		v, ok := obj[f]
		if !ok {
			t.Errorf("%s missing", f)
			continue
		}
		if s, isStr := v.(string); v != nil && (!isStr || !harborTimeRE.MatchString(s)) {
			t.Errorf("%s = %v, want a time like 2024-01-02T15:04:05.123Z", f, v)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// auditTrail returns the stored audit events matching f, newest first,
// each shown by show.
func (e *identityEnv) auditTrail(t *testing.T, f meta.AuditFilter, show func(meta.AuditEvent) string) []string {
	t.Helper()
	evs, err := e.store.ListAudit(context.Background(), f, meta.Window{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, show(ev))
	}
	return out
}
