package gc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/berth-oci/berth/internal/app"
	"github.com/berth-oci/berth/internal/config"
	"github.com/berth-oci/berth/test/internal/berthtest"
)

const adminPassword = "Gc-Admin-pass-1"

type registry struct {
	t     *testing.T
	url   string
	host  string
	data  string
	root  string
	grace time.Duration
	// cfgFile, if set, is the configuration "berth gc" reads.
	cfgFile string
}

func start(t *testing.T, grace time.Duration) *registry {
	t.Helper()
	cfg := config.Default().WithDataDir(t.TempDir())
	cfg.GC.GracePeriod = grace
	return startWith(t, cfg, "")
}

// startWith starts a server on cfg; the CLI's collections read cfgFile if
// it is set (a shared database), else the data directory.
func startWith(t *testing.T, cfg config.Config, cfgFile string) *registry {
	t.Helper()
	cfg.Auth.AdminPassword = adminPassword
	cfg.GC.Schedule = "off"
	url := berthtest.Serve(t, cfg)
	return &registry{t: t, url: url, host: strings.TrimPrefix(url, "http://"), data: cfg.DataDir,
		root: cfg.Storage.Filesystem.Root, grace: cfg.GC.GracePeriod, cfgFile: cfgFile}
}

func (r *registry) ref(s string) name.Reference {
	r.t.Helper()
	ref, err := name.ParseReference(r.host+"/"+s, name.Insecure)
	if err != nil {
		r.t.Fatal(err)
	}
	return ref
}

func (r *registry) opts() []remote.Option {
	return []remote.Option{remote.WithAuth(&authn.Basic{Username: "admin", Password: adminPassword}), remote.WithContext(r.t.Context())}
}

