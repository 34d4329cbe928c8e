package bench

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// walkResult is one timed walk over a listing.
type walkResult struct {
	entries  int // all entries seen
	matching int // entries with the wanted prefix
	pages    int
	fallback bool   // no Link header: continued with last=
	stopped  string // why the walk stopped early, if it did
	elapsed  time.Duration
}

// maxPages bounds a paginated walk.
const maxPages = 100_000

// walk GETs start and, when n > 0, follows Link rel="next" (or, without a
// Link header on a full page, last=<final entry>) until the listing ends.
// Entries starting with prefix are counted in matching.
func (r *runner) walk(ctx context.Context, start *url.URL, key string, n int, prefix string) (walkResult, error) {
	var w walkResult
	u := start
	last := ""
	// seen detects a server that ignores a last= the bench made up itself;
	// it is kept only then, so the normal Link-following walk does no extra work.
	var seen map[string]bool
	t0 := time.Now()
	for w.pages < maxPages {
		p, err := r.c.getList(ctx, u, key)
		if err != nil {
			return w, err
		}
		w.pages++
		if w.fallback {
			if repeated := slices.IndexFunc(p.Entries, func(e string) bool { return seen[e] }); repeated >= 0 {
				w.stopped = fmt.Sprintf("page %d repeats %q: server does not honour last=", w.pages, p.Entries[repeated])
				break
			}
			for _, e := range p.Entries {
				seen[e] = true
			}
		}
		w.entries += len(p.Entries)
		for _, e := range p.Entries {
			if strings.HasPrefix(e, prefix) {
				w.matching++
			}
		}
		if len(p.Entries) > 0 {
			last = p.Entries[len(p.Entries)-1]
		}
		if n <= 0 {
			break
		}
		if p.Next != nil {
			u = p.Next
			continue
		}
		if len(p.Entries) < n || last == "" {
			break
		}
		if !w.fallback {
			w.fallback = true
			seen = make(map[string]bool, len(p.Entries)*4)
			for _, e := range p.Entries {
				seen[e] = true
			}
		}
		v := *start
		q := v.Query()
		q.Set("last", last)
		v.RawQuery = q.Encode()
		u = &v
	}
	w.elapsed = time.Since(t0)
	return w, nil
}

// timeWalks runs walk cfg.runs times and records the median time and what
// the last walk saw.
func (r *runner) timeWalks(ctx context.Context, res *Result, label string, start *url.URL, key string, n int,
	prefix string, want int) error {
	times := make([]time.Duration, 0, r.cfg.runs)
	var w walkResult
	for range r.cfg.runs {
		var err error
		if w, err = r.walk(ctx, start, key, n, prefix); err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		times = append(times, w.elapsed)
	}
	med := median(times)
	res.add(label+" median", ms(med), "ms")
	res.add(label+" min", ms(times[0]), "ms")
	res.add(label+" entries", float64(w.entries), "entries")
	if n > 0 {
		res.add(label+" pages", float64(w.pages), "requests")
	}
	if w.fallback {
		res.note("%s: no Link header on full pages; continued with last=", label)
	}
	if w.stopped != "" {
		res.note("%s: stopped early: %s", label, w.stopped)
	}
	if w.matching < want {
		res.note("%s: saw %d of the %d bench entries (server-side page limit or incomplete pagination)",
			label, w.matching, want)
	}
	return nil
}

func (r *runner) tags(ctx context.Context) (*Result, error) {
	res := &Result{}
	repo := r.repo("tags")
	img := buildImage(subSeed(r.cfg.seed, kindListImage), 1<<10)
	if err := r.pushImage(ctx, repo, "t-base", img); err != nil {
		return res, fmt.Errorf("setup: %w", err)
	}
	r.logf("setup: tagging %s %d times with %d workers (untimed)", repo, r.cfg.tags, r.cfg.workers)
	t0 := time.Now()
	err := forEach(ctx, r.cfg.tags, r.cfg.workers, func(ctx context.Context, i int) error {
		return r.c.putManifest(ctx, repo, tagName(i), img.manifest)
	})
	if err != nil {
		return res, fmt.Errorf("setup: %w", err)
	}
	res.add("setup tag PUTs", float64(r.cfg.tags)/time.Since(t0).Seconds(), "req/s")

	base := "/v2/" + repo + "/tags/list"
	want := r.cfg.tags // t-base does not match the "t-0" prefix
	if err := r.timeWalks(ctx, res, "full", r.c.url(base, nil), "tags", 0, "t-0", want); err != nil {
		return res, err
	}
	n := r.cfg.pageSize
	label := "n=" + strconv.Itoa(n) + " walk"
	if err := r.timeWalks(ctx, res, label, r.c.url(base, url.Values{"n": {strconv.Itoa(n)}}), "tags", n, "t-0", want); err != nil {
		return res, err
	}
	res.note("%d tags on one manifest; times are medians of %d runs", r.cfg.tags, r.cfg.runs)
	return res, nil
}

// tagName is the i-th bench tag; zero-padded so lexical order is numeric.
func tagName(i int) string { return fmt.Sprintf("t-%07d", i) }

func (r *runner) catalog(ctx context.Context) (*Result, error) {
	res := &Result{}
	baseRepo := r.repo("catalog-base")
	img := buildImage(subSeed(r.cfg.seed, kindListImage), 1<<10)
	if err := r.pushImage(ctx, baseRepo, "base", img); err != nil {
		return res, fmt.Errorf("setup: %w", err)
	}
	prefix := r.repo("catalog/")
	r.logf("setup: creating %d repositories under %s with %d workers (untimed)", r.cfg.repos, prefix, r.cfg.workers)
	t0 := time.Now()
	var mounted, uploaded atomic.Int64
	err := forEach(ctx, r.cfg.repos, r.cfg.workers, func(ctx context.Context, i int) error {
		repo := fmt.Sprintf("%sr-%07d", prefix, i)
		for _, b := range img.blobs {
			ok, err := r.c.mountBlob(ctx, repo, baseRepo, b.digest, b.data)
			if err != nil {
				return fmt.Errorf("mount %s into %s: %w", b.digest, repo, err)
			}
			if ok {
				mounted.Add(1)
			} else {
				uploaded.Add(1)
			}
		}
		return r.c.putManifest(ctx, repo, "v1", img.manifest)
	})
	if err != nil {
		return res, fmt.Errorf("setup: %w", err)
	}
	res.add("setup repos", float64(r.cfg.repos)/time.Since(t0).Seconds(), "repos/s")
	res.note("setup: %d blobs mounted, %d uploaded (mount not honoured)", mounted.Load(), uploaded.Load())

	if err := r.timeWalks(ctx, res, "full", r.c.url("/v2/_catalog", nil), "repositories", 0, prefix, r.cfg.repos); err != nil {
		return res, err
	}
	n := r.cfg.pageSize
	label := "n=" + strconv.Itoa(n) + " walk"
	q := url.Values{"n": {strconv.Itoa(n)}}
	if err := r.timeWalks(ctx, res, label, r.c.url("/v2/_catalog", q), "repositories", n, prefix, r.cfg.repos); err != nil {
		return res, err
	}
	res.note("%d bench repositories (the catalog may hold others); times are medians of %d runs", r.cfg.repos, r.cfg.runs)
	return res, nil
}
