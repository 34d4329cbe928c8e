package authz

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
)

// status sends GET path with basic credentials and returns the status.
func (e *env) basicStatus(user, pass, method, path string) int {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.url+path, nil)
	req.SetBasicAuth(user, pass)
	resp, _ := e.send(req)
	return resp.StatusCode
}

// TestChangesTakeEffectAtOnce checks that identity changes made through the
// API apply to the very next request: remembered credentials and roles are
// dropped, not kept until a cache expires.
func TestChangesTakeEffectAtOnce(t *testing.T) {
	e := newEnv(t)
	pull := "/v2/priv/app/manifests/v1"

	// A new member may pull at once; removed, they may not.
	if got := e.basicStatus("outsider", e.creds["outsider"][1], http.MethodHead, pull); got != http.StatusForbidden {
		t.Fatalf("outsider pull before membership = %d, want 403", got)
	}
	e.api("admin", http.MethodPost, "/api/v2.0/projects/priv/members", map[string]any{"role_id": 3, "member_user": map[string]string{"username": "outsider"}}, http.StatusCreated)
	if got := e.basicStatus("outsider", e.creds["outsider"][1], http.MethodHead, pull); got != http.StatusOK {
		t.Fatalf("outsider pull right after becoming guest = %d, want 200", got)
	}
	var ms []struct {
		ID         int64  `json:"id"`
		EntityName string `json:"entity_name"`
	}
	json.Unmarshal(e.api("admin", http.MethodGet, "/api/v2.0/projects/priv/members?page_size=100", nil, http.StatusOK), &ms)
	for _, m := range ms {
		if m.EntityName == "outsider" {
			e.api("admin", http.MethodDelete, fmt.Sprintf("/api/v2.0/projects/priv/members/%d", m.ID), nil, http.StatusOK)
		}
	}
	if got := e.basicStatus("outsider", e.creds["outsider"][1], http.MethodHead, pull); got != http.StatusForbidden {
		t.Fatalf("outsider pull right after removal = %d, want 403", got)
	}

	// A changed password: the old one stops working at once.
	var users []struct {
		UserID   int64  `json:"user_id"`
		Username string `json:"username"`
	}
	json.Unmarshal(e.api("admin", http.MethodGet, "/api/v2.0/users?page_size=100", nil, http.StatusOK), &users)
	id := int64(0)
	for _, u := range users {
		if u.Username == "developer" {
			id = u.UserID
		}
	}
	old := e.creds["developer"][1]
	if got := e.basicStatus("developer", old, http.MethodHead, pull); got != http.StatusOK {
		t.Fatalf("developer pull = %d", got)
	}
	e.api("admin", http.MethodPut, fmt.Sprintf("/api/v2.0/users/%d/password", id), map[string]string{"new_password": "New-dev-pass-9"}, http.StatusOK)
	if got := e.basicStatus("developer", old, http.MethodHead, pull); got != http.StatusUnauthorized {
		t.Errorf("old password right after change = %d, want 401", got)
	}
	if got := e.basicStatus("developer", "New-dev-pass-9", http.MethodHead, pull); got != http.StatusOK {
		t.Errorf("new password = %d, want 200", got)
	}

	// Making the public project private hides it from outsiders at once.
	if got := e.basicStatus("outsider", e.creds["outsider"][1], http.MethodHead, "/v2/pub/app/manifests/v1"); got != http.StatusOK {
		t.Fatalf("outsider pull from public = %d", got)
	}
	e.api("admin", http.MethodPut, "/api/v2.0/projects/pub", map[string]any{"metadata": map[string]string{"public": "false"}}, http.StatusOK)
	if got := e.basicStatus("outsider", e.creds["outsider"][1], http.MethodHead, "/v2/pub/app/manifests/v1"); got != http.StatusForbidden {
		t.Errorf("outsider pull right after the project went private = %d, want 403", got)
	}
	// An API 401 does not say whether the user exists.
	req, _ := http.NewRequest(http.MethodGet, e.url+"/api/v2.0/users/current", nil)
	req.SetBasicAuth("no-such-user", "whatever-1A")
	_, b1 := e.send(req)
	req, _ = http.NewRequest(http.MethodGet, e.url+"/api/v2.0/users/current", nil)
	req.SetBasicAuth("developer", "wrong-Pass-1")
	_, b2 := e.send(req)
	if string(b1) != string(b2) {
		t.Errorf("401 bodies differ for an unknown user and a wrong password:\n%s\n%s", b1, b2)
	}
}
