package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
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

// records parses the JSON log lines written so far.
func (s *syncBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func newTestMiddleware(t *testing.T, h http.Handler) (http.Handler, *Metrics, *prometheus.Registry, *syncBuffer) {
	t.Helper()
	buf := &syncBuffer{}
	log := slog.New(LogHandler(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	return Middleware(h, log, m), m, reg, buf
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		header string
		keep   bool
	}{
		{"generated when absent", "", false},
		{"client id kept", "abc-123", true},
		{"control characters replaced", "bad\x01id", false},
		{"too long replaced", strings.Repeat("x", maxRequestIDLen+1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var seen string
			h, _, _, buf := newTestMiddleware(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = RequestID(r.Context())
				slog.New(LogHandler(slog.NewJSONHandler(io.Discard, nil))).InfoContext(r.Context(), "inside")
			}))
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			if tt.header != "" {
				req.Header.Set(RequestIDHeader, tt.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get(RequestIDHeader)
			if got == "" || got != seen {
				t.Fatalf("response id %q, context id %q", got, seen)
			}
			if tt.keep && got != tt.header {
				t.Errorf("id %q, want client's %q", got, tt.header)
			}
			if !tt.keep && (got == tt.header || len(got) != 32) {
				t.Errorf("id %q, want a fresh 32-hex id", got)
			}
			recs := buf.records(t)
			if len(recs) != 1 || recs[0]["request_id"] != got {
				t.Errorf("access log %v, want one record with request_id %q", recs, got)
			}
		})
	}
}

func TestAccessLogAndMetrics(t *testing.T) {
	t.Parallel()
	h, m, reg, buf := newTestMiddleware(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/named" {
			SetRoute(r.Context(), "blob_put")
		}
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write(bytes.ToUpper(b))
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()

	for _, p := range []string{"/named", "/named", "/unnamed"} {
		resp, err := http.Post(srv.URL+p, "text/plain", strings.NewReader("hello"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || string(body) != "HELLO" {
			t.Fatalf("%s: %d %q", p, resp.StatusCode, body)
		}
	}
	checks := []struct {
		name string
		c    prometheus.Collector
		want float64
	}{
		{"requests blob_put", m.requests.WithLabelValues("blob_put", "POST", "201"), 2},
		{"requests other", m.requests.WithLabelValues(RouteOther, "POST", "201"), 1},
		{"bytes in", m.bytesIn.WithLabelValues("blob_put", "POST"), 10},
		{"bytes out", m.bytesOut.WithLabelValues("blob_put", "POST"), 10},
		{"bytes out other", m.bytesOut.WithLabelValues(RouteOther, "POST"), 5},
		{"in flight", m.inFlight, 0},
	}
	for _, c := range checks {
		if got := testutil.ToFloat64(c.c); got != c.want {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
	if n, err := testutil.GatherAndCount(reg, "berth_http_request_duration_seconds"); err != nil || n != 2 {
		t.Errorf("duration series = %d, %v; want 2", n, err)
	}

	recs := buf.records(t)
	if len(recs) != 3 {
		t.Fatalf("got %d log records, want 3", len(recs))
	}
	r := recs[0]
	for k, want := range map[string]any{"msg": "request", "method": "POST", "path": "/named", "route": "blob_put", "status": 201.0, "bytes": 5.0, "bytes_in": 5.0} {
		if r[k] != want {
			t.Errorf("log %s = %v, want %v", k, r[k], want)
		}
	}
	for _, k := range []string{"duration", "request_id"} {
		if _, ok := r[k]; !ok {
			t.Errorf("log record lacks %s: %v", k, r)
		}
	}
}

func TestRecover(t *testing.T) {
	t.Parallel()
	h, m, _, buf := newTestMiddleware(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetRoute(r.Context(), "boom")
		panic("kaboom")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", rec.Code)
	}
	if got := testutil.ToFloat64(m.requests.WithLabelValues("boom", "GET", "500")); got != 1 {
		t.Errorf("500s counted %v, want 1", got)
	}
	if !strings.Contains(buf.String(), "kaboom") {
		t.Errorf("panic not logged: %s", buf)
	}
}

func TestAbortHandlerRepanics(t *testing.T) {
	t.Parallel()
	h, _, _, _ := newTestMiddleware(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler", p)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
}

func TestUnknownMethodLabel(t *testing.T) {
	t.Parallel()
	h, m, _, _ := newTestMiddleware(t, http.NotFoundHandler())
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("BREW", "/", nil))
	if got := testutil.ToFloat64(m.requests.WithLabelValues(RouteOther, "other", "404")); got != 1 {
		t.Errorf("count %v, want 1", got)
	}
}

// readFromRecorder is a ResponseWriter with ReadFrom that records the type
// of the reader it was handed.
type readFromRecorder struct {
	*httptest.ResponseRecorder
	src io.Reader
}

func (r *readFromRecorder) ReadFrom(src io.Reader) (int64, error) {
	r.src = src
	return io.Copy(r.ResponseRecorder, src)
}

func TestReaderFromKeepsFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "blob")
	if err := os.WriteFile(path, []byte("0123456789"), 0o600); err != nil {
		t.Fatal(err)
	}
	h, m, _, _ := newTestMiddleware(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetRoute(r.Context(), "blob_get")
		if _, ok := w.(http.Flusher); !ok {
			t.Error("wrapped writer is not an http.Flusher")
		}
		f, err := os.Open(path)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		_, _ = io.Copy(w, f)
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush through ResponseController: %v", err)
		}
	}))
	rec := &readFromRecorder{ResponseRecorder: httptest.NewRecorder()}
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	// net's sendfile accepts any syscall.Conn reader: *os.File, or the
	// WriteTo-less wrapper os.File.WriteTo falls back to.
	if _, ok := rec.src.(syscall.Conn); !ok {
		t.Errorf("underlying ReadFrom got %T, want the file itself (sendfile path)", rec.src)
	}
	if rec.Body.String() != "0123456789" || !rec.Flushed {
		t.Errorf("body %q flushed %v", rec.Body, rec.Flushed)
	}
	if got := testutil.ToFloat64(m.bytesOut.WithLabelValues("blob_get", "GET")); got != 10 {
		t.Errorf("bytes out %v, want 10", got)
	}
}

func TestReaderFromFallback(t *testing.T) {
	t.Parallel()
	h, _, _, _ := newTestMiddleware(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := w.(io.ReaderFrom).ReadFrom(strings.NewReader("abc"))
		if n != 3 || err != nil {
			t.Errorf("ReadFrom = %d, %v", n, err)
		}
	}))
	rec := httptest.NewRecorder() // no ReadFrom
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Body.String() != "abc" {
		t.Errorf("body %q", rec.Body)
	}
}

func TestSetRouteOutsideMiddleware(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	SetRoute(ctx, "x") // must not panic
	if got := Route(ctx); got != RouteOther {
		t.Errorf("Route = %q, want %q", got, RouteOther)
	}
	if got := RequestID(ctx); got != "" {
		t.Errorf("RequestID = %q, want empty", got)
	}
}
