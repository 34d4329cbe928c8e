package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Media types the raw-HTTP helpers accept and send.
const (
	mtOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	mtOCIIndex       = "application/vnd.oci.image.index.v1+json"
	mtDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	mtDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	mtEmptyJSON      = "application/vnd.oci.empty.v1+json"
)

var acceptManifests = strings.Join([]string{mtOCIManifest, mtOCIIndex, mtDockerManifest, mtDockerList}, ", ")

// testCtx returns a context bounded by d and by the test's own deadline.
func testCtx(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	if tt, ok := t.(*testing.T); ok {
		if dl, ok := tt.Deadline(); ok {
			ctx2, cancel2 := context.WithDeadline(ctx, dl.Add(-5*time.Second))
			t.Cleanup(cancel2)
			ctx = ctx2
		}
	}
	t.Cleanup(cancel)
	return ctx
}

var httpClient = &http.Client{Timeout: 60 * time.Second}

// do sends one request and returns the response with its body read.
// The administrator the e2e servers are started with.
const (
	adminUser     = "admin"
	adminPassword = "e2e-Admin-Password1"
)

// adminAuth is ggcr's credential for the e2e administrator.
var adminAuth = &authn.Basic{Username: adminUser, Password: adminPassword}

// do sends one request, with the administrator's basic credentials unless
// hdr sets Authorization ("" sends none).
func do(ctx context.Context, method, u string, body []byte, hdr map[string]string) (*http.Response, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return nil, nil, err
	}
	if body != nil {
		req.ContentLength = int64(len(body))
	}
	req.SetBasicAuth(adminUser, adminPassword)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if req.Header.Get("Authorization") == "" {
		req.Header.Del("Authorization")
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp, b, fmt.Errorf("%s %s: read body: %w", method, u, err)
	}
	return resp, b, nil
}

// mustDo is do that fails t on a transport error or an unexpected status.
func mustDo(t testing.TB, ctx context.Context, method, u string, body []byte, hdr map[string]string, want ...int) (*http.Response, []byte) {
	t.Helper()
	resp, b, err := do(ctx, method, u, body, hdr)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	for _, w := range want {
		if resp.StatusCode == w {
			return resp, b
		}
	}
	t.Fatalf("%s %s: status %s, want %v; body: %.1000s", method, u, resp.Status, want, b)
	return nil, nil
}

// resolve turns a Location header (absolute or relative) into an absolute URL.
func resolve(base, loc string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	l, err := url.Parse(loc)
	if err != nil {
		return "", err
	}
	return b.ResolveReference(l).String(), nil
}

func sha256Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// uniq returns a short random suffix for repository names and tags.
func uniq(t testing.TB) string {
	return hex.EncodeToString(randomBytes(t, 4))
}

// ggcrRef parses a reference on srv, e.g. ggcrRef(t, srv, "lib/img:v1").
func ggcrRef(t testing.TB, srv *server, rest string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(srv.addr+"/"+rest, name.Insecure)
	if err != nil {
		t.Fatalf("parse reference %q: %v", rest, err)
	}
	return ref
}

func ggcrRepo(t testing.TB, srv *server, repo string) name.Repository {
	t.Helper()
	r, err := name.NewRepository(srv.addr+"/"+repo, name.Insecure)
	if err != nil {
		t.Fatalf("parse repository %q: %v", repo, err)
	}
	return r
}

func ggcrDigest(t testing.TB, srv *server, repo string, h v1.Hash) name.Digest {
	t.Helper()
	d, err := name.NewDigest(srv.addr+"/"+repo+"@"+h.String(), name.Insecure)
	if err != nil {
		t.Fatalf("parse digest ref: %v", err)
	}
	return d
}

// remoteOpts are the ggcr options every library test uses: bounded by ctx, few retries.
func remoteOpts(ctx context.Context, extra ...remote.Option) []remote.Option {
	return append([]remote.Option{
		remote.WithContext(ctx),
		remote.WithAuth(adminAuth),
		remote.WithRetryBackoff(remote.Backoff{Duration: 50 * time.Millisecond, Factor: 2, Steps: 2}),
	}, extra...)
}

// headBlob reports the status of HEAD /v2/<repo>/blobs/<digest>.
func headBlob(t testing.TB, ctx context.Context, srv *server, repo, dgst string) int {
	t.Helper()
	resp, _, err := do(ctx, http.MethodHead, srv.url()+"/v2/"+repo+"/blobs/"+dgst, nil, nil)
	if err != nil {
		t.Fatalf("HEAD blob %s in %s: %v", dgst, repo, err)
	}
	return resp.StatusCode
}

