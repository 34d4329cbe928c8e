// Package berthtest starts an in-process Berth for the black-box suites
// under test/: the composition root as cmd/berth runs it, served by
// httptest on a loopback port and stopped when the test ends.
package berthtest

import (
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/berth-oci/berth/internal/app"
	"github.com/berth-oci/berth/internal/config"
)

// Serve starts Berth on cfg and returns its base URL ("http://127.0.0.1:port").
func Serve(t testing.TB, cfg config.Config) string {
	t.Helper()
	srv, err := app.New(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		_ = srv.Close()
	})
	return hs.URL
}
