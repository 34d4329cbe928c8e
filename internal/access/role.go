package access

import (
	"fmt"
	"slices"
	"strings"
)

// Role is a project member's role. The values are the names Harbor's v2.0 API
// uses (role_name); RoleFromHarborID and Role.HarborID convert to and from its
// numeric role_id.
type Role string

// The project roles, weakest first. Each role can do everything the one
// before it can, and more (the table is a chain; a test keeps it so), so a
// user holding several roles in a project, directly and through groups, has
// the strongest of them: see MaxRole.
const (
	// RoleLimitedGuest pulls and reads artifacts, but sees neither the member
	// list nor the audit log.
	RoleLimitedGuest Role = "limitedGuest"
	// RoleGuest pulls and reads, including the member list and audit log.
	RoleGuest Role = "guest"
	// RoleDeveloper is a guest who can also push.
	RoleDeveloper Role = "developer"
	// RoleMaintainer is a developer who can also delete, scan, change tags,
	// labels and tag rules (retention, immutability) and see the robots.
	RoleMaintainer Role = "maintainer"
	// RoleProjectAdmin can do everything in the project: members, robot
	// accounts, settings, and deleting the project.
	RoleProjectAdmin Role = "projectAdmin"
)

// roles lists the roles weakest first; a role's index is its rank and its
// column in roleTable.
var roles = [...]Role{RoleLimitedGuest, RoleGuest, RoleDeveloper, RoleMaintainer, RoleProjectAdmin}

// roleTable is the single source of truth for what each role may do in its
// project. Actions absent from it (system-scoped ones) no role grants. The
// package documentation prints this table; TestDocRoleTable keeps the two in
// step.
var roleTable = map[Action][len(roles)]bool{
	//                    limitedGuest guest  developer maintainer projectAdmin
	ActionPull:          {true, true, true, true, true},
	ActionList:          {true, true, true, true, true},
	ActionRead:          {true, true, true, true, true},
	ActionProjectRead:   {true, true, true, true, true},
	ActionMemberRead:    {false, true, true, true, true},
	ActionAuditRead:     {false, true, true, true, true},
	ActionPush:          {false, false, true, true, true},
	ActionDelete:        {false, false, false, true, true},
	ActionWrite:         {false, false, false, true, true},
	ActionScan:          {false, false, false, true, true},
	ActionRobotRead:     {false, false, false, true, true},
	ActionProjectWrite:  {false, false, false, false, true},
	ActionProjectDelete: {false, false, false, false, true},
	ActionMemberWrite:   {false, false, false, false, true},
	ActionRobotWrite:    {false, false, false, false, true},
}

// Roles returns the project roles, weakest first.
func Roles() []Role { return roles[:] }

// rank returns the role's position in roles, or -1 for an unknown role.
func (r Role) rank() int {
	for i, x := range roles {
		if x == r {
			return i
		}
	}
	return -1
}

// Valid reports whether r is one of the five project roles.
func (r Role) Valid() bool { return r.rank() >= 0 }

// Can reports whether a member with role r may perform a in the project.
// An unknown role can do nothing.
func (r Role) Can(a Action) bool {
	i := r.rank()
	return i >= 0 && roleTable[a][i]
}

// MaxRole returns the stronger of two roles. An unknown role counts as no
// role at all, so MaxRole("", r) is r. Use it to merge a user's direct and
// group memberships in a project into Principal.Roles.
func MaxRole(a, b Role) Role {
	if b.rank() > a.rank() {
		return b
	}
	if a.rank() < 0 {
		return ""
	}
	return a
}

// harborIDs are Harbor's role_id values.
var harborIDs = map[Role]int{
	RoleProjectAdmin: 1,
	RoleDeveloper:    2,
	RoleGuest:        3,
	RoleMaintainer:   4,
	RoleLimitedGuest: 5,
}

// HarborID returns the role_id Harbor's API uses for r, or 0 for an unknown
// role.
func (r Role) HarborID() int { return harborIDs[r] }

// RoleFromHarborID returns the role for one of Harbor's role_id values.
func RoleFromHarborID(id int) (Role, bool) {
	for r, x := range harborIDs {
		if x == id {
			return r, true
		}
	}
	return "", false
}

// roleTableText renders roleTable as the package documentation prints it.
func roleTableText() string {
	var b strings.Builder
	line := func(first string, cells []string) {
		l := fmt.Sprintf("%-15s", first)
		for _, c := range cells {
			l += fmt.Sprintf(" %-13s", c)
		}
		b.WriteString(strings.TrimRight(l, " ") + "\n")
	}
	var head []string
	for _, r := range roles {
		head = append(head, string(r))
	}
	line("action", head)
	// Rows as a staircase: actions granted to more roles first.
	count := func(a Action) (n int) {
		for _, can := range roleTable[a] {
			if can {
				n++
			}
		}
		return n
	}
	var rows []Action
	for _, a := range Actions() {
		if _, ok := roleTable[a]; ok {
			rows = append(rows, a)
		}
	}
	slices.SortStableFunc(rows, func(a, b Action) int { return count(b) - count(a) })
	for _, a := range rows {
		row := roleTable[a]
		var cells []string
		for _, can := range row {
			if can {
				cells = append(cells, "x")
			} else {
				cells = append(cells, "-")
			}
		}
		line(string(a), cells)
	}
	return b.String()
}