// listPaged follows Link headers from first and returns the concatenated JSON arrays named key.
func listPaged(ctx context.Context, srv *server, first, key string, maxPages int) (all []string, pages int, err error) {
	next := srv.url() + first
	for next != "" {
		if pages >= maxPages {
			return all, pages, fmt.Errorf("more than %d pages from %s", maxPages, first)
		}
		resp, body, err := do(ctx, http.MethodGet, next, nil, nil)
		if err != nil {
			return all, pages, err
		}
		if resp.StatusCode != http.StatusOK {
			return all, pages, fmt.Errorf("GET %s: %s: %.500s", next, resp.Status, body)
		}
		pages++
		var page map[string]json.RawMessage
		if err := json.Unmarshal(body, &page); err != nil {
			return all, pages, fmt.Errorf("GET %s: decode: %w: %.500s", next, err, body)
		}
		var items []string
		if raw, ok := page[key]; ok && string(raw) != "null" {
			if err := json.Unmarshal(raw, &items); err != nil {
				return all, pages, fmt.Errorf("GET %s: decode %s: %w", next, key, err)
			}
		}
		all = append(all, items...)
		next = ""
		if link := resp.Header.Get("Link"); link != "" {
			u, err := parseLink(link)
			if err != nil {
				return all, pages, err
			}
			if next, err = resolve(srv.url(), u); err != nil {
				return all, pages, err
			}
		}
	}
	return all, pages, nil
}

// parseLink extracts the URL from `<url>; rel="next"`.
func parseLink(h string) (string, error) {
	start, end := strings.Index(h, "<"), strings.Index(h, ">")
	if start < 0 || end < start {
		return "", fmt.Errorf("malformed Link header %q", h)
	}
	return h[start+1 : end], nil
}

// manifestDoc is the part of an image manifest or index the checks walk.
type manifestDoc struct {
	MediaType string          `json:"mediaType"`
	Config    *descriptorDoc  `json:"config"`
	Layers    []descriptorDoc `json:"layers"`
	Manifests []descriptorDoc `json:"manifests"`
	Subject   *descriptorDoc  `json:"subject"`
}

type descriptorDoc struct {
	MediaType    string `json:"mediaType"`
	ArtifactType string `json:"artifactType,omitempty"`
	Digest       string `json:"digest"`
	Size         int64  `json:"size"`
}

// checkManifest GETs repo's manifest ref and proves it whole: the Docker-Content-Digest
// header matches the sha256 of the body (and ref, when ref is a digest), every blob it names
// GETs fully and hashes to its digest, and an index's children pass the same check.
// seen caches digests already proven.
func checkManifest(ctx context.Context, srv *server, repo, ref string, seen map[string]bool, depth int) (string, error) {
	if depth > 3 {
		return "", fmt.Errorf("%s@%s: index nesting deeper than 3", repo, ref)
	}
	u := srv.url() + "/v2/" + repo + "/manifests/" + ref
	resp, body, err := do(ctx, http.MethodGet, u, nil, map[string]string{"Accept": acceptManifests})
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s: %.300s", u, resp.Status, body)
	}
	got := sha256Digest(body)
	if h := resp.Header.Get("Docker-Content-Digest"); h != got {
		return "", fmt.Errorf("GET %s: Docker-Content-Digest %q but body hashes to %s (%d bytes)", u, h, got, len(body))
	}
	if strings.HasPrefix(ref, "sha256:") && ref != got {
		return "", fmt.Errorf("GET %s: body hashes to %s", u, got)
	}
	if seen[repo+"@"+got] {
		return got, nil
	}
	var m manifestDoc
	if err := json.Unmarshal(body, &m); err != nil {
		return "", fmt.Errorf("GET %s: decode manifest: %w", u, err)
	}
	for _, child := range m.Manifests {
		if _, err := checkManifest(ctx, srv, repo, child.Digest, seen, depth+1); err != nil {
			return "", fmt.Errorf("child of %s@%s: %w", repo, got, err)
		}
	}
	blobs := append([]descriptorDoc(nil), m.Layers...)
	if m.Config != nil {
		blobs = append(blobs, *m.Config)
	}
	for _, d := range blobs {
		if seen[repo+"@"+d.Digest] {
			continue
		}
		if err := checkBlob(ctx, srv, repo, d); err != nil {
			return "", fmt.Errorf("blob of %s@%s: %w", repo, got, err)
		}
		seen[repo+"@"+d.Digest] = true
	}
	seen[repo+"@"+got] = true
	return got, nil
}

