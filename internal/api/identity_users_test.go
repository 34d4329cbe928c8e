package api

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-oci/berth/internal/auth/password"
)

func TestUsersPermissions(t *testing.T) {
	t.Parallel()
	newUser := `{"username":"newbie","email":"n@example.com","password":"Newbie123"}`
	runMatrix(t, []matrixCase{
		{"admin", "GET", "/users", "", http.StatusOK},
		{"padmin", "GET", "/users", "", http.StatusForbidden},
		{"robot", "GET", "/users", "", http.StatusForbidden},
		{"anonymous", "GET", "/users", "", http.StatusUnauthorized},

		{"admin", "POST", "/users", newUser, http.StatusCreated},
		{"dev", "POST", "/users", newUser, http.StatusForbidden},
		{"anonymous", "POST", "/users", newUser, http.StatusUnauthorized},

		{"dev", "GET", "/users/current", "", http.StatusOK},
		{"robot", "GET", "/users/current", "", http.StatusForbidden},
		{"anonymous", "GET", "/users/current", "", http.StatusUnauthorized},

		{"outsider", "GET", "/users/search?username=ad", "", http.StatusOK},
		{"robot", "GET", "/users/search?username=ad", "", http.StatusForbidden},
		{"anonymous", "GET", "/users/search?username=ad", "", http.StatusUnauthorized},
		{"dev", "GET", "/users/search", "", http.StatusBadRequest},

		{"dev", "GET", "/users/{u:dev}", "", http.StatusOK},
		{"dev", "GET", "/users/{u:guest}", "", http.StatusForbidden},
		{"admin", "GET", "/users/{u:guest}", "", http.StatusOK},
		{"admin", "GET", "/users/999", "", http.StatusNotFound},
		{"admin", "GET", "/users/abc", "", http.StatusBadRequest},

		{"dev", "PUT", "/users/{u:dev}", `{"realname":"Dev"}`, http.StatusOK},
		{"dev", "PUT", "/users/{u:guest}", `{"realname":"Dev"}`, http.StatusForbidden},
		{"admin", "PUT", "/users/{u:guest}", `{"realname":"G"}`, http.StatusOK},
		{"dev", "PUT", "/users/{u:dev}", `{"disabled":true}`, http.StatusForbidden},
		{"admin", "PUT", "/users/{u:admin}", `{"disabled":true}`, http.StatusForbidden},
		{"admin", "PUT", "/users/{u:dev}", `{"disabled":true}`, http.StatusOK},
		{"dev", "PUT", "/users/{u:dev}", `{"email":"not an address"}`, http.StatusBadRequest},

		{"admin", "DELETE", "/users/{u:dev}", "", http.StatusOK},
		{"admin", "DELETE", "/users/{u:admin}", "", http.StatusForbidden},
		{"padmin", "DELETE", "/users/{u:dev}", "", http.StatusForbidden},
		{"dev", "DELETE", "/users/{u:dev}", "", http.StatusForbidden},

		{"admin", "PUT", "/users/{u:dev}/sysadmin", `{"sysadmin_flag":true}`, http.StatusOK},
		{"admin", "PUT", "/users/{u:admin}/sysadmin", `{"sysadmin_flag":false}`, http.StatusForbidden},
		{"dev", "PUT", "/users/{u:dev}/sysadmin", `{"sysadmin_flag":true}`, http.StatusForbidden},
		{"admin", "PUT", "/users/{u:dev}/sysadmin", `{}`, http.StatusBadRequest},

		{"dev", "PUT", "/users/{u:dev}/password", `{"old_password":"` + testPassword + `","new_password":"Better123"}`, http.StatusOK},
		{"dev", "PUT", "/users/{u:dev}/password", `{"old_password":"wrong","new_password":"Better123"}`, http.StatusForbidden},
		{"dev", "PUT", "/users/{u:dev}/password", `{"old_password":"` + testPassword + `","new_password":"weak"}`, http.StatusBadRequest},
		{"dev", "PUT", "/users/{u:guest}/password", `{"new_password":"Better123"}`, http.StatusForbidden},
		{"admin", "PUT", "/users/{u:guest}/password", `{"new_password":"Better123"}`, http.StatusOK},
		{"robot", "PUT", "/users/{u:guest}/password", `{"new_password":"Better123"}`, http.StatusForbidden},
	}, Options{})
}

