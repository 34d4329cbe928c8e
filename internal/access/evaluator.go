package access

import (
	"slices"
	"time"
)

// Options configures an Evaluator. The zero value is Harbor's behaviour
// with project creation restricted to system admins.
type Options struct {
	// DenyAnonymous refuses every anonymous request, public projects
	// included; authenticated callers still read public projects.
	DenyAnonymous bool
	// UsersCreateProjects lets every active user create projects (Harbor's
	// project_creation_restriction "everyone"). Otherwise only system admins
	// can. Robots never can.
	UsersCreateProjects bool
}

// Evaluator decides every access question. It holds no state beyond its
// Options and is safe for concurrent use; the zero value is ready to use with
// zero Options.
type Evaluator struct {
	opt Options
}

// New returns an Evaluator with the given options.
func New(opt Options) *Evaluator { return &Evaluator{opt: opt} }

// Allowed reports whether p may perform a on r at instant now. It is the one
// decision function for every registry and API request; everything it does
// not explicitly allow is denied:
//
//   - unknown actions, and principals that are disabled, expired, of an
//     unknown kind or robot level, or (for users and robots) nameless, are
//     denied everything;
//   - a resource whose Repository is not in its Project is denied to all;
//   - system admins may do everything else;
//   - system-scoped actions: ActionCatalog is allowed to active users and
//     robots, ActionProjectCreate to users when Options.UsersCreateProjects
//     is set; the rest are for system admins only;
//   - a Resource with an empty Project (every project) is for system admins;
//   - in a public project, pull, list, read and project.read are allowed to
//     every active principal: users, robots (whatever their project), and
//     anonymous callers unless Options.DenyAnonymous is set;
//   - a user may do what the role table grants their role in the project;
//   - a robot may do what its permissions list for the project, limited to
//     robot-grantable actions, its own project for project robots, and
//     never member, robot or system management.
func (e *Evaluator) Allowed(p Principal, a Action, r Resource, now time.Time) bool {
	info, known := actions[a]
	if !known || !p.active(now) || !r.valid() {
		return false
	}
	if p.admin(now) {
		return true
	}
	if info.system {
		return e.systemAllowed(p, a)
	}
	if r.Project == "" {
		return false
	}
	if r.Public && info.public && e.readsPublic(p) {
		return true
	}
	switch p.Kind {
	case KindUser:
		return p.Roles[r.Project].Can(a)
	case KindRobot:
		return p.robotCan(a, r.Project)
	}
	return false
}

// systemAllowed decides system-scoped actions for an active non-admin.
func (e *Evaluator) systemAllowed(p Principal, a Action) bool {
	switch a {
	case ActionCatalog:
		return p.Kind == KindUser || p.Kind == KindRobot
	case ActionProjectCreate:
		return p.Kind == KindUser && e.opt.UsersCreateProjects
	}
	return false
}

// readsPublic reports whether an active p may read public projects.
func (e *Evaluator) readsPublic(p Principal) bool {
	return p.Kind != KindAnonymous || !e.opt.DenyAnonymous
}

// CanMount reports whether p may mount a blob from the repository from into
// the repository to (POST /v2/<to>/blobs/uploads/?mount=...&from=<from>):
// it needs pull on the source and push on the target. When it is false the
// registry must fall back to a normal upload (202), never reveal the blob.
func (e *Evaluator) CanMount(p Principal, from, to Resource, now time.Time) bool {
	return e.Allowed(p, ActionPull, from, now) && e.Allowed(p, ActionPush, to, now)
}

// Pullable returns a predicate that reports whether p may pull the named
// repository, given whether its project is public. Use it to filter catalog
// pages as they are read; the predicate is cheap and safe for concurrent use.
func (e *Evaluator) Pullable(p Principal, now time.Time) func(repo string, public bool) bool {
	return func(repo string, public bool) bool {
		return e.Allowed(p, ActionPull, ForRepository(repo, public), now)
	}
}

// CatalogEntry is one repository offered to FilterCatalog.
type CatalogEntry struct {
	// Repository is the repository's full name.
	Repository string
	// Public says the repository's project is public.
	Public bool
}

// FilterCatalog returns, in their original order, the names of the entries
// p may pull. Whether p may list the catalog at all is ActionCatalog.
func (e *Evaluator) FilterCatalog(p Principal, entries []CatalogEntry, now time.Time) []string {
	ok := e.Pullable(p, now)
	var out []string
	for _, en := range entries {
		if ok(en.Repository, en.Public) {
			out = append(out, en.Repository)
		}
	}
	return out
}

// ProjectSet describes the projects in which a principal may perform one
// action, in a form a store can turn into a query:
// WHERE all OR (public AND project.public) OR project.name IN (names).
type ProjectSet struct {
	// All says every project, present and future.
	All bool
	// Public says every public project.
	Public bool
	// Names are further projects, sorted, without duplicates.
	Names []string
}

// Contains reports whether the set holds the named project of the given
// visibility.
func (s ProjectSet) Contains(project string, public bool) bool {
	if project == "" {
		return false
	}
	if s.All || (s.Public && public) {
		return true
	}
	_, found := slices.BinarySearch(s.Names, project)
	return found
}

// Projects returns the projects in which p may perform the project-scoped
// action a, such that Projects(p, a, now).Contains(name, public) equals
// Allowed(p, a, ForProject(name, public), now) for every project. It serves
// filtered listings: projects, repositories, the catalog. For a
// system-scoped action it returns the empty set.
func (e *Evaluator) Projects(p Principal, a Action, now time.Time) ProjectSet {
	info, known := actions[a]
	if !known || info.system || !p.active(now) {
		return ProjectSet{}
	}
	if p.admin(now) {
		return ProjectSet{All: true}
	}
	var s ProjectSet
	s.Public = info.public && e.readsPublic(p)
	switch p.Kind {
	case KindUser:
		for project, role := range p.Roles {
			if project != "" && role.Can(a) {
				s.Names = append(s.Names, project)
			}
		}
	case KindRobot:
		for _, perm := range p.Permissions {
			if perm.Project == AllProjects {
				if p.Level == RobotSystem && a.RobotGrantable() && slices.Contains(perm.Actions, a) {
					return ProjectSet{All: true}
				}
				continue
			}
			if p.robotCan(a, perm.Project) {
				s.Names = append(s.Names, perm.Project)
			}
		}
	}
	slices.Sort(s.Names)
	s.Names = slices.Compact(s.Names)
	return s
}
