package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		bad      bool
	}{
		{in: "http://127.0.0.1:5000", want: "http://127.0.0.1:5000"},
		{in: "http://127.0.0.1:5000/", want: "http://127.0.0.1:5000"},
		{in: "https://reg.example.com/api/v2.0/", want: "https://reg.example.com"},
		{in: "127.0.0.1:5000", want: "http://127.0.0.1:5000"},
		{in: "localhost:5000", want: "http://localhost:5000"},
		{in: "[::1]:5000", want: "http://[::1]:5000"},
		{in: "reg.example.com", want: "https://reg.example.com"},
		{in: "reg.example.com:8443", want: "https://reg.example.com:8443"},
		{in: "https://reg.example.com/berth", want: "https://reg.example.com/berth"},
		{in: "", bad: true},
		{in: "ftp://x", bad: true},
		{in: "http://", bad: true},
		{in: "http://u:p@host", bad: true},
		{in: "http://host?x=1", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			u, err := ParseServer(tt.in)
			if tt.bad {
				if err == nil {
					t.Fatalf("ParseServer(%q) = %v, want an error", tt.in, u)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.String() != tt.want {
				t.Errorf("ParseServer(%q) = %q, want %q", tt.in, u, tt.want)
			}
		})
	}
}

func TestRoles(t *testing.T) {
	t.Parallel()
	for name, id := range map[string]int{"projectAdmin": 1, "developer": 2, "guest": 3, "maintainer": 4, "limitedGuest": 5, "MAINTAINER": 4} {
		got, err := RoleID(name)
		if err != nil || got != id {
			t.Errorf("RoleID(%q) = %d, %v; want %d", name, got, err, id)
		}
	}
	if _, err := RoleID("owner"); err == nil {
		t.Error("RoleID(owner) succeeded")
	}
	if got := RoleName(RoleMaintainer); got != "maintainer" {
		t.Errorf("RoleName(4) = %q", got)
	}
	if got := RoleName(9); got != "role 9" {
		t.Errorf("RoleName(9) = %q", got)
	}
}

