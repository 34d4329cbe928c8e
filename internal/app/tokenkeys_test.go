package app

import (
	"bytes"
	"strings"
	"testing"
)

func TestTokenKeyCommand(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := Run(t.Context(), append(append([]string{"token-key"}, args...), "--data", data), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	code, out, _ := run("list")
	first := strings.Fields(out)
	if code != 0 || len(first) < 2 || !strings.Contains(out, "(active") {
		t.Fatalf("list on a fresh directory = %d %q", code, out)
	}
	code, out, _ = run("rotate")
	if code != 0 || !strings.HasPrefix(out, "new signing key ") {
		t.Fatalf("rotate = %d %q", code, out)
	}
	newKid := strings.TrimSpace(strings.TrimPrefix(out, "new signing key "))
	if code, _, errOut := run("retire", newKid); code != 1 || !strings.Contains(errOut, "active") {
		t.Errorf("retiring the active key = %d %q, want 1 naming the active key", code, errOut)
	}
	if code, out, _ := run("retire", first[0]); code != 0 || !strings.Contains(out, "retired") {
		t.Errorf("retire old key = %d %q", code, out)
	}
	if code, out, _ := run("list"); code != 0 || strings.Contains(out, first[0]) || !strings.Contains(out, newKid+"  (active") {
		t.Errorf("list after rotate and retire = %d %q", code, out)
	}
	if !isTokenKeyFlag("--data=/x") || !isTokenKeyFlag("-config") || isTokenKeyFlag("-AbCdEf") || isTokenKeyFlag("--kid-like") {
		t.Error("isTokenKeyFlag misreads flags and key ids")
	}
	for _, bad := range [][]string{{}, {"retire"}, {"bogus"}, {"list", "extra"}} {
		if code, _, _ := run(bad...); code != 2 {
			t.Errorf("token-key %q = %d, want 2", bad, code)
		}
	}
}
