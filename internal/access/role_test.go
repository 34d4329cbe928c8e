package access

import (
	"os"
	"strings"
	"testing"
)

// TestDocRoleTable checks that the table printed in doc.go is roleTable.
func TestDocRoleTable(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, l := range strings.SplitAfter(roleTableText(), "\n") {
		if l != "" {
			want.WriteString("//\t" + l)
		}
	}
	if !strings.Contains(string(src), want.String()) {
		t.Errorf("doc.go does not print the role table; it should contain:\n%s", want.String())
	}
}

// TestRolesAreAChain checks that every role can do all the weaker roles can,
// which MaxRole relies on.
func TestRolesAreAChain(t *testing.T) {
	t.Parallel()
	for i := 1; i < len(roles); i++ {
		for _, a := range Actions() {
			if roles[i-1].Can(a) && !roles[i].Can(a) {
				t.Errorf("%s can %s but the stronger %s cannot", roles[i-1], a, roles[i])
			}
		}
	}
}

// TestRoleTableScope checks that roles grant only project-scoped actions and
// that every project-scoped action has a row.
func TestRoleTableScope(t *testing.T) {
	t.Parallel()
	for _, a := range Actions() {
		_, inTable := roleTable[a]
		if a.System() == inTable {
			t.Errorf("%s: system-scoped %v, in the role table %v", a, a.System(), inTable)
		}
	}
	for a := range roleTable {
		if !a.Valid() {
			t.Errorf("role table row for unknown action %q", a)
		}
	}
}

func TestRoleBasics(t *testing.T) {
	t.Parallel()
	for _, r := range Roles() {
		if !r.Valid() {
			t.Errorf("%s not valid", r)
		}
		got, ok := RoleFromHarborID(r.HarborID())
		if !ok || got != r {
			t.Errorf("RoleFromHarborID(%s.HarborID()=%d) = %s, %v", r, r.HarborID(), got, ok)
		}
	}
	// Harbor's role_id values, written out.
	for id, want := range map[int]Role{1: RoleProjectAdmin, 2: RoleDeveloper, 3: RoleGuest, 4: RoleMaintainer, 5: RoleLimitedGuest} {
		if got, ok := RoleFromHarborID(id); !ok || got != want {
			t.Errorf("RoleFromHarborID(%d) = %s, %v; want %s", id, got, ok, want)
		}
	}
	for _, id := range []int{0, 6, -1} {
		if r, ok := RoleFromHarborID(id); ok {
			t.Errorf("RoleFromHarborID(%d) = %s, want none", id, r)
		}
	}
	for _, r := range []Role{"", "owner", "ProjectAdmin"} {
		if r.Valid() || r.HarborID() != 0 || r.Can(ActionPull) {
			t.Errorf("unknown role %q is usable", r)
		}
	}
}

func TestMaxRole(t *testing.T) {
	t.Parallel()
	tests := []struct{ a, b, want Role }{
		{RoleGuest, RoleDeveloper, RoleDeveloper},
		{RoleProjectAdmin, RoleLimitedGuest, RoleProjectAdmin},
		{RoleMaintainer, RoleMaintainer, RoleMaintainer},
		{"", RoleGuest, RoleGuest},
		{RoleGuest, "", RoleGuest},
		{"owner", RoleLimitedGuest, RoleLimitedGuest},
		{"owner", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := MaxRole(tt.a, tt.b); got != tt.want {
			t.Errorf("MaxRole(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestActionBasics(t *testing.T) {
	t.Parallel()
	robot := map[Action]bool{}
	for _, a := range grantable {
		robot[a] = true
	}
	for _, a := range Actions() {
		if !a.Valid() {
			t.Errorf("%s not valid", a)
		}
		if a.RobotGrantable() != robot[a] {
			t.Errorf("%s: RobotGrantable = %v", a, a.RobotGrantable())
		}
	}
	if len(Actions()) != len(actions) {
		t.Errorf("Actions() lists %d actions, the table has %d", len(Actions()), len(actions))
	}
	for _, a := range []Action{"", "PULL", "*", "member"} {
		if a.Valid() || a.RobotGrantable() || a.System() {
			t.Errorf("unknown action %q is usable", a)
		}
	}
}

func TestProjectOf(t *testing.T) {
	t.Parallel()
	for repo, want := range map[string]string{
		"library/nginx": "library",
		"team/app/api":  "team",
		"nginx":         "",
		"":              "",
		"/nginx":        "",
		"library/":      "",
	} {
		if got := ProjectOf(repo); got != want {
			t.Errorf("ProjectOf(%q) = %q, want %q", repo, got, want)
		}
	}
}

func TestKindString(t *testing.T) {
	t.Parallel()
	for k, want := range map[Kind]string{KindAnonymous: "anonymous", KindUser: "user", KindRobot: "robot", 9: "invalid"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}
