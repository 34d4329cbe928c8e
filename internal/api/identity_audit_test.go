package api

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-oci/berth/internal/auth"
	"github.com/berth-oci/berth/internal/meta"
)

// seedAudit appends events to team, pub and no project, one minute apart
// from base, oldest first.
func seedAudit(t *testing.T, e *identityEnv, base time.Time) {
	t.Helper()
	evs := []meta.AuditEvent{
		{Operation: meta.OpPush, ResourceType: "artifact", Resource: "team/app:1", Project: "team", Username: "dev"},
		{Operation: meta.OpPull, ResourceType: "artifact", Resource: "pub/lib:1", Project: "pub", Username: "dev"},
		{Operation: meta.OpLogin, ResourceType: "user", Resource: "dev", Username: "dev"},
		{Operation: meta.OpDelete, ResourceType: "artifact", Resource: "team/app:1", Project: "team", Username: "maintainer"},
	}
	for i := range evs {
		evs[i].OccurredAt = base.Add(time.Duration(i) * time.Minute)
	}
	if err := e.store.AppendAudit(context.Background(), evs...); err != nil {
		t.Fatal(err)
	}
}

func TestAuditLogs(t *testing.T) {
	t.Parallel()
	e := newIdentityEnv(t, Options{})
	base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	seedAudit(t, e, base)
	// dev is also a guest of pub here: audit logs merge across projects.
	e.callers["dev"].Principal.Roles["pub"] = "guest"

	resources := func(who, path string) []string {
		t.Helper()
		w := e.do(t, who, "GET", path, "")
		want(t, w, http.StatusOK)
		var out []string
		for _, l := range decode[[]auditLogJSON](t, w) {
			out = append(out, l.Operation+" "+l.Resource)
		}
		return out
	}
	q := func(s string) string { return "?q=" + url.QueryEscape(s) }
	for _, c := range []struct {
		who, path string
		want      []string
	}{
		{"admin", "/audit-logs", []string{"delete team/app:1", "login dev", "pull pub/lib:1", "push team/app:1"}},
		{"guest", "/audit-logs", []string{"delete team/app:1", "push team/app:1"}},
		{"dev", "/audit-logs", []string{"delete team/app:1", "pull pub/lib:1", "push team/app:1"}},
		{"dev", "/audit-logs?page=2&page_size=2", []string{"push team/app:1"}},
		{"lguest", "/audit-logs", nil},
		{"outsider", "/audit-logs", nil},
		{"robot", "/audit-logs", nil},
		{"admin", "/audit-logs" + q("operation=push"), []string{"push team/app:1"}},
		{"admin", "/audit-logs" + q("username=maintainer"), []string{"delete team/app:1"}},
		{"admin", "/audit-logs" + q("resource_type=user"), []string{"login dev"}},
		{"admin", "/audit-logs" + q("op_time=[2025-03-01 10:01:00~2025-03-01 10:02:00]"), []string{"login dev", "pull pub/lib:1"}},
		{"admin", "/audit-logs" + q("op_time=[2025-03-01T10:03:00Z~]"), []string{"delete team/app:1"}},
		{"admin", "/audit-logs" + q("op_time=[~2025-03-01]") + "&sort=-op_time", []string{"delete team/app:1", "login dev", "pull pub/lib:1", "push team/app:1"}},
		{"admin", "/audit-logs" + q("username=~aint"), []string{"delete team/app:1"}},
		{"admin", "/audit-logs" + q("resource=~app"), []string{"delete team/app:1", "push team/app:1"}},
		{"admin", "/audit-logs" + q("resource=team/app:1,operation=push"), []string{"push team/app:1"}},
		{"admin", "/audit-logs" + q("resource=team/app"), nil},
		{"dev", "/audit-logs" + q("resource=~lib"), []string{"pull pub/lib:1"}},
		{"dev", "/audit-logs" + q("username=~dev"), []string{"pull pub/lib:1", "push team/app:1"}},
		{"dev", "/audit-logs" + q("resource=~dev"), nil}, // dev's login is in no project
		{"dev", "/audit-logs?page=3&page_size=1", []string{"push team/app:1"}},
		{"dev", "/audit-logs?page=2000&page_size=10", nil}, // no cap on depth
		{"guest", "/audit-logs", []string{"delete team/app:1", "push team/app:1"}},
		{"guest", "/projects/team/logs", []string{"delete team/app:1", "push team/app:1"}},
		{"guest", "/projects/team/logs" + q("username=~dev"), []string{"push team/app:1"}},
		{"admin", "/projects/pub/logs", []string{"pull pub/lib:1"}},
	} {
		if diff := cmp.Diff(c.want, resources(c.who, c.path)); diff != "" {
			t.Errorf("%s GET %s (-want +got):\n%s", c.who, c.path, diff)
		}
	}

	w := e.do(t, "dev", "GET", "/audit-logs?page=1&page_size=2", "")
	if got := w.Header().Get("X-Total-Count"); got != "3" {
		t.Errorf("X-Total-Count %q, want 3", got)
	}
	if !strings.Contains(w.Header().Get("Link"), `page=2&page_size=2>; rel="next"`) {
		t.Errorf("Link %q", w.Header().Get("Link"))
	}
	logs := decode[[]map[string]any](t, w)
	if diff := cmp.Diff([]string{"id", "op_time", "operation", "resource", "resource_type", "username"}, keys(logs[0])); diff != "" {
		t.Errorf("audit log keys (-want +got):\n%s", diff)
	}
	if got := logs[0]["op_time"]; got != "2025-03-01T10:03:00.000Z" {
		t.Errorf("op_time %v, want Harbor's 2025-03-01T10:03:00.000Z", got)
	}
	w = e.do(t, "dev", "GET", "/audit-logs?page=2000&page_size=10", "")
	if got := w.Header().Get("X-Total-Count"); got != "3" {
		t.Errorf("deep page: X-Total-Count %q, want 3", got)
	}

	for _, c := range []struct {
		who, path string
		status    int
	}{
		{"anonymous", "/audit-logs", http.StatusUnauthorized},
		{"lguest", "/projects/team/logs", http.StatusForbidden},
		{"robot", "/projects/team/logs", http.StatusNotFound},    // may pull and push, not read the project
		{"outsider", "/projects/team/logs", http.StatusNotFound}, // a private project is not revealed
		{"outsider", "/projects/pub/logs", http.StatusForbidden}, // a public one is read, its log is not
		{"outsider", "/projects/nope/logs", http.StatusNotFound},
		{"anonymous", "/projects/team/logs", http.StatusUnauthorized},
		{"admin", "/projects/nope/logs", http.StatusNotFound},
		{"admin", "/audit-logs" + q("op_time=yesterday"), http.StatusBadRequest},
		{"admin", "/audit-logs" + q("op_time=[soon~]"), http.StatusBadRequest},
		{"admin", "/audit-logs" + q("operation=~pu"), http.StatusBadRequest},
		{"admin", "/audit-logs" + q("resource=[a~b]"), http.StatusBadRequest},
		{"admin", "/audit-logs?sort=op_time", http.StatusBadRequest},
		{"admin", "/audit-logs?page=0", http.StatusBadRequest},
	} {
		want(t, e.do(t, c.who, "GET", c.path, ""), c.status)
	}
}

