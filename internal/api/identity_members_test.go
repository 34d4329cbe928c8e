package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-oci/berth/internal/meta"
)

func TestMembersPermissions(t *testing.T) {
	t.Parallel()
	add := `{"role_id":2,"member_user":{"username":"outsider"}}`
	runMatrix(t, []matrixCase{
		// member.read: guests and up, not limited guests, not robots. A
		// caller who may not even read the project is told it is missing
		// (team's robot may pull and push, not read the project).
		{"admin", "GET", "/projects/team/members", "", http.StatusOK},
		{"padmin", "GET", "/projects/team/members", "", http.StatusOK},
		{"guest", "GET", "/projects/team/members", "", http.StatusOK},
		{"lguest", "GET", "/projects/team/members", "", http.StatusForbidden},
		{"outsider", "GET", "/projects/team/members", "", http.StatusNotFound},
		{"robot", "GET", "/projects/team/members", "", http.StatusNotFound},
		{"anonymous", "GET", "/projects/team/members", "", http.StatusUnauthorized},
		{"anonymous", "GET", "/projects/pub/members", "", http.StatusUnauthorized},
		{"guest", "GET", "/projects/{team}/members", "", http.StatusOK},
		{"guest", "GET", "/projects/team/members/{m:dev}", "", http.StatusOK},
		{"lguest", "GET", "/projects/team/members/{m:dev}", "", http.StatusForbidden},
		{"guest", "GET", "/projects/team/members/999", "", http.StatusNotFound},
		{"guest", "GET", "/projects/nope/members", "", http.StatusNotFound},

		// member.write: project admins (and system admins); never robots.
		{"padmin", "POST", "/projects/team/members", add, http.StatusCreated},
		{"admin", "POST", "/projects/team/members", add, http.StatusCreated},
		{"maintainer", "POST", "/projects/team/members", add, http.StatusForbidden},
		{"dev", "POST", "/projects/team/members", add, http.StatusForbidden},
		{"robot", "POST", "/projects/team/members", add, http.StatusNotFound},
		{"outsider", "POST", "/projects/team/members", add, http.StatusNotFound},
		{"outsider", "POST", "/projects/pub/members", add, http.StatusForbidden},
		{"outsider", "POST", "/projects/nope/members", add, http.StatusNotFound},
		{"anonymous", "POST", "/projects/nope/members", add, http.StatusUnauthorized},
		{"anonymous", "POST", "/projects/team/members", add, http.StatusUnauthorized},
		{"padmin", "PUT", "/projects/team/members/{m:dev}", `{"role_id":4}`, http.StatusOK},
		{"dev", "PUT", "/projects/team/members/{m:dev}", `{"role_id":1}`, http.StatusForbidden},
		{"robot", "PUT", "/projects/team/members/{m:dev}", `{"role_id":1}`, http.StatusNotFound},
		{"outsider", "PUT", "/projects/team/members/{m:dev}", `{"role_id":1}`, http.StatusNotFound},
		{"padmin", "PUT", "/projects/team/members/{m:padmin}", `{"role_id":3}`, http.StatusForbidden},
		{"admin", "PUT", "/projects/team/members/{m:padmin}", `{"role_id":3}`, http.StatusOK},
		{"padmin", "DELETE", "/projects/team/members/{m:dev}", "", http.StatusOK},
		{"maintainer", "DELETE", "/projects/team/members/{m:dev}", "", http.StatusForbidden},
		{"robot", "DELETE", "/projects/team/members/{m:dev}", "", http.StatusNotFound},
		{"outsider", "DELETE", "/projects/team/members/{m:dev}", "", http.StatusNotFound},
		{"padmin", "DELETE", "/projects/team/members/{m:padmin}", "", http.StatusForbidden},

		// Bad input.
		{"padmin", "POST", "/projects/team/members", `{"role_id":9,"member_user":{"username":"outsider"}}`, http.StatusBadRequest},
		{"padmin", "POST", "/projects/team/members", `{"role_id":2}`, http.StatusBadRequest},
		{"padmin", "POST", "/projects/team/members", `{"role_id":2,"member_user":{"username":"ghost"}}`, http.StatusNotFound},
		{"padmin", "POST", "/projects/team/members", `{"role_id":2,"member_user":{"username":"dev"}}`, http.StatusConflict},
		{"padmin", "POST", "/projects/team/members", `{"role_id":2,"member_group":{"group_name":"x"}}`, http.StatusBadRequest},
		{"padmin", "POST", "/projects/team/members", `{"role_id":"two"}`, http.StatusBadRequest},
		{"padmin", "PUT", "/projects/team/members/{m:dev}", `{"role_id":0}`, http.StatusBadRequest},
	}, Options{})
}

