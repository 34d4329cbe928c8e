package cli_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/berth-oci/berth/internal/cli"
)

// TestImmutableAndHistory drives berth immutable and berth tag
// history/restore against a served Berth.
func TestImmutableAndHistory(t *testing.T) {
	t.Parallel()
	addr, opsPassword, _ := startServer(t)
	s := newSession(t)
	s.must(cli.Login, opsPassword+"\n", "-u", "ops", "--password-stdin", addr)
	s.must(cli.Project, "", "create", "team")

	push := func(tag string) string {
		t.Helper()
		img, err := random.Image(128, 1)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := name.ParseReference(addr+"/team/app:"+tag, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		err = remote.Write(ref, img, remote.WithAuth(&authn.Basic{Username: "ops", Password: opsPassword}), remote.WithContext(t.Context()))
		if err != nil {
			return err.Error()
		}
		d, _ := img.Digest()
		return d.String()
	}
	a := push("v1")
	b := push("v1")
	s.must(cli.Tag, "", "delete", "team/app:v1")
	var hist []struct {
		Operation string `json:"operation"`
		NewDigest string `json:"new_digest"`
	}
	s.jsonOut(&hist, cli.Tag, "history", "team/app:v1")
	if len(hist) != 3 || hist[0].Operation != "delete" || hist[1].NewDigest != b || hist[2].NewDigest != a {
		t.Errorf("history = %+v", hist)
	}
	if out := s.must(cli.Tag, "", "restore", "team/app:v1", a); !strings.Contains(out, "Restored team/app:v1 to "+a) {
		t.Errorf("restore: %q", out)
	}
	s.fails("NOT_FOUND", cli.Tag, "", "restore", "team/app:v1", "sha256:"+strings.Repeat("0", 64))

	s.must(cli.Immutable, "", "add", "team", "--tags", "v*")
	s.fails("CONFLICT", cli.Immutable, "", "add", "team", "--tags", "v*")
	var rules []struct {
		ID       int64 `json:"id"`
		Disabled bool  `json:"disabled"`
	}
	s.jsonOut(&rules, cli.Immutable, "list", "team")
	if len(rules) != 1 || rules[0].Disabled {
		t.Fatalf("rules = %+v", rules)
	}
	id := strconv.FormatInt(rules[0].ID, 10)
	if msg := push("v1"); !strings.Contains(msg, "DENIED") || !strings.Contains(msg, "immutable") {
		t.Errorf("pushing over an immutable tag: %s", msg)
	}
	s.fails("PRECONDITION", cli.Tag, "", "delete", "team/app:v1")
	var tags []struct {
		Name      string `json:"name"`
		Immutable bool   `json:"immutable"`
	}
	s.jsonOut(&tags, cli.Tag, "list", "team/app")
	if len(tags) != 1 || tags[0].Name != "v1" || !tags[0].Immutable {
		t.Errorf("tags = %+v", tags)
	}
	s.must(cli.Immutable, "", "disable", "team", id)
	s.must(cli.Tag, "", "delete", "team/app:v1")
	s.must(cli.Immutable, "", "enable", "team", id)
	s.must(cli.Immutable, "", "delete", "team", id)
	s.fails("no immutability rule", cli.Immutable, "", "enable", "team", id)
}
