package conformance

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/berth-oci/berth/internal/app"
	"github.com/berth-oci/berth/internal/config"
)

// startBerth runs Berth in-process with its data in t.TempDir and returns its
// base URL. The server is closed when t ends.
// inProcessPassword is the admin password of the in-process Berth.
const inProcessPassword = "conformance-admin-pw"

func startBerth(t *testing.T) string {
	t.Helper()
	out := &cleanupWriter{w: t.Output()}
	t.Cleanup(out.close) // registered first, so it runs after the server is closed
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}))

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg := config.Default().WithDataDir(t.TempDir())
	// Authentication stays on, as in production: the tests log in as the
	// administrator, and the namespace's project is created on first push.
	cfg.Auth.AdminPassword = inProcessPassword
	cfg.Auth.AutoCreateProjects = true
	srv, err := app.New(ctx, cfg, log)
	if err != nil {
		t.Fatalf("start Berth: %v", err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("close Berth: %v", err)
		}
	})
	return hs.URL
}

// cleanupWriter forwards the server's log to the test's output until the test
// ends, then drops it, so a late background log line cannot panic the test.
type cleanupWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (c *cleanupWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.w == nil {
		return len(p), nil
	}
	return c.w.Write(p)
}

func (c *cleanupWriter) close() {
	c.mu.Lock()
	c.w = nil
	c.mu.Unlock()
}
