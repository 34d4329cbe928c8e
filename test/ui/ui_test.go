package ui

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	adminPassword = "UI-Admin-pass-1"
	manyTags      = 5000
	// listBudget is the bar: a repository with 5,000 tags lists in
	// under a second.
	listBudget = time.Second
)

// tools finds node, Chromium and web/node_modules, skipping (or failing
// under BERTH_UI_REQUIRE=1) when one is missing.
func tools(t *testing.T) (node, chromium, web string) {
	t.Helper()
	missing := func(what string) {
		msg := what + "; install node and Debian's chromium (apt-get install -y chromium) and run `npm ci` in web/, as .ci/run does"
		if os.Getenv("BERTH_UI_REQUIRE") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node not found")
	}
	chromium = os.Getenv("BERTH_UI_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if _, err := os.Stat(chromium); err != nil {
		missing(chromium + " not found")
	}
	web, err = filepath.Abs("../../web")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(web, "node_modules", "playwright-core", "package.json")); err != nil {
		missing("web/node_modules/playwright-core not found")
	}
	return node, chromium, web
}

// dataDir is a fresh data directory, in memory (/dev/shm) where there is
// one: seeding 5,000 artifacts is then not a test of the disk's fsync.
func dataDir(t *testing.T) string {
	t.Helper()
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "berth-ui-test-"); err == nil {
			t.Cleanup(func() { _ = os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

type server struct {
	url  string
	host string
}

// startBerth builds cmd/berth (without the race detector, whatever this
// test runs under: the list timings are meant to be what users get, and
// -race slows the server tenfold) and serves it on a free loopback port
// with its data in memory. BERTH_UI_BINARY names a prebuilt binary instead.
func startBerth(t *testing.T) *server {
	t.Helper()
	bin := os.Getenv("BERTH_UI_BINARY")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "berth")
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/berth")
		build.Dir = "../.."
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/berth: %v\n%s", err, out)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data", dataDir(t))
	cmd.Env = append(os.Environ(), "BERTH_ADMIN_PASSWORD="+adminPassword)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("berth log:\n%s", logs.String())
		}
	})
	s := &server{url: "http://" + addr, host: addr}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("berth did not become ready at %s: %v\n%s", addr, err, logs.String())
		}
	}
}

func (s *server) api(t *testing.T, method, path string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, s.url+"/api/v2.0"+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("admin", adminPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		out, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s = %d %s", method, path, resp.StatusCode, out)
	}
}

// get returns the body of a successful GET /api/v2.0{path} as admin.
func (s *server) get(t *testing.T, path string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.url+"/api/v2.0"+path, nil)
	req.SetBasicAuth("admin", adminPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s", path, resp.StatusCode, b)
	}
	return b
}

func (s *server) opts(ctx context.Context) []remote.Option {
	return []remote.Option{remote.WithContext(ctx), remote.WithAuth(&authn.Basic{Username: "admin", Password: adminPassword})}
}

func (s *server) ref(t *testing.T, r string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(s.host+"/"+r, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// image is a three-layer image with a build history and labels, as a
// Dockerfile build makes one.
func image(t *testing.T, arch string) v1.Image {
	t.Helper()
	img := empty.Image
	for i, step := range []string{"ADD rootfs.tar /", "RUN apk add --no-cache curl", "COPY app /usr/local/bin/app"} {
		l := static.NewLayer(bytes.Repeat([]byte{byte('a' + i)}, 1000*(i+1)*(i+1)), types.DockerLayer)
		var err error
		img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{
			CreatedBy: "/bin/sh -c #(nop) " + step, Created: v1.Time{Time: time.Date(2026, 11, 1, 12, i, 0, 0, time.UTC)},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Config.Labels = map[string]string{"org.opencontainers.image.source": "https://example.com/hello"}
	cf.Config.Cmd = []string{"/usr/local/bin/app"}
	cf.History = append(cf.History, v1.History{CreatedBy: `/bin/sh -c #(nop)  CMD ["/usr/local/bin/app"]`, EmptyLayer: true})
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// pushHello pushes team/hello:v1 and :latest, pulls it once, and pushes
// the index team/hello:multi (linux/riscv64, linux/arm64/v8).
func (s *server) pushHello(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	img := image(t, "amd64")
	for _, tag := range []string{"v1", "latest"} {
		if err := remote.Write(s.ref(t, "team/hello:"+tag), img, s.opts(ctx)...); err != nil {
			t.Fatalf("push team/hello:%s: %v", tag, err)
		}
	}
	// A multi-platform index beside it.
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: image(t, "riscv64"), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "riscv64"}}},
		mutate.IndexAddendum{Add: image(t, "arm64"), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	if err := remote.WriteIndex(s.ref(t, "team/hello:multi"), idx, s.opts(ctx)...); err != nil {
		t.Fatalf("push team/hello:multi: %v", err)
	}
	if _, err := remote.Image(s.ref(t, "team/hello:v1"), s.opts(ctx)...); err != nil {
		t.Fatalf("pull team/hello:v1: %v", err)
	}
	// Pulls are counted in the background: wait until the count shows.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var art struct {
			PullCount int `json:"pull_count"`
		}
		if err := json.Unmarshal(s.get(t, "/projects/team/repositories/hello/artifacts/v1"), &art); err != nil {
			t.Fatal(err)
		}
		if art.PullCount > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the pull of team/hello:v1 was not counted within 15s")
		}
	}
}

