package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/berth-oci/berth/internal/httpx"
)

// readyTimeout bounds each readiness check.
const readyTimeout = 5 * time.Second

// healthz answers 200 while the process is alive.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	httpx.SetRoute(r.Context(), "healthz")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz answers 200 when the metadata store answers a ping and the storage
// root accepts a write, 503 otherwise, with each check's result as JSON.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	httpx.SetRoute(r.Context(), "readyz")
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	checks := map[string]string{"database": "ok", "storage": "ok"}
	status := http.StatusOK
	if err := s.meta.Ping(ctx); err != nil {
		checks["database"] = err.Error()
		status = http.StatusServiceUnavailable
	}
	if err := checkWritable(s.cfg.Storage.Filesystem.Root); err != nil {
		checks["storage"] = err.Error()
		status = http.StatusServiceUnavailable
	}
	if status != http.StatusOK {
		s.log.WarnContext(r.Context(), "not ready", "database", checks["database"], "storage", checks["storage"])
	}
	body := struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}{Status: "ok", Checks: checks}
	if status != http.StatusOK {
		body.Status = "unavailable"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// checkWritable creates, writes and removes a small file in dir.
func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".readyz-*")
	if err != nil {
		return fmt.Errorf("storage root not writable: %w", err)
	}
	_, werr := f.Write([]byte("ok"))
	cerr := f.Close()
	rerr := os.Remove(f.Name())
	for _, err := range []error{werr, cerr, rerr} {
		if err != nil {
			return fmt.Errorf("storage root not writable: %w", err)
		}
	}
	return nil
}
