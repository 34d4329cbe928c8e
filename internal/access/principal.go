package access

import (
	"strings"
	"time"
)

// Kind says what sort of caller a Principal is.
type Kind int

// The kinds of principal. The zero value is anonymous, so a zero Principal
// is the least privileged caller there is.
const (
	// KindAnonymous is a caller who presented no credentials.
	KindAnonymous Kind = iota
	// KindUser is an authenticated person (local, htpasswd, LDAP or OIDC).
	KindUser
	// KindRobot is an authenticated robot account.
	KindRobot
)

// String returns "anonymous", "user" or "robot".
func (k Kind) String() string {
	switch k {
	case KindAnonymous:
		return "anonymous"
	case KindUser:
		return "user"
	case KindRobot:
		return "robot"
	}
	return "invalid"
}

// RobotLevel says whether a robot account belongs to the system or to one
// project.
type RobotLevel string

// The robot account levels, as Harbor's API names them.
const (
	// RobotSystem robots are created by system admins and may hold
	// permissions on any project, or on all projects ("*").
	RobotSystem RobotLevel = "system"
	// RobotProject robots belong to Principal.Project and can never act
	// beyond it, whatever their permissions say.
	RobotProject RobotLevel = "project"
)

// AllProjects is the RobotPermission.Project value that covers every
// project, present and future. Only system robots may use it.
const AllProjects = "*"

// RobotPermission grants a robot account some actions in a project.
type RobotPermission struct {
	// Project is a project name, or AllProjects.
	Project string
	// Actions are the actions granted; only RobotGrantable ones count.
	Actions []Action
}

// Principal is the caller of a request, as authentication established it.
// The access package trusts these fields; internal/auth fills them in.
type Principal struct {
	// Kind is anonymous, user or robot.
	Kind Kind
	// Name is the user or robot name ("robot$..."); empty for anonymous.
	// A user or robot without a name is denied everything.
	Name string
	// SystemAdmin marks a user who may do everything. It is ignored for
	// robots and anonymous callers.
	SystemAdmin bool
	// Disabled principals may do nothing.
	Disabled bool
	// ExpiresAt, when not zero, is the instant from which the principal may
	// do nothing (robot expiry; also usable for users' tokens).
	ExpiresAt time.Time

	// Roles maps project names to the user's role there, direct and through
	// groups merged with MaxRole. Ignored unless Kind is KindUser.
	Roles map[string]Role

	// Level is the robot's level. A robot of any other level is denied
	// everything. Ignored unless Kind is KindRobot.
	Level RobotLevel
	// Project is the project a project-level robot belongs to.
	Project string
	// Permissions are the robot's grants. Ignored unless Kind is KindRobot.
	Permissions []RobotPermission
}

// Anonymous returns the principal of a caller without credentials.
func Anonymous() Principal { return Principal{} }

// active reports whether p may do anything at all at instant now.
func (p Principal) active(now time.Time) bool {
	if p.Disabled || (!p.ExpiresAt.IsZero() && !now.Before(p.ExpiresAt)) {
		return false
	}
	switch p.Kind {
	case KindAnonymous:
		return true
	case KindUser:
		return p.Name != ""
	case KindRobot:
		return p.Name != "" && (p.Level == RobotSystem || (p.Level == RobotProject && p.Project != ""))
	}
	return false
}

// admin reports whether p is an active system admin.
func (p Principal) admin(now time.Time) bool {
	return p.Kind == KindUser && p.SystemAdmin && p.active(now)
}

// IsSystemAdmin reports whether p is an active system admin at instant
// now: the callers allowed to see what does not exist yet (a repository
// of a missing project) and what belongs to no project.
func (p Principal) IsSystemAdmin(now time.Time) bool { return p.admin(now) }

// robotCan reports whether robot p's permissions grant a in project.
func (p Principal) robotCan(a Action, project string) bool {
	if !a.RobotGrantable() || project == "" {
		return false
	}
	if p.Level == RobotProject && project != p.Project {
		return false
	}
	for _, perm := range p.Permissions {
		switch {
		case perm.Project == project:
		case perm.Project == AllProjects && p.Level == RobotSystem:
		default:
			continue
		}
		for _, x := range perm.Actions {
			if x == a {
				return true
			}
		}
	}
	return false
}

// Resource is what an action applies to: a project, or a repository in it.
// System-scoped actions ignore it.
type Resource struct {
	// Project is the project's name. Empty means "every project", which only
	// system admins may act on (a system-wide audit log, say).
	Project string
	// Repository is the repository's full name ("team/app/api"), or empty for
	// the project itself. Its first path component must be Project, or the
	// request is denied: build resources with ForRepository.
	Repository string
	// Public says the project is public.
	Public bool
}

// ForRepository returns the Resource of a repository in a project with the
// given visibility. The project is the repository name's first path
// component; a name without one gives a Resource every check denies.
func ForRepository(repo string, public bool) Resource {
	return Resource{Project: ProjectOf(repo), Repository: repo, Public: public}
}

// ForProject returns the Resource of a project itself.
func ForProject(project string, public bool) Resource {
	return Resource{Project: project, Public: public}
}

// ProjectOf returns the project of a repository: the first path component of
// its name ("library/nginx" -> "library", "team/app/api" -> "team"). A name
// with a single component, or an empty first component, has no project and
// gives "".
func ProjectOf(repo string) string {
	project, rest, ok := strings.Cut(repo, "/")
	if !ok || rest == "" {
		return ""
	}
	return project
}

// valid reports whether r names a project consistently.
func (r Resource) valid() bool {
	if r.Repository == "" {
		return true
	}
	project := ProjectOf(r.Repository)
	return project != "" && project == r.Project
}