func TestUserSelfRegistration(t *testing.T) {
	t.Parallel()
	e := newIdentityEnv(t, Options{SelfRegistration: true})
	want(t, e.do(t, "anonymous", "POST", "/users", `{"username":"joiner","password":"Joiner123"}`), http.StatusCreated)
	want(t, e.do(t, "robot", "POST", "/users", `{"username":"bot2","password":"Joiner123"}`), http.StatusForbidden)
	want(t, e.do(t, "dev", "POST", "/users", `{"username":"friend","password":"Joiner123"}`), http.StatusForbidden)
	want(t, e.do(t, "admin", "POST", "/users", `{"username":"friend","password":"Joiner123"}`), http.StatusCreated)
	u, err := e.store.GetUserByName(context.Background(), "joiner")
	if err != nil {
		t.Fatal(err)
	}
	if u.Sysadmin {
		t.Error("self-registered user is a system admin")
	}
}

func TestUserCreateShapeAndHash(t *testing.T) {
	t.Parallel()
	e := newIdentityEnv(t, Options{})
	w := e.do(t, "admin", "POST", "/users", `{"username":"newbie","email":"n@example.com","realname":"New Bie","password":"Newbie123","comment":"hi"}`)
	want(t, w, http.StatusCreated)
	u, err := e.store.GetUserByName(context.Background(), "newbie")
	if err != nil {
		t.Fatal(err)
	}
	if got, wantLoc := w.Header().Get("Location"), Prefix+"/users/"+itoa(u.ID); got != wantLoc {
		t.Errorf("Location %q, want %q", got, wantLoc)
	}
	if u.PasswordHash == "Newbie123" || !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Errorf("stored password %q is not a hash", u.PasswordHash)
	}
	if ok, err := password.Verify(u.PasswordHash, "Newbie123"); err != nil || !ok {
		t.Errorf("stored hash does not verify: %v", err)
	}

	w = e.do(t, "admin", "GET", "/users/"+itoa(u.ID), "")
	want(t, w, http.StatusOK)
	got := decode[map[string]any](t, w)
	wantKeys := []string{"comment", "creation_time", "disabled", "email", "realname", "sysadmin_flag", "update_time", "user_id", "username"}
	if diff := cmp.Diff(wantKeys, keys(got)); diff != "" {
		t.Errorf("user keys (-want +got):\n%s", diff)
	}
	checkHarborTimes(t, got, "creation_time", "update_time")
	if got["username"] != "newbie" || got["realname"] != "New Bie" || got["email"] != "n@example.com" || got["sysadmin_flag"] != false {
		t.Errorf("user = %v", got)
	}
	if strings.Contains(w.Body.String(), "argon2") || strings.Contains(w.Body.String(), "Newbie123") {
		t.Errorf("user response leaks the password: %s", w.Body)
	}

	for _, c := range []struct {
		name, body string
		status     int
	}{
		{"duplicate", `{"username":"newbie","password":"Newbie123"}`, http.StatusConflict},
		{"bad JSON", `{"username":`, http.StatusBadRequest},
		{"trailing data", `{"username":"x","password":"Newbie123"} {}`, http.StatusBadRequest},
		{"short password", `{"username":"x","password":"Ab1"}`, http.StatusBadRequest},
		{"no digit", `{"username":"x","password":"Abcdefghij"}`, http.StatusBadRequest},
		{"no upper", `{"username":"x","password":"abcdefgh1"}`, http.StatusBadRequest},
		{"too long", `{"username":"x","password":"Aa1` + strings.Repeat("x", 130) + `"}`, http.StatusBadRequest},
		{"no username", `{"password":"Newbie123"}`, http.StatusBadRequest},
		{"bad username", `{"username":"a,b","password":"Newbie123"}`, http.StatusBadRequest},
		{"robot-like username", `{"username":"robot$x","password":"Newbie123"}`, http.StatusBadRequest},
		{"bad email", `{"username":"x","email":"nope","password":"Newbie123"}`, http.StatusBadRequest},
		{"too large", `{"username":"x","comment":"` + strings.Repeat("a", MaxBodySize) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := e.do(t, "admin", "POST", "/users", c.body)
			want(t, w, c.status)
			errs := decode[errorBody](t, w)
			if len(errs.Errors) != 1 || errs.Errors[0].Code == "" || errs.Errors[0].Message == "" {
				t.Errorf("error body %s is not Harbor's shape", w.Body)
			}
		})
	}
}

