package access

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// now is the instant every test evaluates at.
var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// matrixColumns are the columns of the matrix, in the order of the cells.
var matrixColumns = []Action{
	ActionPull, ActionPush, ActionDelete, ActionList, ActionRead, ActionWrite, ActionScan,
	ActionProjectRead, ActionProjectWrite, ActionProjectDelete,
	ActionMemberRead, ActionMemberWrite, ActionRobotRead, ActionRobotWrite, ActionAuditRead,
	ActionCatalog, ActionProjectCreate, ActionUserRead, ActionUserWrite, ActionSystemRead, ActionSystemWrite,
}

func user(roles map[string]Role) Principal {
	return Principal{Kind: KindUser, Name: "alice", Roles: roles}
}

func member(r Role) Principal { return user(map[string]Role{"proj": r}) }

func projectRobot(project string, perms ...RobotPermission) Principal {
	return Principal{Kind: KindRobot, Name: "robot$" + project + "+ci", Level: RobotProject, Project: project, Permissions: perms}
}

func systemRobot(perms ...RobotPermission) Principal {
	return Principal{Kind: KindRobot, Name: "robot$ci", Level: RobotSystem, Permissions: perms}
}

func perm(project string, as ...Action) RobotPermission {
	return RobotPermission{Project: project, Actions: as}
}

// grantable is every action a robot may hold.
var grantable = []Action{ActionPull, ActionPush, ActionDelete, ActionList, ActionRead, ActionWrite, ActionScan, ActionProjectRead}

