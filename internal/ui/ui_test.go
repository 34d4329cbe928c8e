package ui_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/berth-oci/berth/internal/ui"
)

func TestStatic(t *testing.T) {
	t.Parallel()
	files := fstest.MapFS{
		"index.html":              {Data: []byte(`<!doctype html><script type="module" src="/assets/index-abc123.js"></script>`)},
		"assets/index-abc123.js":  {Data: []byte(`console.log(1)`)},
		"assets/index-abc123.css": {Data: []byte(`body{}`)},
		"favicon.svg":             {Data: []byte(`<svg/>`)},
	}
	h := ui.NewFS(files, nil, nil)
	for _, tc := range []struct {
		path, method string
		status       int
		ctype, cache string
		body         string
	}{
		{"/", http.MethodGet, 200, "text/html; charset=utf-8", "no-cache", "<!doctype html>"},
		{"/projects/team/repositories/app", http.MethodGet, 200, "text/html; charset=utf-8", "no-cache", "<!doctype html>"},
		{"/login", http.MethodGet, 200, "text/html; charset=utf-8", "no-cache", "<!doctype html>"},
		{"/assets/index-abc123.js", http.MethodGet, 200, "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", "console.log"},
		{"/assets/index-abc123.css", http.MethodGet, 200, "text/css; charset=utf-8", "public, max-age=31536000, immutable", "body{}"},
		{"/favicon.svg", http.MethodGet, 200, "image/svg+xml", "no-cache", "<svg/>"},
		{"/assets/index-old.js", http.MethodGet, 404, "", "", ""},
		{"/robots.txt", http.MethodGet, 404, "", "", ""},
		{"/projects/team/repositories/app.v1", http.MethodGet, 200, "text/html; charset=utf-8", "no-cache", "<!doctype html>"},
		{"/", http.MethodPost, 405, "", "", ""},
		{"/c/nope", http.MethodGet, 404, "application/json", "", "NOT_FOUND"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d", rec.Code, tc.status)
			}
			hd := rec.Header()
			if csp := hd.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP = %q", csp)
			}
			if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("Referrer-Policy") == "" {
				t.Errorf("headers = %v", hd)
			}
			if tc.ctype != "" && hd.Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type = %q, want %q", hd.Get("Content-Type"), tc.ctype)
			}
			if tc.cache != "" && hd.Get("Cache-Control") != tc.cache {
				t.Errorf("Cache-Control = %q, want %q", hd.Get("Cache-Control"), tc.cache)
			}
			if !strings.Contains(rec.Body.String(), tc.body) {
				t.Errorf("body = %q", rec.Body.String())
			}
		})
	}
}