func TestUserPasswordChange(t *testing.T) {
	t.Parallel()
	e := newIdentityEnv(t, Options{})
	want(t, e.do(t, "dev", "PUT", "/users/"+itoa(e.users["dev"].ID)+"/password",
		`{"old_password":"`+testPassword+`","new_password":"`+testPassword+`"}`), http.StatusBadRequest)
	want(t, e.do(t, "dev", "PUT", "/users/"+itoa(e.users["dev"].ID)+"/password",
		`{"old_password":"`+testPassword+`","new_password":"Changed123"}`), http.StatusOK)
	u, err := e.store.GetUser(context.Background(), e.users["dev"].ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := password.Verify(u.PasswordHash, "Changed123"); !ok {
		t.Error("new password does not verify")
	}
	// The admin changing their own password must give the old one too.
	want(t, e.do(t, "admin", "PUT", "/users/"+itoa(e.users["admin"].ID)+"/password", `{"new_password":"Changed123"}`), http.StatusForbidden)
}

func TestUsersListAndSearch(t *testing.T) {
	t.Parallel()
	e := newIdentityEnv(t, Options{})
	w := e.do(t, "admin", "GET", "/users?page=2&page_size=3", "")
	want(t, w, http.StatusOK)
	if got := w.Header().Get("X-Total-Count"); got != "7" {
		t.Errorf("X-Total-Count %q, want 7", got)
	}
	link := w.Header().Get("Link")
	if !strings.Contains(link, `page=1&page_size=3>; rel="prev"`) || !strings.Contains(link, `page=3&page_size=3>; rel="next"`) {
		t.Errorf("Link %q", link)
	}
	page := decode[[]userJSON](t, w)
	if len(page) != 3 || page[0].Username != "lguest" {
		t.Errorf("page 2 = %+v", page)
	}

	w = e.do(t, "admin", "GET", "/users?q=username%3D~guest", "")
	want(t, w, http.StatusOK)
	var names []string
	for _, u := range decode[[]userJSON](t, w) {
		names = append(names, u.Username)
	}
	if diff := cmp.Diff([]string{"guest", "lguest"}, names); diff != "" {
		t.Errorf("q username=~guest (-want +got):\n%s", diff)
	}
	want(t, e.do(t, "admin", "GET", "/users?q=color%3Dred", ""), http.StatusBadRequest)
	want(t, e.do(t, "admin", "GET", "/users?sort=-email", ""), http.StatusBadRequest)

	w = e.do(t, "dev", "GET", "/users/search?username=guest", "")
	want(t, w, http.StatusOK)
	items := decode[[]map[string]any](t, w)
	if len(items) != 2 || !cmp.Equal(keys(items[0]), []string{"user_id", "username"}) {
		t.Errorf("search = %v", items)
	}
}

func TestCurrentUser(t *testing.T) {
	t.Parallel()
	e := newIdentityEnv(t, Options{})
	w := e.do(t, "padmin", "GET", "/users/current", "")
	want(t, w, http.StatusOK)
	if u := decode[userJSON](t, w); u.Username != "padmin" || u.UserID != e.users["padmin"].ID {
		t.Errorf("current = %+v", u)
	}
}
