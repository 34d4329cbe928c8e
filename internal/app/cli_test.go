package app

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCLI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string // substring of stdout ("" = no check)
		stderr     string // substring of stderr
		emptyOut   bool   // stdout must be empty
		emptyError bool   // stderr must be empty
	}{
		{name: "version", args: []string{"version"}, stdout: "berth dev (commit ", emptyError: true},
		{name: "version has go", args: []string{"version"}, stdout: runtime.Version()},
		{name: "--version", args: []string{"--version"}, stdout: "berth dev"},
		{name: "--help", args: []string{"--help"}, stdout: "serve      run the registry server", emptyError: true},
		{name: "-h", args: []string{"-h"}, stdout: "Commands:", emptyError: true},
		{name: "help", args: []string{"help"}, stdout: "bench", emptyError: true},
		{name: "help serve", args: []string{"help", "serve"}, stdout: "-addr"},
		{name: "serve --help", args: []string{"serve", "--help"}, stdout: "-log-format", emptyError: true},
		{name: "no command", args: nil, code: 2, stderr: "Usage:", emptyOut: true},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`, emptyOut: true},
		{name: "help unknown", args: []string{"help", "frobnicate"}, code: 2, stderr: "unknown command"},
		{name: "serve bad flag", args: []string{"serve", "--bogus"}, code: 2, stderr: "flag provided but not defined: -bogus", emptyOut: true},
		{name: "serve stray argument", args: []string{"serve", "extra"}, code: 2, stderr: `unexpected argument "extra"`},
		{name: "version stray argument", args: []string{"version", "x"}, code: 2, stderr: "unexpected argument"},
		{name: "serve invalid config", args: []string{"serve", "--log-level", "loud", "--data", "/nonexistent/x"}, code: 1, stderr: "log.level"},
		{name: "serve missing config file", args: []string{"serve", "--config", "/nonexistent/berth.yaml"}, code: 1, stderr: "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := Run(t.Context(), tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout %q lacks %q", &stdout, tt.stdout)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q lacks %q", &stderr, tt.stderr)
			}
			if tt.emptyOut && stdout.Len() > 0 {
				t.Errorf("stdout not empty: %q", &stdout)
			}
			if tt.emptyError && stderr.Len() > 0 {
				t.Errorf("stderr not empty: %q", &stderr)
			}
		})
	}
}

// startServe runs Run("serve", args...) in a goroutine and waits for its
// "listening" log line. It returns the address, the log, and a function that
// cancels the context and returns the exit code.
func startServe(t *testing.T, args ...string) (addr string, logs *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncBuffer{}
	var stdout bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...), &stdout, logs)
	}()
	var (
		once sync.Once
		code = -1
	)
	stop = func() int {
		once.Do(func() {
			cancel()
			select {
			case code = <-done:
			case <-time.After(20 * time.Second):
				t.Errorf("serve did not stop within 20s of cancel\n%s", logs)
			}
		})
		return code
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(logs.String(), "\n") {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				return rec.Addr, logs, stop
			}
		}
		select {
		case c := <-done:
			t.Fatalf("serve exited with %d before listening\n%s", c, logs)
		case <-time.After(10 * time.Millisecond):
		}
	}
	stop()
	t.Fatalf("no listening line within 20s\n%s", logs)
	return "", nil, nil
}

func TestServe(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	addr, logs, stop := startServe(t, "--data", data)
	if _, port, _ := net.SplitHostPort(addr); port == "0" || port == "" {
		t.Fatalf("listening address %q has no real port", addr)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + addr + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", p, resp.StatusCode)
		}
	}
	// Authentication is on by default: /v2/ challenges, and the generated
	// admin password, logged once, opens it.
	resp, err := http.Get("http://" + addr + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ch := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(ch, `Bearer realm="http://`+addr+`/service/token"`) {
		t.Errorf("anonymous GET /v2/ = %d %q, want 401 with a bearer challenge", resp.StatusCode, ch)
	}
	m := regexp.MustCompile(`"username":"admin","password":"([^"]+)"`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("no generated admin password in the log:\n%s", logs)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/v2/", nil)
	req.SetBasicAuth("admin", m[1])
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v2/ as admin with the logged password = %d", resp.StatusCode)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exit code %d, want 0\n%s", code, logs)
	}
	for _, want := range []string{`"msg":"shutting down"`, `"msg":"stopped"`, `"path":"/readyz"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "berth.db")); err != nil {
		t.Errorf("--data did not place the database: %v", err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

// TestServeDrainsInFlight checks that shutdown waits for a request that is
// being served.
func TestServeDrainsInFlight(t *testing.T) {
	t.Parallel()
	cfgFile := filepath.Join(t.TempDir(), "berth.yaml")
	if err := os.WriteFile(cfgFile, []byte("auth:\n  disabled: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, logs, stop := startServe(t, "--data", t.TempDir(), "--config", cfgFile)
	// Start a streamed upload and keep its body open across the shutdown.
	resp, err := http.Post("http://"+addr+"/v2/drain/blobs/uploads/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "http") {
		loc = "http://" + addr + loc
	}
	pr, pw := net.Pipe()
	defer pr.Close()
	req, _ := http.NewRequest(http.MethodPatch, loc, pr)
	req.Header.Set("Content-Type", "application/octet-stream")
	result := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			result <- -1
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()
	if _, err := pw.Write([]byte("part one ")); err != nil {
		t.Fatal(err)
	}
	// Wait until the server is inside the PATCH handler: two requests in
	// flight, the PATCH and this scrape.
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(b), "berth_http_requests_in_flight 2") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the PATCH never reached the handler")
		}
		time.Sleep(10 * time.Millisecond)
	}
	code := make(chan int, 1)
	go func() { code <- stop() }()
	time.Sleep(200 * time.Millisecond) // shutdown has begun and is waiting
	if _, err := pw.Write([]byte("part two")); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if got := <-result; got != http.StatusAccepted {
		t.Errorf("in-flight PATCH = %d, want 202\n%s", got, logs)
	}
	if got := <-code; got != 0 {
		t.Errorf("serve exit code %d, want 0", got)
	}
}

func TestServeTLSFromConfigFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certPEM, keyPEM := selfSigned(t)
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "berth.yaml")
	yaml := fmt.Sprintf("data_dir: %s\nhttp:\n  tls_cert: %s\n  tls_key: %s\n  shutdown_timeout: 5s\n", filepath.Join(dir, "data"), cert, key)
	if err := os.WriteFile(cfgFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	addr, logs, stop := startServe(t, "--config", cfgFile)
	defer stop()
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + addr + "/v2/")
	if err != nil {
		t.Fatalf("GET over TLS: %v\n%s", err, logs)
	}
	resp.Body.Close()
	// The challenge sends clients to the token service over TLS too.
	if ch := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(ch, `realm="https://`) {
		t.Errorf("GET /v2/ over TLS = %d %q, want 401 with an https realm", resp.StatusCode, ch)
	}
	if !strings.Contains(logs.String(), `"tls":true`) {
		t.Errorf("listening line does not say tls:\n%s", logs)
	}
	if code := stop(); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

func TestServeBadTLSFails(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "berth.yaml")
	yaml := fmt.Sprintf("data_dir: %s\nhttp:\n  addr: 127.0.0.1:0\n  tls_cert: %s/none.pem\n  tls_key: %s/none.pem\n", dir, dir, dir)
	if err := os.WriteFile(cfgFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := Run(t.Context(), []string{"serve", "--config", cfgFile}, &stdout, &stderr); code != 1 {
		t.Errorf("exit code %d, want 1\n%s", code, &stderr)
	}
	if !strings.Contains(stderr.String(), "TLS certificate") {
		t.Errorf("stderr %q does not name the TLS certificate", &stderr)
	}
}

func selfSigned(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "berth-test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}
