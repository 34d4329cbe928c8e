package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Bounds on the flags, so a typo cannot start an unbounded run.
const (
	maxBlobSize    = 1 << 40 // 1 TiB
	maxCount       = 1_000_000
	maxConcurrency = 4096
	maxDuration    = time.Hour
)

// config is the parsed command line.
type config struct {
	target      string
	repoPrefix  string
	blobSize    ByteSize
	chunkSize   ByteSize
	concurrency int
	duration    time.Duration
	images      int
	workers     int
	tags        int
	repos       int
	pageSize    int
	runs        int
	pid         int
	only        string
	jsonOut     bool
	insecure    bool
	user        string
	seed        uint64
	monoMode    string
	timeout     time.Duration
	sampleEvery time.Duration
}

// scenario is one benchmark the bench can run.
type scenario struct {
	name string
	help string
	run  func(r *runner, ctx context.Context) (*Result, error) // a method expression
}

// scenarios lists every scenario in run order.
func scenarios() []scenario {
	return []scenario{
		{"push-mono", "push one --blob-size blob in a single request body (POST+PUT or single POST): MB/s", (*runner).pushMono},
		{"push-chunked", "push a --blob-size blob as PATCH chunks of --chunk-size, then PUT: MB/s", (*runner).pushChunked},
		{"pull", "GET the --blob-size blob to io.Discard verifying its digest: MB/s; plus ranged GET checks", (*runner).pull},
		{"manifest", "GET then HEAD one manifest from --concurrency keep-alive clients for --duration each: req/s, p50/p99", (*runner).manifest},
		{"images", "push --images distinct small images (config + 2 layers + manifest) with --workers: images/s", (*runner).images},
		{"tags", "GET tags/list of a repo with --tags tags, full and paginated by --page-size: ms (median of --runs)", (*runner).tags},
		{"catalog", "GET /v2/_catalog over --repos repositories, full and paginated by --page-size: ms (median of --runs)", (*runner).catalog},
	}
}

// newFlagSet declares the flags onto cfg; out receives the flag package's
// own messages.
func newFlagSet(cfg *config, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("berth bench", flag.ContinueOnError)
	fs.SetOutput(out)
	cfg.blobSize, cfg.chunkSize = 1<<30, 64<<20
	fs.StringVar(&cfg.target, "target", "http://127.0.0.1:5000", "registry base `URL`")
	fs.StringVar(&cfg.repoPrefix, "repo-prefix", "bench", "repository name `prefix` for everything the bench pushes")
	fs.Var(&cfg.blobSize, "blob-size", "size of the large blob for push/pull (e.g. 1GiB, 512MiB)")
	fs.Var(&cfg.chunkSize, "chunk-size", "PATCH chunk size for push-chunked")
	fs.IntVar(&cfg.concurrency, "concurrency", 32, "concurrent clients for the manifest scenario")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "length of each req/s run (manifest GET, manifest HEAD)")
	fs.IntVar(&cfg.images, "images", 500, "images to push in the images scenario")
	fs.IntVar(&cfg.workers, "workers", 8, "workers for the images scenario and for untimed setup")
	fs.IntVar(&cfg.tags, "tags", 5000, "tags in the tags scenario")
	fs.IntVar(&cfg.repos, "repos", 5000, "repositories in the catalog scenario")
	fs.IntVar(&cfg.pageSize, "page-size", 1000, "n for paginated tags/catalog walks")
	fs.IntVar(&cfg.runs, "runs", 5, "timed runs per list measurement (the median is reported)")
	fs.IntVar(&cfg.pid, "pid", 0, "server `pid` whose VmRSS/VmHWM to sample from /proc (0: none)")
	fs.StringVar(&cfg.only, "only", "", "comma-separated `scenarios` to run (default all)")
	fs.BoolVar(&cfg.jsonOut, "json", false, "print a JSON summary instead of the table")
	fs.BoolVar(&cfg.insecure, "insecure", false, "skip TLS certificate verification")
	fs.StringVar(&cfg.user, "user", "", "`USER:PASSWORD` for HTTP basic auth")
	fs.Uint64Var(&cfg.seed, "seed", 0, "content seed (0: derived from the clock, so each run pushes fresh content)")
	fs.StringVar(&cfg.monoMode, "mono-mode", monoPostPut, "monolithic upload: post-put (POST, then PUT with the body) or single (POST ?digest= with the body)")
	fs.DurationVar(&cfg.timeout, "timeout", 30*time.Minute, "limit on each scenario, setup included")
	fs.DurationVar(&cfg.sampleEvery, "sample-interval", 50*time.Millisecond, "RSS sampling interval")
	// Run reports parse errors itself and prints -h help to stdout.
	fs.Usage = func() {}
	return fs
}

