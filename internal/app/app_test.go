package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-oci/berth/internal/config"
)

// syncBuffer is a bytes.Buffer safe for a server's goroutines and a test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newTestServer runs New on a fresh data directory and serves it with
// httptest. Authentication is off, since these tests are about the
// server's plumbing (security_test.go covers authentication); edit, if not
// nil, adjusts the configuration first.
func newTestServer(t *testing.T, edit func(*config.Config)) (*Server, *httptest.Server, *syncBuffer) {
	t.Helper()
	cfg := config.Default().WithDataDir(t.TempDir())
	cfg.Auth.Disabled = true
	if edit != nil {
		edit(&cfg)
	}
	logs := &syncBuffer{}
	srv, err := New(t.Context(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return srv, hs, logs
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func TestEndpoints(t *testing.T) {
	t.Parallel()
	_, hs, logs := newTestServer(t, nil)
	tests := []struct {
		path   string
		status int
		body   string // substring
		header string // header that must be set
	}{
		{"/healthz", 200, "ok", ""},
		{"/readyz", 200, `"status":"ok"`, ""},
		{"/v2/", 200, "{}", "Docker-Distribution-Api-Version"},
		{"/v2", 200, "{}", "Docker-Distribution-Api-Version"},
		{"/v2/_catalog", 200, `"repositories"`, ""},
		{"/v2/library/nginx/tags/list", 404, "NAME_UNKNOWN", ""},
		{"/nope", 200, "<!doctype html>", "Content-Security-Policy"}, // the web UI's client routes
		{"/nope.txt", 404, "", ""},
	}
	for _, tt := range tests {
		resp, body := get(t, hs.URL+tt.path)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.body) {
			t.Errorf("GET %s = %d %q, want %d containing %q", tt.path, resp.StatusCode, body, tt.status, tt.body)
		}
		if tt.header != "" && resp.Header.Get(tt.header) == "" {
			t.Errorf("GET %s: no %s header", tt.path, tt.header)
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("GET %s: no X-Request-Id", tt.path)
		}
	}

	_, metrics := get(t, hs.URL+"/metrics")
	for _, want := range []string{
		"berth_blobs 0", "berth_blob_bytes 0", "berth_manifests 0", "berth_repositories 0", "berth_uploads_active 0",
		`berth_http_requests_total{method="GET",route="healthz",status="200"} 1`,
		`berth_http_requests_total{method="GET",route="base_get",status="200"} 2`,
		`berth_http_requests_total{method="GET",route="ui_static",status="404"} 1`,
		`berth_http_response_bytes_total{method="GET",route="healthz"} 3`,
		"berth_http_request_duration_seconds_bucket",
		"berth_http_request_bytes_total",
		"go_goroutines",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if !strings.Contains(logs.String(), "path=/v2/_catalog") || !strings.Contains(logs.String(), "request_id=") {
		t.Errorf("no access log line with a request id:\n%s", logs)
	}
}

func TestMetricsCountContent(t *testing.T) {
	t.Parallel()
	_, hs, _ := newTestServer(t, nil)
	// A monolithic upload: POST with digest creates the blob and the repository.
	const blob = "hello"
	const dgst = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
	resp, err := http.Post(hs.URL+"/v2/test/repo/blobs/uploads/?digest="+dgst, "application/octet-stream", strings.NewReader(blob))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("monolithic upload: %d", resp.StatusCode)
	}
	_, metrics := get(t, hs.URL+"/metrics")
	for _, want := range []string{
		"berth_blobs 1", "berth_blob_bytes 5",
		`berth_http_request_bytes_total{method="POST",route="uploads_post"} 5`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestReadyzFailures(t *testing.T) {
	t.Parallel()
	t.Run("storage", func(t *testing.T) {
		t.Parallel()
		srv, hs, _ := newTestServer(t, nil)
		if err := os.RemoveAll(srv.cfg.Storage.Filesystem.Root); err != nil {
			t.Fatal(err)
		}
		resp, body := get(t, hs.URL+"/readyz")
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("readyz = %d %s, want 503", resp.StatusCode, body)
		}
		var got struct {
			Status string
			Checks map[string]string
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		if got.Status != "unavailable" || got.Checks["database"] != "ok" || !strings.Contains(got.Checks["storage"], "not writable") {
			t.Errorf("readyz body %+v", got)
		}
		if resp, _ := get(t, hs.URL+"/healthz"); resp.StatusCode != http.StatusOK {
			t.Errorf("healthz = %d while not ready, want 200", resp.StatusCode)
		}
	})
	t.Run("database", func(t *testing.T) {
		t.Parallel()
		srv, hs, _ := newTestServer(t, nil)
		if err := srv.meta.Close(); err != nil {
			t.Fatal(err)
		}
		resp, body := get(t, hs.URL+"/readyz")
		if resp.StatusCode != http.StatusServiceUnavailable || strings.Contains(body, `"database":"ok"`) {
			t.Errorf("readyz = %d %s, want 503 with a database error", resp.StatusCode, body)
		}
		// The scrape still answers, with the other metrics.
		resp, metrics := get(t, hs.URL+"/metrics")
		if resp.StatusCode != http.StatusOK || !strings.Contains(metrics, "go_goroutines") || strings.Contains(metrics, "berth_blobs ") {
			t.Errorf("metrics with a closed database = %d, want 200 without berth_blobs", resp.StatusCode)
		}
	})
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	cfg := config.Default().WithDataDir(t.TempDir())
	cfg.Database.Driver = "mysql"
	if _, err := New(t.Context(), cfg, nil); err == nil || !strings.Contains(err.Error(), "database.driver") {
		t.Errorf("New = %v, want a database.driver error", err)
	}
}

func TestUploadSweep(t *testing.T) {
	t.Parallel()
	_, hs, _ := newTestServer(t, func(c *config.Config) {
		c.Registry.UploadTTL = time.Millisecond
		c.Registry.UploadSweep = 20 * time.Millisecond
	})
	resp, err := http.Post(hs.URL+"/v2/sweep/me/blobs/uploads/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusAccepted || loc == "" {
		t.Fatalf("start upload: %d, Location %q", resp.StatusCode, loc)
	}
	if !strings.HasPrefix(loc, "http") {
		loc = hs.URL + loc
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, _ := get(t, loc)
		if resp.StatusCode == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("upload session still answers %d after the sweep should have removed it", resp.StatusCode)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestCloseStopsSweeper(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	srv, err := New(ctx, config.Default().WithDataDir(t.TempDir()), nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
