package cli

import (
	"bytes"
	"context"
	"flag"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-oci/berth/internal/client"
)

// testEnv returns an Env with buffers for its streams, stdin as standard
// input, no terminal and the variables in vars.
func testEnv(stdin string, vars map[string]string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return &Env{
		Stdin:  strings.NewReader(stdin),
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(k string) string { return vars[k] },
	}, &stdout, &stderr
}

func TestParseInterspersed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		pos     []string
		public  bool
		limit   string
		wantErr bool
	}{
		{args: nil, pos: nil},
		{args: []string{"demo"}, pos: []string{"demo"}},
		{args: []string{"demo", "--public"}, pos: []string{"demo"}, public: true},
		{args: []string{"--public", "demo", "--limit", "5"}, pos: []string{"demo"}, public: true, limit: "5"},
		{args: []string{"a", "-limit=7", "b"}, pos: []string{"a", "b"}, limit: "7"},
		{args: []string{"a", "--", "--public", "-x"}, pos: []string{"a", "--public", "-x"}},
		{args: []string{"-", "a"}, pos: []string{"-", "a"}},
		{args: []string{"a", "--bogus"}, wantErr: true},
		{args: []string{"a", "--limit"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			fs.SetOutput(new(bytes.Buffer))
			public := fs.Bool("public", false, "")
			limit := fs.String("limit", "", "")
			pos, err := parseInterspersed(fs, tt.args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if diff := cmp.Diff(tt.pos, pos); diff != "" {
				t.Errorf("positional (-want +got):\n%s", diff)
			}
			if *public != tt.public || *limit != tt.limit {
				t.Errorf("public=%v limit=%q, want %v %q", *public, *limit, tt.public, tt.limit)
			}
		})
	}
}

// TestUsage runs commands whose command line is wrong or asks for help:
// no server is needed, and none is contacted.
func TestUsage(t *testing.T) {
	t.Parallel()
	noStore := Admin(func(context.Context, StoreFlags, func(string) string) (AdminStore, error) {
		panic("the store must not be opened on a usage error")
	})
	tests := []struct {
		name   string
		fn     Func
		args   []string
		code   int
		stdout string // substring of stdout
		stderr string // substring of stderr
	}{
		{"group no args", Project, nil, 2, "", "Subcommands:"},
		{"group help", Project, []string{"--help"}, 0, "  create  create a project", ""},
		{"group help word", Robot, []string{"help"}, 0, "refresh", ""},
		{"flag before sub", Tag, []string{"--server", "x", "list"}, 2, "", "the subcommand comes first"},
		{"unknown sub", Tag, []string{"frob"}, 2, "", `unknown subcommand "frob"`},
		{"sub help", Project, []string{"create", "--help"}, 0, "usage: berth project create NAME", ""},
		{"sub help lists flags", Robot, []string{"create", "-h"}, 0, "-expires-days", ""},
		{"missing arg", Project, []string{"create"}, 2, "", "missing argument"},
		{"extra arg", Project, []string{"list", "x"}, 2, "", `unexpected argument "x"`},
		{"bad flag", User, []string{"list", "--nope"}, 2, "", "flag provided but not defined: -nope"},
		{"bad output", Project, []string{"list", "--output", "yaml"}, 2, "", "want table or json"},
		{"bad repo", Artifact, []string{"list", "nginx"}, 2, "", "want PROJECT/REPOSITORY"},
		{"tag create no ref", Tag, []string{"create", "lib/app", "v1"}, 2, "", "want PROJECT/REPOSITORY@REF"},
		{"tag delete no tag", Tag, []string{"delete", "lib/app"}, 2, "", "want PROJECT/REPOSITORY:TAG"},
		{"bad role", Member, []string{"add", "p", "bob", "owner"}, 2, "", `unknown role "owner"`},
		{"bad perm", Robot, []string{"create", "ci", "--perm", "fly"}, 2, "", `unknown permission "fly"`},
		{"bad expiry", Robot, []string{"create", "ci", "--expires-days", "0"}, 2, "", "--expires-days 0"},
		{"bad storage limit", Project, []string{"create", "p", "--storage-limit", "-5"}, 2, "", "--storage-limit -5"},
		{"token create no name", Token, []string{"create"}, 2, "", "missing argument"},
		{"token bad expiry", Token, []string{"create", "ci", "--expires-days", "0"}, 2, "", "--expires-days 0"},
		{"token revoke no arg", Token, []string{"revoke"}, 2, "", "missing argument"},
		{"token help", Token, []string{"create", "--help"}, 0, "password of that user", ""},
		{"logs extra arg", Logs, []string{"library"}, 2, "", `unexpected argument "library"`},
		{"logs bad since", Logs, []string{"--since", "yesterday"}, 2, "", `--since "yesterday": want a duration`},
		{"logs negative since", Logs, []string{"--since", "-2h"}, 2, "", "must not be negative"},
		{"logs bad limit", Logs, []string{"--limit", "-1"}, 2, "", "--limit -1"},
		{"logs help", Logs, []string{"-h"}, 0, "usage: berth logs [--project P]", ""},
		{"info extra arg", Info, []string{"x"}, 2, "", `unexpected argument "x"`},
		{"login no server", Login, nil, 2, "", "missing argument"},
		{"login bad server", Login, []string{"ftp://x"}, 2, "", "scheme must be http or https"},
		{"admin no sub", noStore, nil, 2, "", "create-user"},
		{"admin help", noStore, []string{"reset-password", "--help"}, 0, "--password-stdin", ""},
		{"admin missing user", noStore, []string{"create-user"}, 2, "", "missing argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e, stdout, stderr := testEnv("", nil)
			code := tt.fn(t.Context(), e, tt.args)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout %q does not contain %q", stdout, tt.stdout)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.stderr)
			}
		})
	}
}