func usage(fs *flag.FlagSet) {
	w := fs.Output()
	fmt.Fprintf(w, "Usage: berth bench [flags]\n\n")
	fmt.Fprintf(w, "Benchmarks a registry's hot paths over the OCI Distribution API. All traffic\n")
	fmt.Fprintf(w, "goes to --target; every loop is bounded by a count or a duration.\n\nScenarios (in run order):\n")
	for _, s := range scenarios() {
		fmt.Fprintf(w, "  %-13s %s\n", s.name, s.help)
	}
	fmt.Fprintf(w, "\nWith --pid, each scenario also reports the server's VmRSS (start, max sampled,\n")
	fmt.Fprintf(w, "end) and VmHWM, and the bench's own; this shows whether streaming stays flat.\n\nFlags:\n")
	fs.PrintDefaults()
}

// validate checks the flag values and fills derived ones.
func (cfg *config) validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(cfg.blobSize > 0 && cfg.blobSize <= maxBlobSize, "--blob-size must be in (0, 1TiB], got %s", cfg.blobSize)
	check(cfg.chunkSize > 0 && cfg.chunkSize <= 4<<30, "--chunk-size must be in (0, 4GiB], got %s", cfg.chunkSize)
	check(cfg.concurrency >= 1 && cfg.concurrency <= maxConcurrency, "--concurrency must be in [1, %d]", maxConcurrency)
	check(cfg.workers >= 1 && cfg.workers <= maxConcurrency, "--workers must be in [1, %d]", maxConcurrency)
	check(cfg.duration > 0 && cfg.duration <= maxDuration, "--duration must be in (0, 1h]")
	check(cfg.timeout > 0 && cfg.timeout <= 24*time.Hour, "--timeout must be in (0, 24h]")
	for _, c := range []struct {
		name string
		v    int
	}{{"images", cfg.images}, {"tags", cfg.tags}, {"repos", cfg.repos}, {"page-size", cfg.pageSize}, {"runs", cfg.runs}} {
		check(c.v >= 1 && c.v <= maxCount, "--%s must be in [1, %d]", c.name, maxCount)
	}
	check(cfg.pid >= 0, "--pid must not be negative")
	check(cfg.monoMode == monoPostPut || cfg.monoMode == monoSingle, "--mono-mode must be %s or %s", monoPostPut, monoSingle)
	check(cfg.sampleEvery >= time.Millisecond, "--sample-interval must be at least 1ms")
	check(cfg.repoPrefix != "" && strings.ToLower(cfg.repoPrefix) == cfg.repoPrefix, "--repo-prefix must be a lower-case repository name")
	if _, err := cfg.selected(); err != nil {
		errs = append(errs, err)
	}
	if cfg.seed == 0 {
		cfg.seed = uint64(time.Now().UnixNano())
	}
	return errors.Join(errs...)
}