func TestMembersShapeAndAudit(t *testing.T) {
	t.Parallel()
	e := newIdentityEnv(t, Options{})
	ctx := context.Background()
	w := e.do(t, "padmin", "POST", "/projects/team/members", `{"role_id":5,"member_user":{"user_id":`+itoa(e.users["outsider"].ID)+`}}`)
	want(t, w, http.StatusCreated)
	loc := w.Header().Get("Location")
	if !strings.HasPrefix(loc, Prefix+"/projects/team/members/") {
		t.Fatalf("Location %q", loc)
	}
	w = e.do(t, "padmin", "GET", strings.TrimPrefix(loc, Prefix), "")
	want(t, w, http.StatusOK)
	got := decode[map[string]any](t, w)
	wantKeys := []string{"entity_id", "entity_name", "entity_type", "id", "project_id", "role_id", "role_name"}
	if diff := cmp.Diff(wantKeys, keys(got)); diff != "" {
		t.Errorf("member keys (-want +got):\n%s", diff)
	}
	m := decode[memberJSON](t, w)
	if m.EntityName != "outsider" || m.RoleID != 5 || m.RoleName != "limitedGuest" || m.EntityType != "u" ||
		m.ProjectID != e.team.ID || m.EntityID != e.users["outsider"].ID {
		t.Errorf("member = %+v", m)
	}

	// A numeric name is an id unless X-Is-Resource-Name says otherwise.
	want(t, e.do(t, "padmin", "GET", "/projects/"+itoa(e.team.ID)+"/members", ""), http.StatusOK)
	want(t, e.do(t, "padmin", "GET", "/projects/"+itoa(e.team.ID)+"/members", "", "X-Is-Resource-Name", "true"), http.StatusNotFound)
	want(t, e.do(t, "padmin", "GET", "/projects/team/members", "", "X-Is-Resource-Name", "true"), http.StatusOK)

	w = e.do(t, "padmin", "GET", "/projects/team/members?page_size=2&entityname=guest", "")
	want(t, w, http.StatusOK)
	if n := w.Header().Get("X-Total-Count"); n != "2" {
		t.Errorf("X-Total-Count %q, want 2", n)
	}
	list := decode[[]memberJSON](t, w)
	if len(list) != 2 || list[0].EntityName != "guest" || list[1].EntityName != "lguest" {
		t.Errorf("entityname=guest = %+v", list)
	}

	want(t, e.do(t, "padmin", "PUT", "/projects/team/members/"+itoa(m.ID), `{"role_id":3}`), http.StatusOK)
	if role, err := e.store.MemberRole(ctx, e.team.ID, e.users["outsider"].ID); err != nil || role != meta.RoleGuest {
		t.Errorf("role after PUT = %q, %v", role, err)
	}
	want(t, e.do(t, "padmin", "DELETE", "/projects/team/members/"+itoa(m.ID), ""), http.StatusOK)
	want(t, e.do(t, "padmin", "GET", "/projects/team/members/"+itoa(m.ID), ""), http.StatusNotFound)

	ops := e.auditTrail(t, meta.AuditFilter{Project: "team"}, func(ev meta.AuditEvent) string {
		return ev.Operation + " " + ev.Resource + " by " + ev.Username
	})
	wantOps := []string{
		"member.remove outsider by padmin", "member.update outsider by padmin", "member.add outsider by padmin",
	}
	if diff := cmp.Diff(wantOps, ops); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}
