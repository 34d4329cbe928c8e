package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/meta"
)

func TestProjectsRead(t *testing.T) {
	t.Parallel()
	e := newContentEnv(t, Options{})
	team := itoa(e.team.ID)
	runStatus(t, e, []statusCase{
		{"anonymous", "GET", "/projects/team", "", http.StatusUnauthorized},
		{"anonymous", "GET", "/projects/nope", "", http.StatusUnauthorized},
		{"anonymous", "GET", "/projects/pub", "", http.StatusOK},
		{"outsider", "GET", "/projects/team", "", http.StatusNotFound},
		{"outsider", "GET", "/projects/" + team, "", http.StatusNotFound},
		{"lguest", "GET", "/projects/team", "", http.StatusOK},
		{"lguest", "GET", "/projects/" + team, "", http.StatusOK},
		{"robot", "GET", "/projects/team", "", http.StatusNotFound}, // pull and push only
		{"admin", "GET", "/projects/nope", "", http.StatusNotFound},
		{"admin", "GET", "/projects/team/summary", "", http.StatusOK},
		{"outsider", "GET", "/projects/team/summary", "", http.StatusNotFound},
		{"admin", "HEAD", "/projects?project_name=team", "", http.StatusOK},
		{"dev", "HEAD", "/projects?project_name=nope", "", http.StatusNotFound},
		{"anonymous", "HEAD", "/projects?project_name=team", "", http.StatusUnauthorized},
		{"dev", "HEAD", "/projects", "", http.StatusBadRequest},
		{"admin", "GET", "/projects?page=0", "", http.StatusBadRequest},
		{"admin", "GET", "/projects?q=owner=x", "", http.StatusBadRequest},
		{"admin", "GET", "/projects?sort=-creation_time", "", http.StatusBadRequest},
		{"admin", "GET", "/projects?public=maybe", "", http.StatusBadRequest},
	})

	for _, c := range []struct {
		who, query string
		want       []string
		total      string
	}{
		{"admin", "", []string{"pub", "team"}, "2"},
		{"anonymous", "", []string{"pub"}, "1"},
		{"outsider", "", []string{"pub"}, "1"},
		{"dev", "", []string{"pub", "team"}, "2"},
		{"dev", "?q=name%3D~ea", []string{"team"}, "1"},
		{"dev", "?q=name%3Dpub", []string{"pub"}, "1"},
		{"dev", "?name=ub", []string{"pub"}, "1"},
		{"dev", "?public=false", []string{"team"}, "1"},
		{"admin", "?q=project_id%3D" + team, []string{"team"}, "1"},
		{"admin", "?q=project_id%3D999", []string{}, "0"},
		{"admin", "?page_size=1", []string{"pub"}, "2"},
		{"admin", "?page_size=1&page=2", []string{"team"}, "2"},
	} {
		w := e.do(t, c.who, "GET", "/projects"+c.query, "")
		want(t, w, http.StatusOK)
		if d := cmp.Diff(c.want, names(t, w.Body.Bytes(), "name")); d != "" || w.Header().Get("X-Total-Count") != c.total {
			t.Errorf("%s GET /projects%s: total %s (-want +got) %s", c.who, c.query, w.Header().Get("X-Total-Count"), d)
		}
	}
	w := e.do(t, "admin", "GET", "/projects?page_size=1", "")
	if l := w.Header().Get("Link"); !strings.Contains(l, `rel="next"`) || !strings.Contains(l, "page=2") {
		t.Errorf("Link = %q", l)
	}

	w = e.do(t, "dev", "GET", "/projects/team", "")
	p := decode[map[string]any](t, w)
	wantKeys := []string{"creation_time", "current_user_role_id", "current_user_role_ids", "deleted", "metadata", "name",
		"owner_id", "owner_name", "project_id", "repo_count", "togglable", "update_time"}
	if d := cmp.Diff(wantKeys, keys(p)); d != "" {
		t.Errorf("project keys (-want +got):\n%s", d)
	}
	if p["repo_count"] != float64(2) || p["current_user_role_id"] != float64(2) || p["togglable"] != false ||
		p["metadata"].(map[string]any)["public"] != "false" {
		t.Errorf("project = %v", p)
	}
	// By name even when numeric-looking, with X-Is-Resource-Name.
	want(t, e.do(t, "dev", "GET", "/projects/team", "", "X-Is-Resource-Name", "true"), http.StatusOK)

	w = e.do(t, "guest", "GET", "/projects/team/summary", "")
	sum := decode[summaryJSON](t, w)
	if sum.RepoCount != 2 || sum.Quota == nil || sum.Quota.Used["storage"] <= 0 || sum.Quota.Hard["storage"] != -1 ||
		sum.DeveloperCount == nil || *sum.DeveloperCount != 1 {
		t.Errorf("summary = %+v", sum)
	}
	if sum := decode[summaryJSON](t, e.do(t, "lguest", "GET", "/projects/team/summary", "")); sum.DeveloperCount != nil {
		t.Errorf("limited guest sees member counts: %+v", sum)
	}
}