// pushMany pushes library/many with manyTags tagged artifacts: one small
// image manifest each (they differ by an annotation) over shared blobs. The
// manifests go up as plain PUTs with basic auth over kept-alive connections
// (the token dance per manifest would make seeding the slow part).
func (s *server) pushMany(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	start := time.Now()
	base := image(t, "amd64")
	if err := remote.Write(s.ref(t, "library/many:v0000"), base, s.opts(ctx)...); err != nil {
		t.Fatal(err)
	}
	mt, err := base.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	jobs := make(chan int)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				raw, err := mutate.Annotations(base, map[string]string{"build": fmt.Sprint(i)}).(v1.Image).RawManifest()
				if err == nil {
					err = s.putManifest(ctx, client, fmt.Sprintf("library/many/manifests/v%04d", i), string(mt), raw)
				}
				if err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := 1; i < manyTags; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("push library/many: %v", err)
	default:
	}
	t.Logf("pushed %d tagged artifacts to library/many in %s", manyTags, time.Since(start).Round(time.Millisecond))
}

func (s *server) putManifest(ctx context.Context, c *http.Client, path, mediaType string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, s.url+"/v2/"+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mediaType)
	req.SetBasicAuth("admin", adminPassword)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("PUT %s: %d %s", path, resp.StatusCode, b)
	}
	return nil
}

// result is what browser.mjs reports on its last line.
type result struct {
	Screenshots []string           `json:"screenshots"`
	Timings     map[string]float64 `json:"timings_ms"` // best run
	Runs        map[string][]int   `json:"runs_ms"`
	RobotName   string             `json:"robot_name"`
	RobotSecret string             `json:"robot_secret"`
}

func TestBrowser(t *testing.T) {
	node, chromium, web := tools(t)
	s := startBerth(t)
	for _, u := range []string{"alice", "bob"} {
		s.api(t, http.MethodPost, "/users", map[string]any{"username": u, "password": "Pass-" + u + "-1", "email": u + "@example.com", "realname": u})
	}
	s.pushMany(t)

	shots := os.Getenv("BERTH_UI_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "browser.mjs")
	cmd.Env = append(os.Environ(), "BERTH_URL="+s.url, "BERTH_ADMIN_PASSWORD="+adminPassword, "BERTH_WEB_DIR="+web,
		"BERTH_UI_CHROMIUM="+chromium, "BERTH_UI_SCREENSHOTS="+shots, fmt.Sprintf("BERTH_MANY_TAGS=%d", manyTags))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var res result
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "WAIT project-created":
			// The browser created project team: push into it with a real
			// client, then let the browser go on.
			s.pushHello(t)
			fmt.Fprintln(stdin, "pushed")
		case strings.HasPrefix(line, "RESULT "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "RESULT ")), &res); err != nil {
				t.Errorf("result: %v", err)
			}
		default:
			t.Log("browser:", line)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("browser script: %v\n%s", err, stderr.String())
	}
	for _, p := range res.Screenshots {
		t.Log("screenshot:", p)
	}
	if len(res.Screenshots) < 6 {
		t.Errorf("%d screenshots, want the main pages", len(res.Screenshots))
	}
	for k, v := range res.Timings {
		t.Logf("timing %s: best %.0f ms of runs %v ms", k, v, res.Runs[k])
	}
	for _, k := range []string{"repository_5000_first_page", "repository_5000_last_page", "repository_5000_tag_filter"} {
		v, ok := res.Timings[k]
		switch {
		case !ok:
			t.Errorf("no timing %s", k)
		case time.Duration(v*float64(time.Millisecond)) > listBudget:
			t.Errorf("%s took %.0f ms, over the %s budget", k, v, listBudget)
		}
	}
	// The secret the UI showed once works for a registry client.
	req, _ := http.NewRequest(http.MethodGet, s.url+"/v2/team/hello/tags/list", nil)
	req.SetBasicAuth(res.RobotName, res.RobotSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("robot %q from the UI: tags list = %d", res.RobotName, resp.StatusCode)
	}
}
