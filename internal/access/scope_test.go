package access

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var scopeCases = []struct {
	in   string
	want Scope // zero: an error is expected
}{
	{"repository:library/nginx:pull", Scope{Type: "repository", Name: "library/nginx", Actions: []string{"pull"}}},
	{"repository:library/nginx:pull,push", Scope{Type: "repository", Name: "library/nginx", Actions: []string{"pull", "push"}}},
	{"repository:team/app/api:push,pull", Scope{Type: "repository", Name: "team/app/api", Actions: []string{"push", "pull"}}},
	{"repository:a/b:*", Scope{Type: "repository", Name: "a/b", Actions: []string{"*"}}},
	{"repository:a/b:delete,*,pull", Scope{Type: "repository", Name: "a/b", Actions: []string{"delete", "*", "pull"}}},
	{"repository:a/b:pull,scanner-pull", Scope{Type: "repository", Name: "a/b", Actions: []string{"pull", "scanner-pull"}}},
	{"repository:nginx:pull", Scope{Type: "repository", Name: "nginx", Actions: []string{"pull"}}},
	{"repository:my.registry-name/a__b/c-d.e:pull", Scope{Type: "repository", Name: "my.registry-name/a__b/c-d.e", Actions: []string{"pull"}}},
	{"repository(plugin):vieux/sshfs:pull", Scope{Type: "repository", Class: "plugin", Name: "vieux/sshfs", Actions: []string{"pull"}}},
	{"registry:catalog:*", Scope{Type: "registry", Name: "catalog", Actions: []string{"*"}}},
	{"registry:catalog:pull", Scope{Type: "registry", Name: "catalog", Actions: []string{"pull"}}},
	{"foo:bar:baz", Scope{Type: "foo", Name: "bar", Actions: []string{"baz"}}},
	{"repository:a/b:pull,pull", Scope{Type: "repository", Name: "a/b", Actions: []string{"pull", "pull"}}},

	// Malformed.
	{"", Scope{}},
	{"repository", Scope{}},
	{"repository:a/b", Scope{}},
	{"repository:a/b:", Scope{}},
	{"repository:a/b:pull,", Scope{}},
	{"repository:a/b:,pull", Scope{}},
	{"repository:a/b:pull,,push", Scope{}},
	{":a/b:pull", Scope{}},
	{"repository::pull", Scope{}},
	{"repository:localhost:5000/a/b:pull", Scope{}},
	{"repository:a/b:pull:push", Scope{}},
	{"repository:A/b:pull", Scope{}},
	{"repository:a//b:pull", Scope{}},
	{"repository:/a/b:pull", Scope{}},
	{"repository:a/b/:pull", Scope{}},
	{"repository:a/b:PULL", Scope{}},
	{"repository:a/b:pull push", Scope{}},
	{"repository:a/b:pull;rm", Scope{}},
	{"repository:a/b:**", Scope{}},
	{"repository:a/b: pull", Scope{}},
	{" repository:a/b:pull", Scope{}},
	{"Repository:a/b:pull", Scope{}},
	{"repository(:a/b:pull", Scope{}},
	{"repository():a/b:pull", Scope{}},
	{"repository(Plugin):a/b:pull", Scope{}},
	{"repository(plugin)(x):a/b:pull", Scope{}},
	{"repository:a/b\n:pull", Scope{}},
	{"registry:catalog:", Scope{}},
	{"registry:Catalog:*", Scope{}},
	{"registry:../x:*", Scope{}},
	{"repository:" + strings.Repeat("a", 120) + "/" + strings.Repeat("b", 140) + ":pull", Scope{}},
	{"repository:a/b:" + strings.Repeat("pull,", 16) + "pull", Scope{}},
	{"repository:a/b:" + strings.Repeat("p", 33), Scope{}},
}

func TestParseScope(t *testing.T) {
	t.Parallel()
	for _, tt := range scopeCases {
		got, err := ParseScope(tt.in)
		if tt.want.Type == "" {
			if err == nil {
				t.Errorf("ParseScope(%q) = %+v, want an error", tt.in, got)
			} else if !errors.Is(err, ErrInvalidScope) {
				t.Errorf("ParseScope(%q) error %v does not wrap ErrInvalidScope", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseScope(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseScope(%q) (-want +got):\n%s", tt.in, diff)
		}
		if s := got.String(); s != tt.in {
			t.Errorf("ParseScope(%q).String() = %q", tt.in, s)
		}
	}
}

func TestParseScopes(t *testing.T) {
	t.Parallel()
	got, err := ParseScopes([]string{
		"repository:a/b:pull repository:c/d:push,pull",
		"",
		"  registry:catalog:*  ",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Scope{
		{Type: "repository", Name: "a/b", Actions: []string{"pull"}},
		{Type: "repository", Name: "c/d", Actions: []string{"push", "pull"}},
		{Type: "registry", Name: "catalog", Actions: []string{"*"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseScopes (-want +got):\n%s", diff)
	}
	if got, err := ParseScopes(nil); err != nil || got != nil {
		t.Errorf("ParseScopes(nil) = %v, %v", got, err)
	}
	if _, err := ParseScopes([]string{"repository:a/b:pull repository:C:pull"}); !errors.Is(err, ErrInvalidScope) {
		t.Errorf("ParseScopes with a bad scope: err = %v, want ErrInvalidScope", err)
	}
}

func FuzzParseScope(f *testing.F) {
	for _, tt := range scopeCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sc, err := ParseScope(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidScope) {
				t.Fatalf("ParseScope(%q) error %v does not wrap ErrInvalidScope", s, err)
			}
			return
		}
		// A parsed scope prints back to its input and holds no separator
		// or space that could smuggle a second scope or action.
		if got := sc.String(); got != s {
			t.Fatalf("ParseScope(%q).String() = %q", s, got)
		}
		if sc.Type == "" || sc.Name == "" || len(sc.Actions) == 0 || len(sc.Actions) > MaxScopeActions {
			t.Fatalf("ParseScope(%q) = %+v: empty part", s, sc)
		}
		if strings.ContainsAny(sc.Name, ": \t\r\n,") {
			t.Fatalf("ParseScope(%q): name %q holds a separator", s, sc.Name)
		}
		for _, a := range sc.Actions {
			if a == "" || strings.ContainsAny(a, ":, \t\r\n") {
				t.Fatalf("ParseScope(%q): action %q", s, a)
			}
		}
		// Granting never widens: every granted action was asked for, or is
		// pull added to a push.
		admin := Principal{Kind: KindUser, Name: "admin", SystemAdmin: true}
		for _, g := range New(Options{}).Grant(admin, []Scope{sc}, func(string) (bool, bool) { return false, true }, now) {
			if g.Type != sc.Type || g.Class != sc.Class || g.Name != sc.Name {
				t.Fatalf("Grant(%q) returned %+v", s, g)
			}
			for _, a := range g.Actions {
				asked := false
				for _, r := range sc.Actions {
					asked = asked || r == a || r == ScopeAll || (a == "pull" && r == "push")
				}
				if !asked {
					t.Fatalf("Grant(%q) granted unrequested %q", s, a)
				}
			}
		}
	})
}