func TestNoServer(t *testing.T) {
	t.Parallel()
	e, _, stderr := testEnv("", map[string]string{envCLIConfig: t.TempDir() + "/cli.json"})
	if code := Project(t.Context(), e, []string{"list"}); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "berth project list: no server: run 'berth login SERVER'") {
		t.Errorf("stderr: %s", stderr)
	}
}

func TestRefArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in                 string
		sep                byte
		project, repo, ref string
		bad                bool
	}{
		{in: "lib/app@sha256:abc", sep: '@', project: "lib", repo: "app", ref: "sha256:abc"},
		{in: "lib/a/b@latest", sep: '@', project: "lib", repo: "a/b", ref: "latest"},
		{in: "lib/app:v1", sep: ':', project: "lib", repo: "app", ref: "v1"},
		{in: "lib/a/b:v1.2", sep: ':', project: "lib", repo: "a/b", ref: "v1.2"},
		{in: "lib/app", sep: ':', bad: true},
		{in: "lib/app:", sep: ':', bad: true},
		{in: "lib:v1", sep: ':', bad: true},
		{in: "/app:v1", sep: ':', bad: true},
		{in: "lib/app@", sep: '@', bad: true},
	}
	for _, tt := range tests {
		project, repo, ref, err := refArg(tt.in, tt.sep, "X")
		if (err != nil) != tt.bad {
			t.Errorf("refArg(%q): err = %v, want error %v", tt.in, err, tt.bad)
			continue
		}
		if !tt.bad && (project != tt.project || repo != tt.repo || ref != tt.ref) {
			t.Errorf("refArg(%q) = %q %q %q, want %q %q %q", tt.in, project, repo, ref, tt.project, tt.repo, tt.ref)
		}
	}
}

func TestPerms(t *testing.T) {
	t.Parallel()
	got, err := parsePerms("pull, push,pull,tag:create")
	if err != nil {
		t.Fatal(err)
	}
	want := []client.Access{
		{Resource: "repository", Action: "pull"},
		{Resource: "repository", Action: "push"},
		{Resource: "tag", Action: "create"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parsePerms (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", ",", "fly", ":pull", "repository:"} {
		if _, err := parsePerms(bad); err == nil {
			t.Errorf("parsePerms(%q) succeeded", bad)
		}
	}
	// What the server lists back: every pair the actions grant.
	perms := []client.RobotPermission{
		{Kind: "project", Namespace: "demo", Access: []client.Access{
			{Resource: "repository", Action: "pull"}, {Resource: "repository", Action: "list"},
			{Resource: "artifact", Action: "list"}, {Resource: "tag", Action: "list"},
			{Resource: "tag", Action: "create"}, {Resource: "scan", Action: "stop"},
			{Resource: "label", Action: "create"},
		}},
		{Kind: "project", Namespace: "*", Access: []client.Access{{Resource: "repository", Action: "pull"}}},
	}
	if got, want := permSummary(perms), "demo:pull,list,write,scan,label:create *:pull"; got != want {
		t.Errorf("permSummary = %q, want %q", got, want)
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 40: "3.0 TiB"} {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q, want %q", n, got, want)
		}
	}
	if got := shortDigest("sha256:0123456789abcdef0123"); got != "sha256:0123456789ab" {
		t.Errorf("shortDigest = %q", got)
	}
	if got := shortDigest("weird"); got != "weird" {
		t.Errorf("shortDigest = %q", got)
	}
	if when(time.Time{}) != "-" || unixWhen(-1) != "never" || unixWhen(0) != "never" {
		t.Error("zero times are not shown as - / never")
	}
	if got := shortRobotName("robot$demo+ci"); got != "ci" {
		t.Errorf("shortRobotName = %q", got)
	}
}

func TestShow(t *testing.T) {
	t.Parallel()
	type row struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
	}
	rows := []row{{"a", 1}, {"longer-name", 22}, {"tab\there", 3}}
	for _, tt := range []struct{ output, want string }{
		{"table", "NAME         COUNT\na            1\nlonger-name  22\ntab here     3\nempty        -\n"},
		{"json", "[\n  {\n    \"name\": \"a\",\n    \"count\": 1\n  },\n  {\n    \"name\": \"longer-name\",\n    \"count\": 22\n  },\n  {\n    \"name\": \"tab\\there\",\n    \"count\": 3\n  }\n]\n"},
	} {
		e, stdout, _ := testEnv("", nil)
		c := e.newCmd("x", "x", true)
		c.output = tt.output
		code := c.show(rows, func(t *table) {
			t.row("NAME", "COUNT")
			for _, r := range rows {
				t.row(r.Name, strconv.Itoa(r.Count))
			}
			t.row("empty", "")
		})
		if code != 0 {
			t.Fatalf("show: %d", code)
		}
		if diff := cmp.Diff(tt.want, stdout.String()); diff != "" {
			t.Errorf("%s output (-want +got):\n%s", tt.output, diff)
		}
	}
}
