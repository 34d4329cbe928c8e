package authz

import (
	"net/http"
	"strings"
	"testing"
)

// TestTokenScopeIsExact checks over HTTP that a token is good for exactly
// the repositories and actions it names: one for repository A does not
// open repository B, a pull token does not push, and a forged or
// tampered token is refused with invalid_token.
func TestTokenScopeIsExact(t *testing.T) {
	e := newEnv(t)
	tok := e.token("admin", "repository:priv/app:pull")
	get := func(path, bearer string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+bearer)
		resp, _ := e.send(req)
		return resp
	}
	if resp := get("/v2/priv/app/manifests/v1", tok); resp.StatusCode != http.StatusOK {
		t.Fatalf("token used on its own repository = %d", resp.StatusCode)
	}
	resp := get("/v2/other/app/manifests/v1", tok)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`) {
		t.Errorf("token for priv/app used on other/app = %d %q, want 401 insufficient_scope", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	req, _ := http.NewRequest(http.MethodDelete, e.url+"/v2/priv/app/manifests/"+e.images["priv/app"], nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, _ := e.send(req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("pull token used to delete = %d, want 401", resp.StatusCode)
	}
	// Flip one character of the signature.
	parts := strings.Split(tok, ".")
	sig := []byte(parts[2])
	if sig[5] == 'A' {
		sig[5] = 'B'
	} else {
		sig[5] = 'A'
	}
	forged := parts[0] + "." + parts[1] + "." + string(sig)
	resp = get("/v2/priv/app/manifests/v1", forged)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Errorf("tampered token = %d %q, want 401 invalid_token", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// alg none with the same claims.
	none := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
	if resp := get("/v2/priv/app/manifests/v1", none); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("alg none token = %d, want 401", resp.StatusCode)
	}
	// A token asked for by an outsider grants nothing in priv.
	out := e.token("outsider", "repository:priv/app:pull,push")
	if resp := get("/v2/priv/app/manifests/v1", out); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("outsider's token on priv = %d, want 401", resp.StatusCode)
	}
}

// TestBearerTokenNotForAPI checks that a registry token, whatever its
// scopes, does not authenticate management API calls.
func TestBearerTokenNotForAPI(t *testing.T) {
	e := newEnv(t)
	tok := e.token("admin", "repository:priv/app:pull,push,delete registry:catalog:*")
	req, _ := http.NewRequest(http.MethodGet, e.url+"/api/v2.0/users", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, b := e.send(req); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("admin's registry token on GET /api/v2.0/users = %d %s, want 401", resp.StatusCode, b)
	}
}