// TestMatrix checks every kind of principal against every action on a
// repository in a public and in a private project. The expectations are
// written out by hand, not derived from roleTable: Y allows, - denies.
// Project-scoped actions are asked about ForRepository("proj/app", public)
// (project actions about ForProject("proj", public)); system-scoped ones
// about Resource{}.
func TestMatrix(t *testing.T) {
	t.Parallel()
	past, future := now.Add(-time.Second), now.Add(time.Hour)
	deny := New(Options{DenyAnonymous: true})
	create := New(Options{UsersCreateProjects: true})
	forged := Anonymous()
	forged.SystemAdmin = true
	forged.Roles = map[string]Role{"proj": RoleProjectAdmin}

	type row struct {
		name      string
		e         *Evaluator // nil: New(Options{})
		p         Principal
		pub, priv string
	}
	rows := []row{
		// Each row: name, evaluator (nil: default options), principal, then
		// the cells for a public project and for a private one.
		// Cells, in groups: pull push delete list read write scan | project.read
		// project.write project.delete | member.read member.write | robot.read
		// robot.write | audit.read | catalog project.create user.read user.write
		// system.read system.write.
		{"anonymous", nil, Anonymous(),
			"Y - - Y Y - -  Y - -  - -  - -  -  - - - - - -",
			"- - - - - - -  - - -  - -  - -  -  - - - - - -"},
		{"anonymous, anonymous denied", deny, Anonymous(),
			"- - - - - - -  - - -  - -  - -  -  - - - - - -",
			"- - - - - - -  - - -  - -  - -  -  - - - - - -"},
		{"anonymous claiming admin and roles", nil, forged,
			"Y - - Y Y - -  Y - -  - -  - -  -  - - - - - -",
			"- - - - - - -  - - -  - -  - -  -  - - - - - -"},
		{"non-member user (admin of another project)", nil, user(map[string]Role{"other": RoleProjectAdmin}),
			"Y - - Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"- - - - - - -  - - -  - -  - -  -  Y - - - - -"},
		{"non-member user, anonymous denied", deny, user(nil),
			"Y - - Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"- - - - - - -  - - -  - -  - -  -  Y - - - - -"},
		{"non-member user, users create projects", create, user(nil),
			"Y - - Y Y - -  Y - -  - -  - -  -  Y Y - - - -",
			"- - - - - - -  - - -  - -  - -  -  Y Y - - - -"},
		{"user with an unknown role", nil, member("owner"),
			"Y - - Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"- - - - - - -  - - -  - -  - -  -  Y - - - - -"},
		{"limited guest", nil, member(RoleLimitedGuest),
			"Y - - Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"Y - - Y Y - -  Y - -  - -  - -  -  Y - - - - -"},
		{"guest", nil, member(RoleGuest),
			"Y - - Y Y - -  Y - -  Y -  - -  Y  Y - - - - -",
			"Y - - Y Y - -  Y - -  Y -  - -  Y  Y - - - - -"},
		{"developer", nil, member(RoleDeveloper),
			"Y Y - Y Y - -  Y - -  Y -  - -  Y  Y - - - - -",
			"Y Y - Y Y - -  Y - -  Y -  - -  Y  Y - - - - -"},
		{"maintainer", nil, member(RoleMaintainer),
			"Y Y Y Y Y Y Y  Y - -  Y -  Y -  Y  Y - - - - -",
			"Y Y Y Y Y Y Y  Y - -  Y -  Y -  Y  Y - - - - -"},
		{"project admin", nil, member(RoleProjectAdmin),
			"Y Y Y Y Y Y Y  Y Y Y  Y Y  Y Y  Y  Y - - - - -",
			"Y Y Y Y Y Y Y  Y Y Y  Y Y  Y Y  Y  Y - - - - -"},
		{"project admin, users create projects", create, member(RoleProjectAdmin),
			"Y Y Y Y Y Y Y  Y Y Y  Y Y  Y Y  Y  Y Y - - - -",
			"Y Y Y Y Y Y Y  Y Y Y  Y Y  Y Y  Y  Y Y - - - -"},
		{"system admin", nil, Principal{Kind: KindUser, Name: "admin", SystemAdmin: true},
			"Y Y Y Y Y Y Y  Y Y Y  Y Y  Y Y  Y  Y Y Y Y Y Y",
			"Y Y Y Y Y Y Y  Y Y Y  Y Y  Y Y  Y  Y Y Y Y Y Y"},
		{"disabled system admin", nil, Principal{Kind: KindUser, Name: "admin", SystemAdmin: true, Disabled: true},
			"- - - - - - -  - - -  - -  - -  -  - - - - - -",
			"- - - - - - -  - - -  - -  - -  -  - - - - - -"},
		{"disabled project admin", nil, func() Principal { p := member(RoleProjectAdmin); p.Disabled = true; return p }(),
			"- - - - - - -  - - -  - -  - -  -  - - - - - -",
			"- - - - - - -  - - -  - -  - -  -  - - - - - -"},
		{"expired project admin", nil, func() Principal { p := member(RoleProjectAdmin); p.ExpiresAt = past; return p }(),
			"- - - - - - -  - - -  - -  - -  -  - - - - - -",
			"- - - - - - -  - - -  - -  - -  -  - - - - - -"},
		{"nameless user", nil, Principal{Kind: KindUser, Roles: map[string]Role{"proj": RoleProjectAdmin}},
			"- - - - - - -  - - -  - -  - -  -  - - - - - -",
			"- - - - - - -  - - -  - -  - -  -  - - - - - -"},
		{"principal of unknown kind", nil, Principal{Kind: 7, Name: "x", SystemAdmin: true},
			"- - - - - - -  - - -  - -  - -  -  - - - - - -",
			"- - - - - - -  - - -  - -  - -  -  - - - - - -"},

		// Robots. A robot reads public projects like any authenticated caller.
		{"project robot: pull", nil, projectRobot("proj", perm("proj", ActionPull)),
			"Y - - Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"Y - - - - - -  - - -  - -  - -  -  Y - - - - -"},
		{"project robot: push", nil, projectRobot("proj", perm("proj", ActionPush)),
			"Y Y - Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"- Y - - - - -  - - -  - -  - -  -  Y - - - - -"},
		{"project robot: delete", nil, projectRobot("proj", perm("proj", ActionDelete)),
			"Y - Y Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"- - Y - - - -  - - -  - -  - -  -  Y - - - - -"},
		{"project robot: list", nil, projectRobot("proj", perm("proj", ActionList)),
			"Y - - Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"- - - Y - - -  - - -  - -  - -  -  Y - - - - -"},
		{"project robot: read", nil, projectRobot("proj", perm("proj", ActionRead)),
			"Y - - Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"- - - - Y - -  - - -  - -  - -  -  Y - - - - -"},
		{"project robot: write", nil, projectRobot("proj", perm("proj", ActionWrite)),
			"Y - - Y Y Y -  Y - -  - -  - -  -  Y - - - - -",
			"- - - - - Y -  - - -  - -  - -  -  Y - - - - -"},
		{"project robot: scan", nil, projectRobot("proj", perm("proj", ActionScan)),
			"Y - - Y Y - Y  Y - -  - -  - -  -  Y - - - - -",
			"- - - - - - Y  - - -  - -  - -  -  Y - - - - -"},
		{"project robot: project.read", nil, projectRobot("proj", perm("proj", ActionProjectRead)),
			"Y - - Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"- - - - - - -  Y - -  - -  - -  -  Y - - - - -"},
		{"project robot: every grantable action", nil, projectRobot("proj", perm("proj", grantable...)),
			"Y Y Y Y Y Y Y  Y - -  - -  - -  -  Y - - - - -",
			"Y Y Y Y Y Y Y  Y - -  - -  - -  -  Y - - - - -"},
		{"project robot: forbidden actions only", nil, projectRobot("proj", perm("proj",
			ActionMemberRead, ActionMemberWrite, ActionRobotRead, ActionRobotWrite, ActionAuditRead,
			ActionProjectWrite, ActionProjectDelete, ActionProjectCreate, ActionUserWrite, ActionSystemWrite)),
			"Y - - Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"- - - - - - -  - - -  - -  - -  -  Y - - - - -"},
		{"project robot of another project", nil, projectRobot("other", perm("other", grantable...)),
			"Y - - Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"- - - - - - -  - - -  - -  - -  -  Y - - - - -"},
		{"project robot of another project naming this one and *", nil,
			projectRobot("other", perm("proj", grantable...), perm(AllProjects, grantable...)),
			"Y - - Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"- - - - - - -  - - -  - -  - -  -  Y - - - - -"},
		{"project robot without a project", nil, Principal{Kind: KindRobot, Name: "robot$x", Level: RobotProject,
			Permissions: []RobotPermission{perm("proj", grantable...)}},
			"- - - - - - -  - - -  - -  - -  -  - - - - - -",
			"- - - - - - -  - - -  - -  - -  -  - - - - - -"},
		{"system robot: all projects", nil, systemRobot(perm(AllProjects, grantable...)),
			"Y Y Y Y Y Y Y  Y - -  - -  - -  -  Y - - - - -",
			"Y Y Y Y Y Y Y  Y - -  - -  - -  -  Y - - - - -"},
		{"system robot: push on this project", nil, systemRobot(perm("proj", ActionPull, ActionPush)),
			"Y Y - Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"Y Y - - - - -  - - -  - -  - -  -  Y - - - - -"},
		{"system robot: another project only", nil, systemRobot(perm("other", grantable...)),
			"Y - - Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"- - - - - - -  - - -  - -  - -  -  Y - - - - -"},
		{"system robot claiming system admin", nil, func() Principal { p := systemRobot(); p.SystemAdmin = true; return p }(),
			"Y - - Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"- - - - - - -  - - -  - -  - -  -  Y - - - - -"},
		{"robot with roles (ignored)", nil, func() Principal {
			p := systemRobot()
			p.Roles = map[string]Role{"proj": RoleProjectAdmin}
			return p
		}(),
			"Y - - Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"- - - - - - -  - - -  - -  - -  -  Y - - - - -"},
		{"expired robot", nil, func() Principal { p := systemRobot(perm(AllProjects, grantable...)); p.ExpiresAt = past; return p }(),
			"- - - - - - -  - - -  - -  - -  -  - - - - - -",
			"- - - - - - -  - - -  - -  - -  -  - - - - - -"},
		{"robot expiring later", nil, func() Principal { p := projectRobot("proj", perm("proj", ActionPull)); p.ExpiresAt = future; return p }(),
			"Y - - Y Y - -  Y - -  - -  - -  -  Y - - - - -",
			"Y - - - - - -  - - -  - -  - -  -  Y - - - - -"},
		{"disabled robot", nil, func() Principal { p := systemRobot(perm(AllProjects, grantable...)); p.Disabled = true; return p }(),
			"- - - - - - -  - - -  - -  - -  -  - - - - - -",
			"- - - - - - -  - - -  - -  - -  -  - - - - - -"},
		{"robot of unknown level", nil, Principal{Kind: KindRobot, Name: "robot$x", Level: "global",
			Permissions: []RobotPermission{perm(AllProjects, grantable...)}},
			"- - - - - - -  - - -  - -  - -  -  - - - - - -",
			"- - - - - - -  - - -  - -  - -  -  - - - - - -"},
	}
	for _, rw := range rows {
		e := rw.e
		if e == nil {
			e = New(Options{})
		}
		for _, vis := range []struct {
			name   string
			public bool
			cells  string
		}{{"public", true, rw.pub}, {"private", false, rw.priv}} {
			cells := strings.Fields(vis.cells)
			if len(cells) != len(matrixColumns) {
				t.Fatalf("%s/%s: %d cells, want %d", rw.name, vis.name, len(cells), len(matrixColumns))
			}
			for i, a := range matrixColumns {
				want := cells[i] == "Y"
				if !want && cells[i] != "-" {
					t.Fatalf("%s/%s: bad cell %q", rw.name, vis.name, cells[i])
				}
				r := ForRepository("proj/app", vis.public)
				switch {
				case a.System():
					r = Resource{}
				case strings.Contains(string(a), "."): // project.*, member.*, robot.*, audit.read
					r = ForProject("proj", vis.public)
				}
				if got := e.Allowed(rw.p, a, r, now); got != want {
					t.Errorf("%s / %s project / %s: Allowed = %v, want %v", rw.name, vis.name, a, got, want)
				}
			}
		}
	}
}

// TestMatrixCoversEveryAction keeps the matrix complete when actions are
// added.
func TestMatrixCoversEveryAction(t *testing.T) {
	t.Parallel()
	got, want := slices.Clone(matrixColumns), Actions()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("matrix columns %v, want every action %v", got, want)
	}
}

// TestAllowedResourceChecks covers resources that are malformed or span
// every project.
func TestAllowedResourceChecks(t *testing.T) {
	t.Parallel()
	e := New(Options{})
	admin := Principal{Kind: KindUser, Name: "admin", SystemAdmin: true}
	pa := member(RoleProjectAdmin)
	allRobot := systemRobot(perm(AllProjects, grantable...))
	tests := []struct {
		name string
		p    Principal
		a    Action
		r    Resource
		want bool
	}{
		{"repository outside its project, admin", admin, ActionPull, Resource{Project: "proj", Repository: "other/app"}, false},
		{"repository outside its project, member", pa, ActionPull, Resource{Project: "proj", Repository: "other/app"}, false},
		{"repository without project", admin, ActionPull, ForRepository("app", true), false},
		{"project-less resource, public flag", Anonymous(), ActionPull, Resource{Repository: "proj/app", Public: true}, false},
		{"every project, admin", admin, ActionAuditRead, Resource{}, true},
		{"every project, project admin", pa, ActionAuditRead, Resource{}, false},
		{"every project, public flag", Anonymous(), ActionPull, Resource{Public: true}, false},
		{"every project, all-projects robot", allRobot, ActionPull, Resource{}, false},
		{"unknown action, admin", admin, Action("pull*"), ForRepository("proj/app", true), false},
		{"empty action, admin", admin, "", ForRepository("proj/app", true), false},
		{"member of the empty project", user(map[string]Role{"": RoleProjectAdmin}), ActionPull, Resource{}, false},
		{"nested repository", pa, ActionPush, ForRepository("proj/team/app/api", false), true},
		{"expiry is exclusive", func() Principal { p := pa; p.ExpiresAt = now; return p }(), ActionPull, ForRepository("proj/app", false), false},
	}
	for _, tt := range tests {
		if got := e.Allowed(tt.p, tt.a, tt.r, now); got != tt.want {
			t.Errorf("%s: Allowed(%s, %+v) = %v, want %v", tt.name, tt.a, tt.r, got, tt.want)
		}
	}
}

func ExampleEvaluator_Allowed() {
	e := New(Options{})
	dev := Principal{Kind: KindUser, Name: "dev", Roles: map[string]Role{"team": RoleDeveloper}}
	fmt.Println(e.Allowed(dev, ActionPush, ForRepository("team/app/api", false), time.Now()))
	fmt.Println(e.Allowed(dev, ActionDelete, ForRepository("team/app/api", false), time.Now()))
	fmt.Println(e.Allowed(Anonymous(), ActionPull, ForRepository("library/nginx", true), time.Now()))
	// Output:
	// true
	// false
	// true
}
