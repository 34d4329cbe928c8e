package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time
		bad  bool
	}{
		{in: `"2026-03-04T05:06:07.123Z"`, want: time.Date(2026, 3, 4, 5, 6, 7, 123e6, time.UTC)}, // Harbor's format
		{in: `"2026-03-04T05:06:07Z"`, want: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)},
		{in: `"2026-03-04T05:06:07.123456789Z"`, want: time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)},
		{in: `"2026-03-04T07:06:07+02:00"`, want: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)},
		{in: `"2026-03-04T05:06:07.5"`, want: time.Date(2026, 3, 4, 5, 6, 7, 5e8, time.UTC)}, // no zone: UTC
		{in: `"2026-03-04 05:06:07"`, want: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)},
		{in: `null`},
		{in: `""`},
		{in: `"yesterday"`, bad: true},
		{in: `1700000000`, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			var v struct {
				At Time `json:"at"`
			}
			err := json.Unmarshal([]byte(`{"at":`+tt.in+`}`), &v)
			if (err != nil) != tt.bad {
				t.Fatalf("err = %v, want error %v", err, tt.bad)
			}
			if !tt.bad && !v.At.Equal(tt.want) {
				t.Errorf("got %v, want %v", v.At, tt.want)
			}
		})
	}
	b, err := json.Marshal([]Time{{}, {time.Date(2026, 3, 4, 7, 6, 7, 123456789, time.FixedZone("x", 7200))}})
	if err != nil || string(b) != `[null,"2026-03-04T05:06:07.123Z"]` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
}

// auditServer serves n events, newest first, in the pages asked for, and
// records each request's path and query.
func auditServer(t *testing.T, n int, seen *[]string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*seen = append(*seen, r.URL.EscapedPath()+"?"+r.URL.RawQuery)
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
		out := []AuditLog{}
		for i := (page - 1) * size; i < min(n, page*size); i++ {
			out = append(out, AuditLog{ID: int64(n - i), Operation: "push"})
		}
		w.Header().Set("X-Total-Count", strconv.Itoa(n))
		_ = json.NewEncoder(w).Encode(out)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestAuditLogs(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 3, 4, 7, 6, 7, 0, time.FixedZone("x", 7200))
	tests := []struct {
		name  string
		n     int
		q     AuditQuery
		want  int      // events returned
		calls []string // requests sent
	}{
		{"all", 150, AuditQuery{}, 150, []string{
			"/api/v2.0/audit-logs?page=1&page_size=100",
			"/api/v2.0/audit-logs?page=2&page_size=100",
		}},
		{"none", 0, AuditQuery{}, 0, []string{"/api/v2.0/audit-logs?page=1&page_size=100"}},
		{"small limit: one small page", 150, AuditQuery{Limit: 20}, 20, []string{
			"/api/v2.0/audit-logs?page=1&page_size=20",
		}},
		{"limit over a page", 150, AuditQuery{Limit: 120}, 120, []string{
			"/api/v2.0/audit-logs?page=1&page_size=100",
			"/api/v2.0/audit-logs?page=2&page_size=100",
		}},
		{"limit over the total", 5, AuditQuery{Limit: 10}, 5, []string{"/api/v2.0/audit-logs?page=1&page_size=10"}},
		{"project and filters", 1, AuditQuery{Project: "team a", Username: "robot$team+ci", Operation: "member.add", Since: since}, 1, []string{
			"/api/v2.0/projects/team%20a/logs?page=1&page_size=100&q=username%3Drobot%2524team%252Bci%2Coperation%3Dmember.add%2Cop_time%3D%5B2026-03-04T05%3A06%3A07Z~%5D",
		}},
		{"resource type", 1, AuditQuery{ResourceType: "tag"}, 1, []string{
			"/api/v2.0/audit-logs?page=1&page_size=100&q=resource_type%3Dtag",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var seen []string
			srv := auditServer(t, tt.n, &seen)
			c, err := New(srv.URL, "admin", "pw", srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			logs, err := c.AuditLogs(t.Context(), tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if len(logs) != tt.want || logs == nil {
				t.Errorf("got %d events (nil %v), want %d", len(logs), logs == nil, tt.want)
			}
			if len(logs) > 0 && logs[0].ID != int64(tt.n) {
				t.Errorf("first event %d, want the newest, %d", logs[0].ID, tt.n)
			}
			if diff := cmp.Diff(tt.calls, seen); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTokensAndSystem(t *testing.T) {
	t.Parallel()
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body json.RawMessage
		_ = json.NewDecoder(r.Body).Decode(&body)
		seen = append(seen, fmt.Sprintf("%s %s %s", r.Method, r.URL.Path, body))
		switch r.Method + " " + r.URL.Path {
		case "GET /api/v2.0/users/current/tokens":
			w.Header().Set("X-Total-Count", "1")
			fmt.Fprint(w, `[{"id":3,"name":"laptop","creation_time":"2026-03-04T05:06:07.000Z","expires_at":null,"last_used_time":"2026-03-05T05:06:07Z","revoked_time":null,"active":true}]`)
		case "POST /api/v2.0/users/current/tokens":
			w.WriteHeader(http.StatusCreated)
			fmt.Fprint(w, `{"id":4,"name":"ci","secret":"bt_s3cret","creation_time":"2026-03-04T05:06:07Z","expires_at":"2026-04-03T05:06:07Z"}`)
		case "GET /api/v2.0/systeminfo":
			fmt.Fprint(w, `{"auth_mode":"db_auth","harbor_version":"v1.2.3","read_only":false}`)
		case "GET /api/v2.0/health":
			fmt.Fprint(w, `{"status":"healthy","components":[{"name":"core","status":"healthy"}]}`)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "alice", "pw", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	tokens, err := c.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 1 || tokens[0].Name != "laptop" || !tokens[0].ExpiresAt.IsZero() || tokens[0].LastUsedTime.Day() != 5 || !tokens[0].Active {
		t.Errorf("Tokens = %+v", tokens)
	}
	created, err := c.CreateToken(ctx, "ci", 30)
	if err != nil || created.Secret != "bt_s3cret" || created.ExpiresAt.Month() != time.April {
		t.Errorf("CreateToken = %+v, %v", created, err)
	}
	if err := c.RevokeToken(ctx, 4); err != nil {
		t.Fatal(err)
	}
	si, err := c.SystemInfo(ctx)
	if err != nil || si.HarborVersion != "v1.2.3" || si.ReadOnly == nil || *si.ReadOnly {
		t.Errorf("SystemInfo = %+v, %v", si, err)
	}
	h, err := c.Health(ctx)
	if err != nil || h.Status != "healthy" || len(h.Components) != 1 {
		t.Errorf("Health = %+v, %v", h, err)
	}
	want := []string{
		"GET /api/v2.0/users/current/tokens ",
		`POST /api/v2.0/users/current/tokens {"name":"ci","expires_in_days":30}`,
		"DELETE /api/v2.0/users/current/tokens/4 ",
		"GET /api/v2.0/systeminfo ",
		"GET /api/v2.0/health ",
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}
