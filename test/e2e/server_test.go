package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Time limits for starting and stopping the server under test.
const (
	buildTimeout = 5 * time.Minute
	readyTimeout = 30 * time.Second
	stopTimeout  = 10 * time.Second
)

var (
	// workDir holds the built binary and the shared server's data; removed by TestMain.
	workDir string

	buildOnce sync.Once
	berthBin  string
	buildErr  error

	sharedOnce sync.Once
	sharedSrv  *server
	sharedErr  error
)

func TestMain(m *testing.M) {
	code := run(m)
	os.Exit(code)
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "berth-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	workDir = dir
	defer os.RemoveAll(dir)
	code := m.Run()
	if sharedSrv != nil {
		if err := sharedSrv.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: stop shared server: %v\n%s", err, sharedSrv.logTail(4096))
		}
	}
	return code
}

// skipShort skips t under -short: every test here starts real processes.
func skipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("e2e: skipped in -short mode (builds and starts the berth binary)")
	}
}

// repoRoot returns the module root, found from `go env GOMOD`.
func repoRoot() (string, error) {
	out, err := exec.Command(goBin(), "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("go env GOMOD: not inside a module")
	}
	return filepath.Dir(mod), nil
}

func goBin() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

// binary builds ./cmd/berth once per test process and returns its path. BERTH_E2E_BINARY
// names a prebuilt binary to use instead.
func binary(t testing.TB) string {
	t.Helper()
	skipShort(t)
	buildOnce.Do(func() {
		if p := os.Getenv("BERTH_E2E_BINARY"); p != "" {
			berthBin = p
			return
		}
		root, err := repoRoot()
		if err != nil {
			buildErr = err
			return
		}
		berthBin = filepath.Join(workDir, "berth")
		args := []string{"build", "-o", berthBin}
		if os.Getenv("BERTH_E2E_RACE") == "1" {
			args = append(args, "-race")
		}
		args = append(args, "./cmd/berth")
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, goBin(), args...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go %s (in %s): %w\n%s", strings.Join(args, " "), root, err, out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build berth: %v", buildErr)
	}
	return berthBin
}

// server is one running `berth serve` process.
type server struct {
	bin  string
	addr string // host:port on 127.0.0.1
	data string
	log  *syncBuffer

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
	werr   error
}

// syncBuffer is a bytes.Buffer safe for the process's output goroutines and readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) tail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.b.Bytes()
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// sharedServer returns the server that the client and library tests share, starting it on
// first use. Tests that stop or kill a server start their own with newServer.
func sharedServer(t testing.TB) *server {
	t.Helper()
	bin := binary(t)
	sharedOnce.Do(func() {
		s := &server{bin: bin, data: filepath.Join(workDir, "shared-data"), log: &syncBuffer{}}
		if err := s.start(); err != nil {
			sharedErr = fmt.Errorf("%w\nserver output:\n%s", err, s.logTail(8192))
			return
		}
		sharedSrv = s
	})
	if sharedErr != nil {
		t.Fatalf("start shared berth server: %v", sharedErr)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("shared server output (tail):\n%s", sharedSrv.logTail(4096))
		}
	})
	return sharedSrv
}

// newServer starts a server of its own on a fresh data directory under t.TempDir, stopped
// when t ends.
func newServer(t testing.TB) *server {
	t.Helper()
	bin := binary(t)
	s := &server{bin: bin, data: filepath.Join(t.TempDir(), "data"), log: &syncBuffer{}}
	if err := s.start(); err != nil {
		t.Fatalf("start berth: %v\nserver output:\n%s", err, s.logTail(8192))
	}
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("stop berth: %v", err)
		}
		if t.Failed() {
			t.Logf("server output (tail):\n%s", s.logTail(8192))
		}
	})
	return s
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start launches the binary (on a free port the first time, then on the same address) and
// waits until it answers GET /healthz or GET /v2/ with 200.
func (s *server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("server already running")
	}
	if err := os.MkdirAll(s.data, 0o755); err != nil {
		return err
	}
	if s.addr == "" {
		port, err := freePort()
		if err != nil {
			return fmt.Errorf("pick a free port: %w", err)
		}
		s.addr = fmt.Sprintf("127.0.0.1:%d", port)
	}
	cmd := exec.Command(s.bin, "serve", "--addr", s.addr, "--data", s.data)
	// Authentication is on, as in production: clients log in as the admin,
	// and the project of a first push is created on the fly.
	cmd.Env = append(os.Environ(), "BERTH_ADMIN_PASSWORD="+adminPassword, "BERTH_AUTO_CREATE_PROJECTS=true")
	fmt.Fprintf(s.log, "=== e2e: %s serve --addr %s --data %s (%s)\n", s.bin, s.addr, s.data, time.Now().Format(time.RFC3339Nano))
	cmd.Stdout = s.log
	cmd.Stderr = s.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	s.cmd, s.exited = cmd, exited
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.werr = err
		s.mu.Unlock()
		close(exited)
	}()
	if err := waitReady(s.addr, exited, readyTimeout); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		s.cmd = nil
		return err
	}
	return nil
}

func waitReady(addr string, exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("berth exited before it was ready (last probe: %s)", last)
		default:
		}
		for _, path := range []string{"/healthz", "/v2/"} {
			resp, err := client.Get("http://" + addr + path)
			if err != nil {
				last = err.Error()
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("GET %s: %s", path, resp.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("berth not ready on %s within %s (last probe: %s)", addr, timeout, last)
}

// stop sends SIGTERM and waits; after stopTimeout it kills the process.
func (s *server) stop() error {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		return nil
	case <-time.After(stopTimeout):
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("berth did not exit within %s of SIGTERM; killed", stopTimeout)
	}
}

// kill9 sends SIGKILL and waits for the process to be gone.
func (s *server) kill9() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	fmt.Fprintf(s.log, "=== e2e: SIGKILL sent (%s)\n", time.Now().Format(time.RFC3339Nano))
}

// restart starts a stopped or killed server again on the same data dir and, if it can, the
// same address, so that URLs handed out before (upload locations) stay valid.
func (s *server) restart() error {
	err := s.start()
	if err == nil {
		return nil
	}
	// The old port may have been taken meanwhile: try once more on a fresh one.
	fmt.Fprintf(s.log, "=== e2e: restart on %s failed (%v); trying a new port\n", s.addr, err)
	s.mu.Lock()
	s.addr = ""
	s.mu.Unlock()
	return s.start()
}

func (s *server) logTail(n int) string { return s.log.tail(n) }

// url returns the base URL, "http://127.0.0.1:PORT".
func (s *server) url() string { return "http://" + s.addr }

// localhost returns "localhost:PORT", the form the CLI tests use.
func (s *server) localhost() string {
	_, port, _ := net.SplitHostPort(s.addr)
	return "localhost:" + port
}
