package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// newRegistry starts an in-process go-containerregistry registry; wrap, if
// not nil, decorates its handler.
func newRegistry(t *testing.T, wrap func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// smallArgs are end-to-end sizes that finish in a few seconds.
func smallArgs(target string) []string {
	return []string{
		"--target", target, "--blob-size", "8MiB", "--chunk-size", "3MiB", "--concurrency", "8",
		"--duration", "1s", "--images", "20", "--tags", "50", "--repos", "50", "--page-size", "20",
		"--runs", "3", "--seed", "12345", "--timeout", "2m",
	}
}

func TestRunEndToEnd(t *testing.T) {
	srv := newRegistry(t, nil)
	var stdout, stderr bytes.Buffer
	// The registry runs in this process, so --pid samples the test binary.
	args := append(smallArgs(srv.URL), "--json", "--pid", strconv.Itoa(os.Getpid()))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := Run(ctx, args, &stdout, &stderr); err != nil {
		t.Fatalf("Run: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), stdout.String())
	}
	var sum Summary
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("decode JSON summary: %v\n%s", err, stdout.String())
	}
	if sum.Seed != 12345 || sum.Server == nil || sum.Server.HWMKiB == 0 {
		t.Errorf("summary header = seed %d server %+v", sum.Seed, sum.Server)
	}
	want := map[string][]string{
		"push-mono":    {"throughput"},
		"push-chunked": {"throughput", "chunks"},
		"pull":         {"throughput", "ranged GETs verified"},
		"manifest":     {"GET rate", "GET p50", "GET p99", "HEAD rate"},
		"images":       {"rate", "per-image p99"},
		"tags":         {"full median", "full entries", "n=20 walk median", "n=20 walk pages"},
		"catalog":      {"full median", "n=20 walk median"},
	}
	if len(sum.Results) != len(want) {
		t.Fatalf("got %d results, want %d", len(sum.Results), len(want))
	}
	for _, res := range sum.Results {
		if res.Error != "" {
			t.Errorf("%s: %s", res.Scenario, res.Error)
		}
		if res.Memory == nil || res.Memory.ServerMaxKiB == 0 || res.Memory.ClientMaxKiB == 0 {
			t.Errorf("%s: memory not sampled: %+v", res.Scenario, res.Memory)
		}
		for _, name := range want[res.Scenario] {
			m, ok := metric(res, name)
			if !ok {
				t.Errorf("%s: no metric %q in %+v", res.Scenario, name, res.Metrics)
				continue
			}
			if m.Value <= 0 {
				t.Errorf("%s: %s = %v %s, want > 0", res.Scenario, name, m.Value, m.Unit)
			}
		}
	}
	checks := []struct {
		scenario, metric string
		want             float64
	}{
		{"push-chunked", "chunks", 3},       // 8 MiB in 3 MiB chunks
		{"pull", "ranged GETs verified", 3}, // all three ranges
		{"tags", "full entries", 51},        // 50 tags + t-base
		{"tags", "n=20 walk entries", 51},   // followed with last= (ggcr sends no Link)
		{"tags", "n=20 walk pages", 3},      // 20 + 20 + 11
		{"manifest", "GET errors", 0},       // every request verified
		{"manifest", "HEAD errors", 0},
	}
	for _, c := range checks {
		for _, res := range sum.Results {
			if res.Scenario != c.scenario {
				continue
			}
			if m, _ := metric(res, c.metric); m.Value != c.want {
				t.Errorf("%s %s = %v, want %v", c.scenario, c.metric, m.Value, c.want)
			}
		}
	}
}

func metric(res Result, name string) (Metric, bool) {
	for _, m := range res.Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// absoluteLocations rewrites relative Location headers to absolute URLs and
// adds a Link header to paginated tag lists, as Distribution does.
func absoluteLocations(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(&locWriter{ResponseWriter: w, r: r}, r)
	})
}

type locWriter struct {
	http.ResponseWriter
	r *http.Request
}