// checkBlob GETs a blob fully, streaming it through sha256, and compares digest and size.
func checkBlob(ctx context.Context, srv *server, repo string, d descriptorDoc) error {
	u := srv.url() + "/v2/" + repo + "/blobs/" + d.Digest
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(adminUser, adminPassword)
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, b)
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s: read after %d bytes: %w", u, n, err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != d.Digest {
		return fmt.Errorf("GET %s: body hashes to %s (%d bytes)", u, got, n)
	}
	if d.Size != 0 && n != d.Size {
		return fmt.Errorf("GET %s: %d bytes, descriptor says %d", u, n, d.Size)
	}
	return nil
}

// checkWholeRegistry walks catalog -> tags -> manifests -> blobs and proves each whole.
// It returns the tag -> digest map it found ("repo:tag" keys).
func checkWholeRegistry(ctx context.Context, srv *server) (map[string]string, error) {
	repos, _, err := listPaged(ctx, srv, "/v2/_catalog?n=100", "repositories", 1000)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	found := map[string]string{}
	seen := map[string]bool{}
	for _, repo := range repos {
		tags, _, err := listPaged(ctx, srv, "/v2/"+repo+"/tags/list?n=100", "tags", 1000)
		if err != nil {
			return found, fmt.Errorf("tags of %s: %w", repo, err)
		}
		for _, tag := range tags {
			d, err := checkManifest(ctx, srv, repo, tag, seen, 0)
			if err != nil {
				return found, fmt.Errorf("%s:%s: %w", repo, tag, err)
			}
			found[repo+":"+tag] = d
		}
	}
	return found, nil
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

// toolsDir is where scripts/install-tools.sh puts the CLIs.
func toolsDir() string {
	if d := os.Getenv("BERTH_TOOLS_DIR"); d != "" {
		return d
	}
	return "/root/.cache/berth-tools/bin"
}

// lookTool finds a CLI on PATH (or in the install-tools cache). It skips t when the tool is
// absent, or fails t when BERTH_E2E_REQUIRE_TOOLS=1 (as in CI).
func lookTool(t testing.TB, tool string) string {
	t.Helper()
	if p, err := exec.LookPath(tool); err == nil {
		return p
	}
	p := filepath.Join(toolsDir(), tool)
	if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
		return p
	}
	msg := fmt.Sprintf("%s not on PATH nor in %s; run scripts/install-tools.sh (CI does) to run this test", tool, toolsDir())
	if os.Getenv("BERTH_E2E_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// cli runs one CLI with an isolated environment and returns its stdout; it fails t with the
// combined output when the command fails.
type cli struct {
	t   testing.TB
	bin string
	env []string
	dir string
}

func newCLI(t testing.TB, tool string, extraEnv ...string) *cli {
	t.Helper()
	bin := lookTool(t, tool)
	home := filepath.Join(t.TempDir(), "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"HOME=" + home,
		"PATH=" + os.Getenv("PATH"),
		"TMPDIR=" + t.TempDir(),
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"XDG_DATA_HOME=" + filepath.Join(home, ".local/share"),
		"XDG_RUNTIME_DIR=" + filepath.Join(home, "run"),
		"DOCKER_CONFIG=" + filepath.Join(home, ".docker"),
		"NO_COLOR=1",
	}
	_ = os.MkdirAll(filepath.Join(home, "run"), 0o700)
	return &cli{t: t, bin: bin, env: append(env, extraEnv...), dir: t.TempDir()}
}

func (c *cli) home() string { return strings.TrimPrefix(c.env[0], "HOME=") }

func (c *cli) run(ctx context.Context, args ...string) string {
	c.t.Helper()
	out, err := c.try(ctx, args...)
	if err != nil {
		c.t.Fatalf("%s %s: %v\n%s", filepath.Base(c.bin), strings.Join(args, " "), err, out)
	}
	return out
}

// try runs the command and returns combined output and the error, without failing t.
func (c *cli) try(ctx context.Context, args ...string) (string, error) {
	c.t.Helper()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = c.env
	cmd.Dir = c.dir
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	c.t.Logf("$ %s %s (%s)", filepath.Base(c.bin), strings.Join(args, " "), time.Since(start).Round(time.Millisecond))
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}