// selected returns the scenarios --only names, in run order.
func (cfg *config) selected() ([]scenario, error) {
	all := scenarios()
	if strings.TrimSpace(cfg.only) == "" {
		return all, nil
	}
	var names []string
	for _, n := range strings.Split(cfg.only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	var out []scenario
	for _, n := range names {
		if !slices.ContainsFunc(all, func(s scenario) bool { return s.name == n }) {
			return nil, fmt.Errorf("--only: unknown scenario %q (see -h)", n)
		}
	}
	for _, s := range all {
		if slices.Contains(names, s.name) {
			out = append(out, s)
		}
	}
	return out, nil
}

// Run parses args (without the program or subcommand name), runs the
// selected scenarios against the target and writes the report to stdout and
// progress to stderr. It returns nil for -h, and an error if the flags are
// invalid or any scenario failed (after reporting every scenario).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet(&cfg, io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			usage(fs)
			return nil
		}
		return fmt.Errorf("%w (see -h)", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (see -h)", fs.Args())
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	if cfg.pid > 0 {
		if _, err := readProcMem(fmt.Sprint(cfg.pid)); err != nil {
			return fmt.Errorf("--pid: %w", err)
		}
	}
	sel, _ := cfg.selected()
	r, err := newRunner(&cfg, stderr)
	if err != nil {
		return err
	}
	defer r.c.close()

	sum := Summary{Target: cfg.target, Seed: cfg.seed, Started: time.Now().UTC(), Settings: cfg.settings()}
	var failed []string
	for _, s := range sel {
		if ctx.Err() != nil {
			break // report what ran
		}
		res := r.runOne(ctx, s)
		sum.Results = append(sum.Results, *res)
		if res.Error != "" {
			failed = append(failed, s.name)
		}
	}
	sum.Client = procMemOrNil("self")
	if cfg.pid > 0 {
		sum.Server = procMemOrNil(fmt.Sprint(cfg.pid))
	}
	if cfg.jsonOut {
		err = writeJSON(stdout, &sum)
	} else {
		err = writeTable(stdout, &sum)
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted after %d of %d scenarios: %w", len(sum.Results), len(sel), err)
	}
	if len(failed) > 0 {
		return fmt.Errorf("%d scenario(s) failed: %s", len(failed), strings.Join(failed, ", "))
	}
	return nil
}

// settings returns the flag values worth recording with the results.
func (cfg *config) settings() map[string]string {
	return map[string]string{
		"repo_prefix": cfg.repoPrefix, "blob_size": cfg.blobSize.String(), "chunk_size": cfg.chunkSize.String(),
		"concurrency": fmt.Sprint(cfg.concurrency), "duration": cfg.duration.String(),
		"images": fmt.Sprint(cfg.images), "workers": fmt.Sprint(cfg.workers), "tags": fmt.Sprint(cfg.tags),
		"repos": fmt.Sprint(cfg.repos), "page_size": fmt.Sprint(cfg.pageSize), "runs": fmt.Sprint(cfg.runs),
		"mono_mode": cfg.monoMode, "pid": fmt.Sprint(cfg.pid),
	}
}

func procMemOrNil(pid string) *ProcMem {
	m, err := readProcMem(pid)
	if err != nil {
		return nil
	}
	return &m
}

// runner carries what the scenarios share.
type runner struct {
	cfg *config
	c   *client
	log io.Writer

	bigDigests map[uint64]string // seed -> digest of the --blob-size stream
	pulled     bool
}

func newRunner(cfg *config, stderr io.Writer) (*runner, error) {
	c, err := newClient(cfg.target, max(cfg.concurrency, cfg.workers), cfg.insecure, cfg.user)
	if err != nil {
		return nil, err
	}
	return &runner{cfg: cfg, c: c, log: stderr, bigDigests: map[uint64]string{}}, nil
}

// logf writes a progress line to stderr.
func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.log, "bench: "+format+"\n", args...)
}

// repo returns the repository name for a scenario-specific suffix.
func (r *runner) repo(suffix string) string { return r.cfg.repoPrefix + "/" + suffix }

// runOne runs s under the scenario timeout with memory sampling.
func (r *runner) runOne(ctx context.Context, s scenario) *Result {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	defer cancel()
	r.logf("== %s", s.name)
	sm := startSampler(r.cfg.pid, r.cfg.sampleEvery)
	start := time.Now()
	res, err := s.run(r, ctx)
	mem := sm.finish()
	if res == nil {
		res = &Result{}
	}
	res.Scenario = s.name
	res.Seconds = time.Since(start).Seconds()
	res.Memory = &mem
	if err != nil {
		res.Error = err.Error()
		r.logf("%s failed: %v", s.name, err)
	}
	return res
}