func (lw *locWriter) WriteHeader(code int) {
	h := lw.Header()
	if loc := h.Get("Location"); strings.HasPrefix(loc, "/") {
		h.Set("Location", "http://"+lw.r.Host+loc)
	}
	if strings.HasSuffix(lw.r.URL.Path, "/tags/list") && lw.r.URL.Query().Get("n") == "20" {
		// Point "next" at the following page only while pages are full; the
		// registry pads nothing, so page 3 (11 entries) ends the walk.
		last := lw.r.URL.Query().Get("last")
		if next := map[string]string{"": "t-0000019", "t-0000019": "t-0000039"}[last]; next != "" {
			h.Set("Link", `<`+lw.r.URL.Path+`?n=20&last=`+next+`>; rel="next"`)
		}
	}
	lw.ResponseWriter.WriteHeader(code)
}

func TestRunAbsoluteLocationsAndLinks(t *testing.T) {
	srv := newRegistry(t, absoluteLocations)
	var stdout, stderr bytes.Buffer
	args := append(smallArgs(srv.URL), "--only", "push-chunked,images,tags", "--blob-size", "1MiB",
		"--chunk-size", "256KiB")
	if err := Run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("Run: %v\nstderr:\n%s", err, stderr.String())
	}
	out := stdout.String()
	t.Logf("report:\n%s", out)
	for _, want := range []string{"push-chunked", "MB/s", "images/s", "n=20 walk median"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"no Link header", "stopped early", "saw "} {
		if strings.Contains(out, unwanted) {
			t.Errorf("walk did not follow the Link headers cleanly (%q):\n%s", unwanted, out)
		}
	}
	if !regexp.MustCompile(`tags\s+n=20 walk entries\s+51\s`).MatchString(out) ||
		!regexp.MustCompile(`tags\s+n=20 walk pages\s+3\s`).MatchString(out) {
		t.Errorf("walk did not see 51 entries in 3 pages:\n%s", out)
	}
}

func TestRunHelpAndBadFlags(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if err := Run(context.Background(), []string{"-h"}, &stdout, &stderr); err != nil {
		t.Fatalf("-h: %v", err)
	}
	if stderr.Len() != 0 || strings.Count(stdout.String(), "Usage:") != 1 {
		t.Errorf("-h: want help once on stdout; stdout %d bytes, stderr %q", stdout.Len(), stderr.String())
	}
	for _, s := range scenarios() {
		if !strings.Contains(stdout.String(), s.name) {
			t.Errorf("help does not list scenario %s", s.name)
		}
	}
	for _, args := range [][]string{
		{"--blob-size", "lots"},
		{"--concurrency", "0"},
		{"--only", "push-mono,bogus"},
		{"--duration", "2h"},
		{"--mono-mode", "weird"},
		{"--target", "ftp://x"},
		{"extra"},
	} {
		if err := Run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("Run(%q) succeeded", args)
		}
	}
}

func TestRunReportsFailures(t *testing.T) {
	t.Parallel()
	// A server that refuses everything: the bench reports each scenario and fails.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"errors":[{"code":"DENIED"}]}`, http.StatusForbidden)
	}))
	defer srv.Close()
	var stdout bytes.Buffer
	args := append(smallArgs(srv.URL), "--only", "images,tags")
	err := Run(context.Background(), args, &stdout, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "images, tags") {
		t.Fatalf("Run = %v, want failure naming images and tags", err)
	}
	if !strings.Contains(stdout.String(), "FAILED") || !strings.Contains(stdout.String(), "status 403") {
		t.Errorf("table does not show the failures:\n%s", stdout.String())
	}
}

func TestRunCancelled(t *testing.T) {
	t.Parallel()
	srv := newRegistry(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout bytes.Buffer
	err := Run(ctx, append(smallArgs(srv.URL), "--only", "tags"), &stdout, io.Discard)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run with a cancelled context = %v, want context.Canceled", err)
	}
}