func TestProjectsWrite(t *testing.T) {
	t.Parallel()
	tooBig := `{"project_name":"` + strings.Repeat("a", MaxBodySize) + `"}`
	runFresh(t, []statusCase{
		{"dev", "POST", "/projects", `{"project_name":"new"}`, http.StatusForbidden},
		{"anonymous", "POST", "/projects", `{"project_name":"new"}`, http.StatusUnauthorized},
		{"admin", "POST", "/projects", `{"project_name":"Bad"}`, http.StatusBadRequest},
		{"admin", "POST", "/projects", `{"project_name":"-x"}`, http.StatusBadRequest},
		{"admin", "POST", "/projects", `{"project_name":"a/b"}`, http.StatusBadRequest},
		{"admin", "POST", "/projects", `{"project_name":"` + strings.Repeat("a", 256) + `"}`, http.StatusBadRequest},
		{"admin", "POST", "/projects", `{"project_name":`, http.StatusBadRequest},
		{"admin", "POST", "/projects", `{"project_name":"x","metadata":{"color":"red"}}`, http.StatusBadRequest},
		{"admin", "POST", "/projects", `{"project_name":"x","metadata":{"auto_scan":"yes"}}`, http.StatusBadRequest},
		{"admin", "POST", "/projects", `{"project_name":"x","storage_limit":0}`, http.StatusBadRequest},
		{"admin", "POST", "/projects", `{"project_name":"x","registry_id":3}`, http.StatusBadRequest},
		{"admin", "POST", "/projects", tooBig, http.StatusRequestEntityTooLarge},
		{"admin", "POST", "/projects", `{"project_name":"team"}`, http.StatusConflict},
		{"admin", "POST", "/projects", `{"project_name":"new.proj_1","metadata":{"public":"true"},"storage_limit":1000}`, http.StatusCreated},
		{"maintainer", "PUT", "/projects/team", `{"metadata":{"public":"true"}}`, http.StatusForbidden},
		{"outsider", "PUT", "/projects/team", `{"metadata":{"public":"true"}}`, http.StatusNotFound},
		{"padmin", "PUT", "/projects/team", `{"project_name":"other"}`, http.StatusBadRequest},
		{"padmin", "PUT", "/projects/team", `{"metadata":{"public":"true","auto_scan":"true"}}`, http.StatusOK},
		{"maintainer", "DELETE", "/projects/team", "", http.StatusForbidden},
		{"padmin", "DELETE", "/projects/team", "", http.StatusPreconditionFailed},
	})

	t.Run("lifecycle", func(t *testing.T) {
		t.Parallel()
		e := newContentEnv(t, Options{})
		w := e.do(t, "admin", "POST", "/projects", `{"project_name":"fresh","public":true,"storage_limit":1000}`)
		want(t, w, http.StatusCreated)
		loc := w.Header().Get("Location")
		if !strings.HasPrefix(loc, Prefix+"/projects/") {
			t.Fatalf("Location = %q", loc)
		}
		p := decode[projectJSON](t, e.do(t, "anonymous", "GET", strings.TrimPrefix(loc, Prefix), ""))
		if p.Name != "fresh" || p.OwnerName != "admin" || p.Metadata["public"] != "true" || p.Metadata[mdOwnerID] != "" {
			t.Errorf("created project = %+v", p)
		}
		sum := decode[summaryJSON](t, e.do(t, "admin", "GET", "/projects/fresh/summary", ""))
		if sum.Quota.Hard["storage"] != 1000 || *sum.ProjectAdminCount != 1 {
			t.Errorf("summary = %+v", sum)
		}
		// padmin of team cannot delete fresh; admin can, it is empty.
		want(t, e.do(t, "padmin", "DELETE", "/projects/fresh", ""), http.StatusForbidden)
		want(t, e.do(t, "admin", "DELETE", "/projects/fresh", ""), http.StatusOK)
		want(t, e.do(t, "admin", "GET", "/projects/fresh", ""), http.StatusNotFound)

		// Making team public opens it to anonymous callers.
		want(t, e.do(t, "padmin", "PUT", "/projects/team", `{"metadata":{"public":"true","severity":"high"}}`), http.StatusOK)
		p = decode[projectJSON](t, e.do(t, "anonymous", "GET", "/projects/team", ""))
		if p.Metadata["severity"] != "high" || p.Metadata["public"] != "true" {
			t.Errorf("updated project = %+v", p)
		}
		// Emptied, team can be deleted.
		for _, repo := range []string{"app", "tools%252Fcli"} {
			want(t, e.do(t, "padmin", "DELETE", "/projects/team/repositories/"+repo, ""), http.StatusOK)
		}
		want(t, e.do(t, "padmin", "DELETE", "/projects/team", ""), http.StatusOK)
		got := e.auditTrail(t, meta.AuditFilter{ResourceType: "project"}, func(ev meta.AuditEvent) string {
			return ev.Username + " " + ev.Operation + " " + ev.Resource
		})
		wantTrail := []string{"padmin delete team", "padmin update team", "admin delete fresh", "admin create fresh"}
		if d := cmp.Diff(wantTrail, got); d != "" {
			t.Errorf("audit (-want +got):\n%s", d)
		}
	})

	t.Run("users may create projects", func(t *testing.T) {
		t.Parallel()
		e := newContentEnv(t, Options{})
		e.api = New(Deps{Store: e.store, Blobs: e.blobs, Access: accessEveryoneCreates()}, Options{})
		want(t, e.do(t, "dev", "POST", "/projects", `{"project_name":"mine","storage_limit":5}`), http.StatusCreated)
		p := decode[projectJSON](t, e.do(t, "admin", "GET", "/projects/mine", ""))
		sum := decode[summaryJSON](t, e.do(t, "admin", "GET", "/projects/mine/summary", ""))
		if p.OwnerName != "dev" || sum.Quota.Hard["storage"] != -1 { // storage_limit is for admins
			t.Errorf("project %+v summary %+v", p, sum)
		}
		role, err := e.store.MemberRole(t.Context(), p.ProjectID, e.users["dev"].ID)
		if err != nil || role != meta.RoleProjectAdmin {
			t.Errorf("creator role = %v, %v", role, err)
		}
		info := decode[map[string]any](t, e.do(t, "dev", "GET", "/systeminfo", ""))
		if info["project_creation_restriction"] != "everyone" {
			t.Errorf("systeminfo = %v", info)
		}
	})
}

func accessEveryoneCreates() *access.Evaluator {
	return access.New(access.Options{UsersCreateProjects: true})
}