// do sends an admin request and returns the status and body.
func (r *registry) do(method, path string, body any) (int, []byte, http.Header) {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(r.t.Context(), method, r.url+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	req.SetBasicAuth("admin", adminPassword)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

// gcCLI runs "berth gc" on the server's data, as an operator would while
// the server runs, with the server's grace period unless args set one.
func (r *registry) gcCLI(args ...string) (int, string) {
	var out, errOut bytes.Buffer
	common := []string{"gc", "--data", r.data, "--grace", r.grace.String()}
	if r.cfgFile != "" {
		common = append(common, "--config", r.cfgFile)
	}
	args = append(common, args...)
	code := app.Run(r.t.Context(), args, &out, &errOut)
	return code, out.String() + errOut.String()
}

// gcCLIWait is gcCLI, retried while another collector (a replica's) holds
// the lease.
func (r *registry) gcCLIWait(args ...string) (int, string) {
	for {
		code, out := r.gcCLI(args...)
		if code == 0 || !strings.Contains(out, "another garbage collection is running") || r.t.Context().Err() != nil {
			return code, out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// storageBytes sums the file sizes under the blobs root.
func (r *registry) storageBytes() int64 {
	var n int64
	_ = filepath.WalkDir(r.root, func(_ string, de fs.DirEntry, err error) error {
		if err == nil && de.Type().IsRegular() {
			if info, err := de.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// TestSeedScenario: push an image, delete it by digest, run GC: the tag
// list is empty and the storage shrinks back to almost nothing.
func TestSeedScenario(t *testing.T) {
	t.Parallel()
	r := start(t, time.Millisecond)
	empty0 := r.storageBytes()
	img, err := random.Image(512<<10, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r.ref("library/app:v1"), img, r.opts()...); err != nil {
		t.Fatal(err)
	}
	pushed := r.storageBytes()
	if pushed < 2<<20 {
		t.Fatalf("storage holds %d bytes after the push, want > 2 MiB", pushed)
	}
	d, _ := img.Digest()
	if err := remote.Delete(r.ref("library/app@"+d.String()), r.opts()...); err != nil {
		t.Fatal(err)
	}
	tags, err := remote.List(r.ref("library/app").Context(), r.opts()...)
	if err != nil && !strings.Contains(err.Error(), "NAME_UNKNOWN") {
		t.Fatal(err)
	}
	if len(tags) != 0 {
		t.Errorf("tags after delete: %v", tags)
	}
	if r.storageBytes() != pushed {
		t.Errorf("deleting the manifest freed bytes at once; GC should")
	}
	time.Sleep(5 * time.Millisecond) // past the grace period

	// A dry run through the API says what would go and frees nothing.
	status, _, h := r.do("POST", "/api/v2.0/system/gc/schedule", map[string]any{
		"schedule": map[string]string{"type": "Manual"}, "parameters": map[string]bool{"dry_run": true}})
	if status != http.StatusCreated {
		t.Fatalf("POST gc/schedule Manual = %d", status)
	}
	run := r.waitRun(h.Get("Location"))
	if run["freed_space"].(float64) < float64(pushed-4096) || run["blobs_deleted"].(float64) != 5 {
		t.Errorf("dry run = %v, want 5 blobs (4 layers and the config) and about %d bytes", run, pushed)
	}
	if r.storageBytes() != pushed {
		t.Errorf("dry run freed bytes")
	}

	// The real run, from the CLI while the server runs.
	code, out := r.gcCLI()
	if code != 0 {
		t.Fatalf("berth gc = %d: %s", code, out)
	}
	if !strings.Contains(out, "5 blobs") {
		t.Errorf("berth gc said %q", out)
	}
	after := r.storageBytes()
	t.Logf("storage: %d bytes empty, %d after the push, %d after GC", empty0, pushed, after)
	if after > empty0+1024 {
		t.Errorf("storage holds %d bytes after GC, want almost nothing (%d before the push)", after, empty0)
	}
	// The history lists both runs, and the log says what went.
	status, body, hdr := r.do("GET", "/api/v2.0/system/gc", nil)
	if status != http.StatusOK || hdr.Get("X-Total-Count") != "2" {
		t.Errorf("GET /system/gc = %d %s (total %s)", status, body, hdr.Get("X-Total-Count"))
	}
	var runs []map[string]any
	_ = json.Unmarshal(body, &runs)
	if len(runs) == 2 {
		status, log, _ := r.do("GET", fmt.Sprintf("/api/v2.0/system/gc/%v/log", runs[0]["id"]), nil)
		if status != http.StatusOK || !strings.Contains(string(log), "blob sha256:") {
			t.Errorf("log = %d %s", status, log)
		}
	}
}

// waitRun polls a run until it is no longer running.
func (r *registry) waitRun(location string) map[string]any {
	r.t.Helper()
	path := location[strings.Index(location, "/api/"):]
	for range 200 {
		status, body, _ := r.do("GET", path, nil)
		if status != http.StatusOK {
			r.t.Fatalf("GET %s = %d %s", path, status, body)
		}
		var run map[string]any
		if err := json.Unmarshal(body, &run); err != nil {
			r.t.Fatal(err)
		}
		if run["job_status"] != "Running" {
			if run["job_status"] != "Success" {
				r.t.Fatalf("run failed: %s", body)
			}
			return run
		}
		time.Sleep(25 * time.Millisecond)
	}
	r.t.Fatalf("run %s did not finish", path)
	return nil
}

func TestScheduleAPI(t *testing.T) {
	t.Parallel()
	r := start(t, time.Hour)
	status, body, _ := r.do("GET", "/api/v2.0/system/gc/schedule", nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"type":"None"`) {
		t.Errorf("GET schedule (config off) = %d %s", status, body)
	}
	status, body, _ = r.do("POST", "/api/v2.0/system/gc/schedule", map[string]any{
		"schedule": map[string]string{"type": "Custom", "cron": "0 0 3 * * *"}, "parameters": map[string]bool{"delete_untagged": true}})
	if status != http.StatusCreated {
		t.Fatalf("POST Custom = %d %s", status, body)
	}
	status, body, _ = r.do("GET", "/api/v2.0/system/gc/schedule", nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"cron":"0 0 3 * * *"`) ||
		!strings.Contains(string(body), `"next_scheduled_time"`) || !strings.Contains(string(body), `"delete_untagged":true`) {
		t.Errorf("GET schedule = %d %s", status, body)
	}
	status, body, _ = r.do("POST", "/api/v2.0/system/gc/schedule", map[string]any{
		"schedule": map[string]string{"type": "Custom", "cron": "every tuesday"}})
	if status != http.StatusBadRequest {
		t.Errorf("POST bad cron = %d %s", status, body)
	}
	if status, _, _ := r.do("GET", "/api/v2.0/system/gc/99", nil); status != http.StatusNotFound {
		t.Errorf("GET missing run = %d", status)
	}
	// Not for anyone but system admins.
	req, _ := http.NewRequestWithContext(t.Context(), "GET", r.url+"/api/v2.0/system/gc", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous GET /system/gc = %d", resp.StatusCode)
	}
}

// TestGCUnderLoad runs GC in a loop, with a grace period of a second,
// while workers push images sharing base layers, pull them, and delete
// older ones. Afterwards every tag pulls completely and every blob matches
// its digest; a last collection with no grace period at all still keeps
// everything a tag needs.
func TestGCUnderLoad(t *testing.T) {
	t.Parallel()
	runLoad(t, []*registry{start(t, time.Second)}, 12*time.Second)
}

// TestGCUnderLoadTwoReplicas runs the load against two Berth servers that
// share one PostgreSQL database and one storage directory, with collections
// from the CLI on the same data (needs BERTH_TEST_POSTGRES_DSN).
func TestGCUnderLoadTwoReplicas(t *testing.T) {
	t.Parallel()
	dsn := postgresDSN(t)
	data := t.TempDir()
	cfg := config.Default().WithDataDir(data)
	cfg.Database = config.Database{Driver: config.DriverPostgres, DSN: dsn}
	cfg.GC.GracePeriod = time.Second
	file := filepath.Join(data, "berth.yaml")
	yaml := fmt.Sprintf("data_dir: %q\ndatabase:\n  driver: postgres\n  dsn: %q\n", data, dsn)
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	a := startWith(t, cfg, file)
	b := startWith(t, cfg, file)
	runLoad(t, []*registry{a, b}, 8*time.Second)
}

// runLoad pushes, pulls and deletes through servers (worker i uses server
// i mod len) while collecting in a loop through the first one's CLI.
func runLoad(t *testing.T, servers []*registry, duration time.Duration) {
	if testing.Short() {
		duration = 3 * time.Second
	}
	if v := os.Getenv("BERTH_GC_STRESS"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			duration = d
		}
	}
	r := servers[0]
	bases := make([]v1.Layer, 3)
	for i := range bases {
		l, err := random.Layer(64<<10, "application/vnd.oci.image.layer.v1.tar")
		if err != nil {
			t.Fatal(err)
		}
		bases[i] = l
	}
	const workers = 6
	var (
		mu       sync.Mutex
		live     = map[string]bool{} // repo:tag that must pull at the end
		pushes   atomic.Int64
		pulls    atomic.Int64
		retries  atomic.Int64
		deletes  atomic.Int64
		gcRuns   atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		failures = make(chan error, 100)
	)
	fail := func(err error) {
		select {
		case failures <- err:
		default:
		}
	}
	deadline := time.Now().Add(duration)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := servers[w%len(servers)]
			repo := fmt.Sprintf("library/w%d", w)
			var tags []string
			for n := 0; time.Now().Before(deadline); n++ {
				own, err := random.Layer(8<<10, "application/vnd.oci.image.layer.v1.tar")
				if err != nil {
					fail(err)
					return
				}
				img, err := mutate.AppendLayers(empty.Image, bases[(w+n)%len(bases)], bases[(w+n+1)%len(bases)], own)
				if err != nil {
					fail(err)
					return
				}
				tag := fmt.Sprintf("%s:t%d", repo, n)
				// A push that loses a race with the collector fails cleanly
				// (MANIFEST_BLOB_UNKNOWN, BLOB_UNKNOWN); the client pushes again.
				var perr error
				for attempt := range 4 {
					if attempt > 0 {
						retries.Add(1)
					}
					if perr = remote.Write(r.ref(tag), img, r.opts()...); perr == nil {
						break
					}
					t.Logf("push %s (attempt %d): %v", tag, attempt+1, perr)
				}
				if perr != nil {
					fail(fmt.Errorf("push %s: %w", tag, perr))
					return
				}
				pushes.Add(1)
				mu.Lock()
				live[tag] = true
				mu.Unlock()
				tags = append(tags, tag)
				// Pull a recent image of this worker completely.
				pull := tags[len(tags)-1-n%min(len(tags), 2)]
				got, err := remote.Image(r.ref(pull), r.opts()...)
				if err == nil {
					err = validate.Image(got)
				}
				if err != nil {
					fail(fmt.Errorf("pull %s: %w", pull, err))
					return
				}
				pulls.Add(1)
				// Keep the two newest; delete older ones by digest.
				if len(tags) > 2 {
					old := tags[0]
					tags = tags[1:]
					desc, err := remote.Head(r.ref(old), r.opts()...)
					if err == nil {
						mu.Lock()
						delete(live, old)
						mu.Unlock()
						err = remote.Delete(r.ref(repo+"@"+desc.Digest.String()), r.opts()...)
					}
					if err != nil {
						fail(fmt.Errorf("delete %s: %w", old, err))
						return
					}
					deletes.Add(1)
				}
			}
		}()
	}
	var gcErr error
	gcDone := make(chan struct{})
	go func() {
		defer close(gcDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			code, out := r.gcCLIWait()
			if code != 0 {
				gcErr = fmt.Errorf("berth gc = %d: %s", code, out)
				return
			}
			gcRuns.Add(1)
			time.Sleep(50 * time.Millisecond)
		}
	}()
	// With replicas, the second also collects through the API: the two
	// collectors contend for the lease, and one waits its turn.
	apiDone := make(chan struct{})
	go func() {
		defer close(apiDone)
		if len(servers) < 2 {
			return
		}
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			status, body, _ := servers[1].do("POST", "/api/v2.0/system/gc/schedule",
				map[string]any{"schedule": map[string]string{"type": "Manual"}})
			if status != http.StatusCreated && status != http.StatusConflict {
				fail(fmt.Errorf("POST gc/schedule Manual = %d %s", status, body))
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-gcDone
	<-apiDone
	close(failures)
	for err := range failures {
		t.Error(err)
	}
	if gcErr != nil {
		t.Fatal(gcErr)
	}
	t.Logf("%d pushes (%d retried), %d pulls, %d deletes, %d GC runs in %s", pushes.Load(), retries.Load(),
		pulls.Load(), deletes.Load(), gcRuns.Load(), duration)
	if gcRuns.Load() < 3 || pushes.Load() < workers {
		t.Errorf("too little happened: %d GC runs, %d pushes", gcRuns.Load(), pushes.Load())
	}
	check := func(when string) {
		t.Helper()
		for tag := range live {
			img, err := remote.Image(r.ref(tag), r.opts()...)
			if err == nil {
				err = validate.Image(img)
			}
			if err != nil {
				t.Errorf("%s: %s: %v", when, tag, err)
			}
		}
	}
	check("after the load")
	before := r.storageBytes()
	time.Sleep(1100 * time.Millisecond)
	if code, out := r.gcCLIWait("--grace", "1ns"); code != 0 {
		t.Fatalf("final gc: %s", out)
	}
	check("after a collection with no grace period")
	t.Logf("storage %d bytes before the final collection, %d after; %d live tags", before, r.storageBytes(), len(live))
}
