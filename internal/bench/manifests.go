package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// maxLatencySamples bounds the latencies kept per load run (8 bytes each);
// beyond it each worker keeps a uniform reservoir sample.
const maxLatencySamples = 1 << 20

// loadStats is the outcome of one fixed-duration load run.
type loadStats struct {
	requests int64
	errors   int64
	firstErr error
	elapsed  time.Duration
	lat      []time.Duration // sorted sample
}

// reservoir keeps a bounded uniform sample of latencies.
type reservoir struct {
	cap  int
	seen int64
	s    []time.Duration
	rng  *rand.Rand
}

func (rv *reservoir) add(d time.Duration) {
	rv.seen++
	if len(rv.s) < rv.cap {
		rv.s = append(rv.s, d)
		return
	}
	if j := rv.rng.Int64N(rv.seen); j < int64(rv.cap) {
		rv.s[j] = d
	}
}

// load runs op from conc goroutines until d has passed or ctx ends. op
// returns an error for a failed request; the run goes on and counts it.
func load(ctx context.Context, conc int, d time.Duration, op func(ctx context.Context) error) loadStats {
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second) // hard stop for a hung request
	defer cancel()
	deadline := time.Now().Add(d)
	per := max(maxLatencySamples/conc, 1)
	var (
		mu  sync.Mutex
		st  loadStats
		wg  sync.WaitGroup
		all []time.Duration
	)
	start := time.Now()
	for w := range conc {
		wg.Go(func() {
			rv := reservoir{cap: per, rng: rand.New(rand.NewPCG(uint64(w), 1))}
			var n, nerr int64
			var ferr error
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t := time.Now()
				err := op(ctx)
				n++
				if err != nil {
					nerr++
					if ferr == nil {
						ferr = err
					}
					continue
				}
				rv.add(time.Since(t))
			}
			mu.Lock()
			defer mu.Unlock()
			st.requests += n
			st.errors += nerr
			if st.firstErr == nil {
				st.firstErr = ferr
			}
			all = append(all, rv.s...)
		})
	}
	wg.Wait()
	st.elapsed = time.Since(start)
	slices.Sort(all)
	st.lat = all
	return st
}

func (r *runner) manifest(ctx context.Context) (*Result, error) {
	res := &Result{}
	repo, tag := r.repo("manifest"), "bench"
	img := buildImage(subSeed(r.cfg.seed, kindManifestImage), 3<<10, 5<<10)
	if err := r.pushImage(ctx, repo, tag, img); err != nil {
		return res, fmt.Errorf("setup: %w", err)
	}
	u := r.c.url("/v2/"+repo+"/manifests/"+tag, nil).String()
	want := int64(len(img.manifest))
	op := func(method string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, method, u, nil)
			if err != nil {
				return err
			}
			req.Header.Set("Accept", manifestAccept)
			if r.c.user != "" {
				req.SetBasicAuth(r.c.user, r.c.password)
			}
			resp, err := r.c.do(req, http.StatusOK)
			if err != nil {
				return err
			}
			n, err := io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if err != nil {
				return fmt.Errorf("read manifest: %w", err)
			}
			if method == http.MethodGet && n != want {
				return fmt.Errorf("manifest body is %d bytes, want %d", n, want)
			}
			if dg := resp.Header.Get("Docker-Content-Digest"); dg != "" && dg != img.digest {
				return fmt.Errorf("Docker-Content-Digest %s, want %s", dg, img.digest)
			}
			return nil
		}
	}
	var failed error
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		r.logf("%s %s:%s from %d clients for %s", method, repo, tag, r.cfg.concurrency, r.cfg.duration)
		st := load(ctx, r.cfg.concurrency, r.cfg.duration, op(method))
		ok := st.requests - st.errors
		res.add(method+" rate", float64(ok)/st.elapsed.Seconds(), "req/s")
		res.add(method+" p50", ms(percentile(st.lat, 50)), "ms")
		res.add(method+" p99", ms(percentile(st.lat, 99)), "ms")
		res.add(method+" errors", float64(st.errors), "requests")
		if st.errors > 0 {
			res.note("%s: %d of %d requests failed; first: %v", method, st.errors, st.requests, st.firstErr)
			if failed == nil {
				failed = fmt.Errorf("%s: %d of %d requests failed: %w", method, st.errors, st.requests, st.firstErr)
			}
		}
		if err := ctx.Err(); err != nil {
			return res, err
		}
	}
	res.note("%d-byte manifest, %d keep-alive clients; percentiles over every request (reservoir of at most %s per method)",
		want, r.cfg.concurrency, fmt.Sprint(maxLatencySamples))
	return res, failed
}
