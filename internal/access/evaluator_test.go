package access

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCanMount(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	dev := user(map[string]Role{"proj": RoleDeveloper, "src": RoleLimitedGuest, "ro": RoleGuest})
	tests := []struct {
		name     string
		p        Principal
		from, to Resource
		want     bool
	}{
		{"pull source, push target", dev, ForRepository("src/base", false), ForRepository("proj/app", false), true},
		{"public source", dev, ForRepository("pub/base", true), ForRepository("proj/app", false), true},
		{"source it cannot read", dev, ForRepository("secret/base", false), ForRepository("proj/app", false), false},
		{"target it cannot push", dev, ForRepository("proj/app", false), ForRepository("ro/app", false), false},
		{"same repository", dev, ForRepository("proj/app", false), ForRepository("proj/app", false), true},
		{"anonymous from public", Anonymous(), ForRepository("pub/base", true), ForRepository("pub/app", true), false},
		{"robot: push here, pull there",
			projectRobot("proj", perm("proj", ActionPush)), ForRepository("proj/a", false), ForRepository("proj/b", false), false},
		{"project robot mounting from another private project",
			projectRobot("proj", perm("proj", ActionPull, ActionPush)), ForRepository("src/base", false), ForRepository("proj/app", false), false},
		{"system robot with pull there and push here",
			systemRobot(perm("src", ActionPull), perm("proj", ActionPush)), ForRepository("src/base", false), ForRepository("proj/app", false), true},
	}
	for _, tt := range tests {
		if got := e.CanMount(tt.p, tt.from, tt.to, now); got != tt.want {
			t.Errorf("%s: CanMount = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// catalog is a registry with public and private projects.
var catalog = []CatalogEntry{
	{"library/nginx", true},
	{"proj/app", false},
	{"proj/app/api", false},
	{"other/db", false},
	{"pub/tool", true},
	{"secret/x", false},
	{"nameless", false},
}

func TestFilterCatalog(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	tests := []struct {
		name string
		e    *Evaluator
		p    Principal
		want []string
	}{
		{"anonymous", e, Anonymous(), []string{"library/nginx", "pub/tool"}},
		{"anonymous denied", New(Options{DenyAnonymous: true}), Anonymous(), nil},
		{"limited guest", e, member(RoleLimitedGuest), []string{"library/nginx", "proj/app", "proj/app/api", "pub/tool"}},
		{"member of two", e, user(map[string]Role{"proj": RoleGuest, "other": RoleDeveloper}),
			[]string{"library/nginx", "proj/app", "proj/app/api", "other/db", "pub/tool"}},
		{"system admin", e, Principal{Kind: KindUser, Name: "admin", SystemAdmin: true},
			[]string{"library/nginx", "proj/app", "proj/app/api", "other/db", "pub/tool", "secret/x"}},
		{"push-only robot", e, projectRobot("proj", perm("proj", ActionPush)), []string{"library/nginx", "pub/tool"}},
		{"list-only robot", e, projectRobot("proj", perm("proj", ActionList)), []string{"library/nginx", "pub/tool"}},
		{"pull robot", e, projectRobot("proj", perm("proj", ActionPull)), []string{"library/nginx", "proj/app", "proj/app/api", "pub/tool"}},
		{"all-projects robot", e, systemRobot(perm(AllProjects, ActionPull)),
			[]string{"library/nginx", "proj/app", "proj/app/api", "other/db", "pub/tool", "secret/x"}},
		{"disabled admin", e, Principal{Kind: KindUser, Name: "admin", SystemAdmin: true, Disabled: true}, nil},
	}
	for _, tt := range tests {
		got := tt.e.FilterCatalog(tt.p, catalog, now)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: FilterCatalog (-want +got):\n%s", tt.name, diff)
		}
		// The catalog never lists a repository the caller cannot pull.
		for _, repo := range got {
			if !tt.e.Allowed(tt.p, ActionPull, ForRepository(repo, isPublic(repo)), now) {
				t.Errorf("%s: catalog lists %s, which it cannot pull", tt.name, repo)
			}
		}
	}
}

func isPublic(repo string) bool {
	for _, c := range catalog {
		if c.Repository == repo {
			return c.Public
		}
	}
	return false
}

func TestProjectSetContains(t *testing.T) {
	t.Parallel()
	s := ProjectSet{Public: true, Names: []string{"a", "c"}}
	for _, tt := range []struct {
		project string
		public  bool
		want    bool
	}{{"a", false, true}, {"b", false, false}, {"b", true, true}, {"c", false, true}, {"", true, false}} {
		if got := s.Contains(tt.project, tt.public); got != tt.want {
			t.Errorf("Contains(%q, %v) = %v, want %v", tt.project, tt.public, got, tt.want)
		}
	}
	if (ProjectSet{All: true}).Contains("", false) {
		t.Error("the all-projects set contains the empty project")
	}
}

// TestProjectsAgreesWithAllowed checks Projects against Allowed for many
// principals, every action, and projects of both visibilities.
func TestProjectsAgreesWithAllowed(t *testing.T) {
	t.Parallel()
	principals := []Principal{
		Anonymous(),
		user(nil),
		user(map[string]Role{"proj": RoleLimitedGuest, "other": RoleMaintainer, "": RoleProjectAdmin, "x": "owner"}),
		member(RoleProjectAdmin),
		{Kind: KindUser, Name: "admin", SystemAdmin: true},
		{Kind: KindUser, Name: "admin", SystemAdmin: true, Disabled: true},
		projectRobot("proj", perm("proj", ActionPull, ActionPush), perm("other", ActionPull), perm(AllProjects, ActionDelete)),
		systemRobot(perm(AllProjects, ActionPull), perm("proj", ActionPush, ActionMemberWrite), perm("other", ActionScan)),
		systemRobot(perm(AllProjects, ActionMemberRead)),
		func() Principal { p := systemRobot(perm(AllProjects, grantable...)); p.ExpiresAt = now; return p }(),
	}
	projects := []string{"proj", "other", "third", "x"}
	for _, opt := range []Options{{}, {DenyAnonymous: true}} {
		e := New(opt)
		for i, p := range principals {
			for _, a := range Actions() {
				set := e.Projects(p, a, now)
				for _, project := range projects {
					for _, public := range []bool{false, true} {
						want := !a.System() && e.Allowed(p, a, ForProject(project, public), now)
						if got := set.Contains(project, public); got != want {
							t.Errorf("opt %+v, principal %d, %s in %s (public %v): Projects %+v contains = %v, Allowed = %v",
								opt, i, a, project, public, set, got, want)
						}
					}
				}
			}
		}
	}
}

func ExampleEvaluator_Projects() {
	e := New(Options{})
	p := Principal{Kind: KindUser, Name: "dev", Roles: map[string]Role{"team": RoleDeveloper, "ops": RoleGuest}}
	fmt.Printf("%+v\n", e.Projects(p, ActionPull, now))
	fmt.Printf("%+v\n", e.Projects(p, ActionPush, now))
	// Output:
	// {All:false Public:true Names:[ops team]}
	// {All:false Public:false Names:[team]}
}
