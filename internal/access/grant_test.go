package access

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// projects is the registry Grant is asked about: "pub" is public, "proj"
// and "other" private, "gone" does not exist.
func projects(repo string) (public, exists bool) {
	switch ProjectOf(repo) {
	case "pub":
		return true, true
	case "proj", "other":
		return false, true
	}
	return false, false
}

func scopes(t *testing.T, ss ...string) []Scope {
	t.Helper()
	out, err := ParseScopes(ss)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGrant(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	admin := Principal{Kind: KindUser, Name: "admin", SystemAdmin: true}
	tests := []struct {
		name      string
		e         *Evaluator
		p         Principal
		requested []string
		want      []string // granted scopes, in the token spec's form
	}{
		{"developer pushes", e, member(RoleDeveloper),
			[]string{"repository:proj/app:pull,push"}, []string{"repository:proj/app:pull,push"}},
		{"developer asks push only: pull added", e, member(RoleDeveloper),
			[]string{"repository:proj/app:push"}, []string{"repository:proj/app:pull,push"}},
		{"developer asks *", e, member(RoleDeveloper),
			[]string{"repository:proj/app:*"}, []string{"repository:proj/app:pull,push"}},
		{"maintainer asks *", e, member(RoleMaintainer),
			[]string{"repository:proj/app:*"}, []string{"repository:proj/app:pull,push,delete"}},
		{"guest asks push: pull only", e, member(RoleGuest),
			[]string{"repository:proj/app:pull,push"}, []string{"repository:proj/app:pull"}},
		{"guest asks push only: pull still granted", e, member(RoleGuest),
			[]string{"repository:proj/app:push"}, []string{"repository:proj/app:pull"}},
		{"push-only robot: no pull", e, projectRobot("proj", perm("proj", ActionPush)),
			[]string{"repository:proj/app:pull,push"}, []string{"repository:proj/app:push"}},
		{"unknown actions ignored", e, member(RoleProjectAdmin),
			[]string{"repository:proj/app:pull,scanner-pull,frob,delete"}, []string{"repository:proj/app:pull,delete"}},
		{"only unknown actions: scope omitted", e, member(RoleProjectAdmin),
			[]string{"repository:proj/app:frob"}, nil},
		{"scope for A does not leak to B", e, user(map[string]Role{"proj": RoleDeveloper}),
			[]string{"repository:proj/app:pull,push", "repository:other/app:pull,push"}, []string{"repository:proj/app:pull,push"}},
		{"B asked alone", e, user(map[string]Role{"proj": RoleDeveloper}),
			[]string{"repository:other/app:pull"}, nil},
		{"same project, another repository, asked separately", e, member(RoleDeveloper),
			[]string{"repository:proj/a:pull", "repository:proj/b:push"}, []string{"repository:proj/a:pull", "repository:proj/b:pull,push"}},
		{"duplicates merge", e, member(RoleMaintainer),
			[]string{"repository:proj/app:pull", "repository:proj/app:delete repository:proj/app:pull"}, []string{"repository:proj/app:pull,delete"}},
		{"class kept apart", e, member(RoleGuest),
			[]string{"repository(plugin):proj/app:pull", "repository:proj/app:pull"},
			[]string{"repository(plugin):proj/app:pull", "repository:proj/app:pull"}},
		{"anonymous on public", e, Anonymous(),
			[]string{"repository:pub/tool:pull,push", "repository:proj/app:pull"}, []string{"repository:pub/tool:pull"}},
		{"anonymous denied", New(Options{DenyAnonymous: true}), Anonymous(),
			[]string{"repository:pub/tool:pull"}, nil},
		{"non-member on public", e, user(nil),
			[]string{"repository:pub/tool:*"}, []string{"repository:pub/tool:pull"}},
		{"missing project: nothing for a member of that name", e, user(map[string]Role{"gone": RoleProjectAdmin}),
			[]string{"repository:gone/app:pull,push"}, nil},
		{"missing project: nothing for an all-projects robot", e, systemRobot(perm(AllProjects, grantable...)),
			[]string{"repository:gone/app:pull,push"}, nil},
		{"missing project: admin", e, admin,
			[]string{"repository:gone/app:pull,push"}, []string{"repository:gone/app:pull,push"}},
		{"repository without project", e, admin,
			[]string{"repository:nginx:pull"}, nil},
		{"admin asks *", e, admin,
			[]string{"repository:proj/app:*"}, []string{"repository:proj/app:pull,push,delete"}},
		{"disabled admin", e, Principal{Kind: KindUser, Name: "admin", SystemAdmin: true, Disabled: true},
			[]string{"repository:proj/app:*", "registry:catalog:*"}, nil},
		{"expired robot", e, func() Principal { p := systemRobot(perm(AllProjects, grantable...)); p.ExpiresAt = now; return p }(),
			[]string{"repository:proj/app:pull"}, nil},
		{"project robot on another project", e, projectRobot("other", perm("other", grantable...)),
			[]string{"repository:proj/app:pull,push", "repository:other/app:pull,push"}, []string{"repository:other/app:pull,push"}},

		// The catalog: every active user and robot; the listing is filtered.
		{"catalog: admin", e, admin, []string{"registry:catalog:*"}, []string{"registry:catalog:*"}},
		{"catalog: user", e, user(nil), []string{"registry:catalog:*"}, []string{"registry:catalog:*"}},
		{"catalog: robot", e, projectRobot("proj", perm("proj", ActionPull)), []string{"registry:catalog:*"}, []string{"registry:catalog:*"}},
		{"catalog: anonymous", e, Anonymous(), []string{"registry:catalog:*"}, nil},
		{"catalog: other action", e, admin, []string{"registry:catalog:pull"}, nil},
		{"catalog: class", e, admin, []string{"registry(x):catalog:*"}, nil},
		{"registry: other name", e, admin, []string{"registry:config:*"}, nil},
		{"unknown type", e, admin, []string{"foo:proj/app:pull"}, nil},
	}
	for _, tt := range tests {
		got := tt.e.Grant(tt.p, scopes(t, tt.requested...), projects, now)
		var gotS []string
		for _, g := range got {
			gotS = append(gotS, g.String())
		}
		if diff := cmp.Diff(tt.want, gotS); diff != "" {
			t.Errorf("%s: Grant(%v) (-want +got):\n%s", tt.name, tt.requested, diff)
		}
	}
}

// TestGrantMatchesAllowed checks every granted repository action against
// Allowed for the roles and robots of the matrix.
func TestGrantMatchesAllowed(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	ps := []Principal{Anonymous(), user(nil), systemRobot(perm(AllProjects, ActionDelete)), projectRobot("proj", perm("proj", ActionPull))}
	for _, r := range Roles() {
		ps = append(ps, member(r))
	}
	for _, p := range ps {
		for _, repo := range []string{"proj/app", "pub/tool", "other/x"} {
			got := e.Grant(p, scopes(t, "repository:"+repo+":*"), projects, now)
			public, _ := projects(repo)
			for _, a := range tokenActions {
				want := e.Allowed(p, a, ForRepository(repo, public), now)
				if Permits(got, ScopeRepository, repo, string(a)) != want {
					t.Errorf("%+v on %s: granted %v, Allowed(%s) = %v", p, repo, got, a, want)
				}
			}
		}
	}
}

func TestGrantDoesNotAliasRequest(t *testing.T) {
	t.Parallel()
	req := scopes(t, "repository:proj/app:pull", "repository:proj/app:push")
	got := New(Options{}).Grant(member(RoleDeveloper), req, projects, now)
	got[0].Actions[0] = "mutated"
	if req[0].Actions[0] != "pull" {
		t.Fatal("Grant's result shares memory with the request")
	}
}

func TestPermits(t *testing.T) {
	t.Parallel()
	granted := []Scope{
		{Type: "repository", Name: "proj/a", Actions: []string{"pull", "push"}},
		{Type: "repository", Class: "plugin", Name: "proj/p", Actions: []string{"pull"}},
		{Type: "registry", Name: "catalog", Actions: []string{"*"}},
		{Type: "repository", Name: "proj/star", Actions: []string{"*"}},
	}
	tests := []struct {
		typ, name, action string
		want              bool
	}{
		{"repository", "proj/a", "pull", true},
		{"repository", "proj/a", "push", true},
		{"repository", "proj/a", "delete", false},
		{"repository", "proj/b", "pull", false},
		{"repository", "proj/a/b", "pull", false},
		{"repository", "proj", "pull", false},
		{"repository", "proj/p", "pull", true},
		{"registry", "catalog", "*", true},
		{"registry", "catalog", "pull", false},
		{"repository", "catalog", "*", false},
		{"repository", "proj/star", "pull", false},
		{"registry", "proj/a", "pull", false},
	}
	for _, tt := range tests {
		if got := Permits(granted, tt.typ, tt.name, tt.action); got != tt.want {
			t.Errorf("Permits(%s, %s, %s) = %v, want %v", tt.typ, tt.name, tt.action, got, tt.want)
		}
	}
	if Permits(nil, "repository", "proj/a", "pull") {
		t.Error("Permits(nil) = true")
	}
}

// TestScopeJSON checks the JSON form is the token spec's access claim entry.
func TestScopeJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal([]Scope{
		{Type: "repository", Name: "proj/a", Actions: []string{"pull"}},
		{Type: "repository", Class: "plugin", Name: "proj/p", Actions: []string{"pull"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"type":"repository","name":"proj/a","actions":["pull"]},{"type":"repository","class":"plugin","name":"proj/p","actions":["pull"]}]`
	if string(b) != want {
		t.Errorf("JSON = %s, want %s", b, want)
	}
}