// harborError writes an error in Harbor's shape.
func harborError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"errors":[{"code":%q,"message":%q}]}`, code, msg)
}

func TestErrors(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v2.0/projects/missing":
			harborError(w, http.StatusNotFound, "NOT_FOUND", "project \"missing\" not found")
		case "/api/v2.0/users/current":
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "upstream down")
		default:
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, "<html>oops</html>")
		}
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "admin", "pw", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
		want Error
		text string
	}{
		{"harbor body", func() error { _, err := c.Project(t.Context(), "missing"); return err },
			Error{Status: 404, Code: "NOT_FOUND", Message: `project "missing" not found`},
			`project "missing" not found (HTTP 404 NOT_FOUND)`},
		{"text body", func() error { _, err := c.CurrentUser(t.Context()); return err },
			Error{Status: 502, Message: "upstream down"}, "upstream down (HTTP 502)"},
		{"html body", func() error { return c.DeleteRobot(t.Context(), 1) },
			Error{Status: 500}, "internal server error (HTTP 500)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if diff := cmp.Diff(tt.want, *e); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if err.Error() != tt.text {
				t.Errorf("Error() = %q, want %q", err.Error(), tt.text)
			}
			if StatusOf(fmt.Errorf("wrapped: %w", err)) != tt.want.Status {
				t.Errorf("StatusOf lost the status")
			}
		})
	}
}

// pagedUsers serves n users in pages, with X-Total-Count unless noTotal.
func pagedUsers(t *testing.T, n int, noTotal bool, calls *int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*calls++
		if u, p, ok := r.BasicAuth(); !ok || u != "admin" || p != "pw" {
			harborError(w, http.StatusUnauthorized, "UNAUTHORIZED", "bad credentials")
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
		if page < 1 || size != PageSize {
			t.Errorf("page=%q page_size=%q", r.URL.Query().Get("page"), r.URL.Query().Get("page_size"))
		}
		out := []User{}
		for i := (page - 1) * size; i < min(n, page*size); i++ {
			out = append(out, User{UserID: int64(i + 1), Username: "u" + strconv.Itoa(i)})
		}
		if !noTotal {
			w.Header().Set("X-Total-Count", strconv.Itoa(n))
		}
		_ = json.NewEncoder(w).Encode(out)
	})
}

func TestListPages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n         int
		noTotal   bool
		wantCalls int
	}{
		{n: 0, wantCalls: 1},
		{n: 5, wantCalls: 1},
		{n: 100, wantCalls: 1},
		{n: 250, wantCalls: 3},
		{n: 250, noTotal: true, wantCalls: 3},
		{n: 200, noTotal: true, wantCalls: 3}, // the empty third page ends it
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d/nototal=%v", tt.n, tt.noTotal), func(t *testing.T) {
			t.Parallel()
			calls := 0
			srv := httptest.NewServer(pagedUsers(t, tt.n, tt.noTotal, &calls))
			t.Cleanup(srv.Close)
			c, err := New(srv.URL, "admin", "pw", srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			users, err := c.Users(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(users) != tt.n || calls != tt.wantCalls {
				t.Errorf("got %d users in %d calls, want %d in %d", len(users), calls, tt.n, tt.wantCalls)
			}
			for i, u := range users {
				if u.Username != "u"+strconv.Itoa(i) {
					t.Fatalf("user %d is %q", i, u.Username)
				}
			}
		})
	}
}

func TestPaths(t *testing.T) {
	t.Parallel()
	type seen struct {
		Method, RawPath, Query, ByName, Body string
	}
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body json.RawMessage
		_ = json.NewDecoder(r.Body).Decode(&body)
		got = append(got, seen{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("X-Is-Resource-Name"), string(body)})
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/api/v2.0/users":
			w.Header().Set("X-Total-Count", "1")
			fmt.Fprint(w, `[{"user_id":7,"username":"bob"}]`)
		case r.Method == http.MethodPatch:
			fmt.Fprint(w, `{"secret":"s3cret"}`)
		default:
			fmt.Fprint(w, `[]`)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "", "", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = c.Artifacts(ctx, "team", "app/api")
	must(err)
	must(c.CreateTag(ctx, "team", "app", "sha256:abc", "v2"))
	must(c.DeleteTag(ctx, "team", "app/api", "v1"))
	must(c.AddMember(ctx, "42", "bob", RoleDeveloper))
	u, err := c.UserByName(ctx, "bob")
	must(err)
	if u.UserID != 7 {
		t.Errorf("UserByName: %+v", u)
	}
	must(c.ChangePassword(ctx, 7, "", "N3wPassword"))
	secret, err := c.RefreshRobotSecret(ctx, 3)
	must(err)
	if secret != "s3cret" {
		t.Errorf("RefreshRobotSecret = %q", secret)
	}
	want := []seen{
		{"GET", "/api/v2.0/projects/team/repositories/app%252Fapi/artifacts", "page=1&page_size=100&with_tag=true", "true", ""},
		{"POST", "/api/v2.0/projects/team/repositories/app/artifacts/sha256:abc/tags", "", "true", `{"name":"v2"}`},
		{"DELETE", "/api/v2.0/projects/team/repositories/app%252Fapi/artifacts/v1/tags/v1", "", "true", ""},
		{"POST", "/api/v2.0/projects/42/members", "", "true", `{"role_id":2,"member_user":{"username":"bob"}}`},
		{"GET", "/api/v2.0/users", "page=1&page_size=100&q=username%3Dbob", "", ""},
		{"PUT", "/api/v2.0/users/7/password", "", "", `{"new_password":"N3wPassword"}`},
		{"PATCH", "/api/v2.0/robots/3", "", "", `{}`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}