func TestAccessTokens(t *testing.T) {
	t.Parallel()
	e := newIdentityEnv(t, Options{})
	ctx := context.Background()
	w := e.do(t, "dev", "POST", "/users/current/tokens", `{"name":"laptop","expires_in_days":7}`)
	want(t, w, http.StatusCreated)
	created := decode[map[string]any](t, w)
	if diff := cmp.Diff([]string{"creation_time", "expires_at", "id", "name", "secret"}, keys(created)); diff != "" {
		t.Errorf("created keys (-want +got):\n%s", diff)
	}
	checkHarborTimes(t, created, "creation_time", "expires_at")
	tok := decode[tokenCreatedJSON](t, w)
	if !auth.IsAccessTokenSecret(tok.Secret) || tok.ExpiresAt == nil || time.Time(*tok.ExpiresAt).Before(time.Now().Add(6*24*time.Hour)) {
		t.Errorf("token = %+v", tok)
	}

	// Stored hashed, found by the hash, never by the secret.
	stored, err := e.store.GetAccessTokenByHash(ctx, auth.HashAccessToken(tok.Secret))
	if err != nil || stored.ID != tok.ID || stored.UserID != e.users["dev"].ID {
		t.Fatalf("by hash: %+v, %v", stored, err)
	}
	if _, err := e.store.GetAccessTokenByHash(ctx, tok.Secret); err == nil {
		t.Error("the store holds the secret in clear")
	}

	want(t, e.do(t, "dev", "POST", "/users/current/tokens", `{"name":"laptop"}`), http.StatusConflict)
	want(t, e.do(t, "dev", "POST", "/users/current/tokens", `{"name":""}`), http.StatusBadRequest)
	want(t, e.do(t, "dev", "POST", "/users/current/tokens", `{"name":"x","expires_in_days":-1}`), http.StatusBadRequest)
	want(t, e.do(t, "dev", "POST", "/users/current/tokens", `{"name":"ci"}`), http.StatusCreated)

	w = e.do(t, "dev", "GET", "/users/current/tokens", "")
	want(t, w, http.StatusOK)
	if strings.Contains(w.Body.String(), tok.Secret) || strings.Contains(w.Body.String(), "secret") {
		t.Errorf("list leaks the secret: %s", w.Body)
	}
	list := decode[[]tokenJSON](t, w)
	if len(list) != 2 || list[0].Name != "laptop" || !list[0].Active || list[1].ExpiresAt != nil {
		t.Errorf("list = %+v", list)
	}

	// Only one's own tokens: guest cannot revoke dev's.
	want(t, e.do(t, "guest", "DELETE", "/users/current/tokens/"+itoa(tok.ID), ""), http.StatusNotFound)
	want(t, e.do(t, "dev", "DELETE", "/users/current/tokens/"+itoa(tok.ID), ""), http.StatusOK)
	w = e.do(t, "dev", "GET", "/users/current/tokens", "")
	for _, tok := range decode[[]map[string]any](t, w) {
		checkHarborTimes(t, tok, "creation_time", "expires_at", "last_used_time", "revoked_time")
	}
	list = decode[[]tokenJSON](t, w)
	if list[0].Active || list[0].RevokedTime == nil {
		t.Errorf("revoked token = %+v", list[0])
	}
	if n := len(decode[[]tokenJSON](t, e.do(t, "guest", "GET", "/users/current/tokens", ""))); n != 0 {
		t.Errorf("guest sees %d tokens", n)
	}

	want(t, e.do(t, "robot", "POST", "/users/current/tokens", `{"name":"x"}`), http.StatusForbidden)
	want(t, e.do(t, "robot", "GET", "/users/current/tokens", ""), http.StatusForbidden)
	want(t, e.do(t, "anonymous", "GET", "/users/current/tokens", ""), http.StatusUnauthorized)
	want(t, e.do(t, "anonymous", "POST", "/users/current/tokens", `{"name":"x"}`), http.StatusUnauthorized)
}
