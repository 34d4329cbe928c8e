// Package access decides what a caller may do. It is pure: no I/O, no
// clock (callers pass now), no state beyond an Evaluator's Options. Every
// registry (/v2/) and management API (/api/v2.0/) request is decided by one
// function, Evaluator.Allowed, and everything it does not explicitly allow is
// denied.
//
// # Model
//
// The model is Harbor's. Repositories live in projects; a repository's
// project is the first component of its name (ProjectOf: "library/nginx" is
// in "library", "team/app/api" in "team"). A project is public (anyone may
// pull from it) or private.
//
// A Principal is the caller as authentication established it: anonymous, a
// user or a robot account. Users may be system admins, who may do
// everything, and are members of projects with one Role each (direct and
// group memberships merged with MaxRole). Robot accounts are system-level or
// project-level and hold explicit RobotPermissions: actions per project, or
// on all projects ("*", system robots only). Disabled or expired principals
// may do nothing.
//
// An Action is one kind of operation; a Resource is the project (and
// repository) it applies to. System-scoped actions (catalog, project.create,
// user.*, system.*) ignore the Resource.
//
// # Roles
//
// This is the role table, the single source of truth for what members may do
// in their project (roleTable in role.go; a test checks that this copy
// matches it):
//
//	action          limitedGuest  guest         developer     maintainer    projectAdmin
//	pull            x             x             x             x             x
//	list            x             x             x             x             x
//	read            x             x             x             x             x
//	project.read    x             x             x             x             x
//	member.read     -             x             x             x             x
//	audit.read      -             x             x             x             x
//	push            -             -             x             x             x
//	delete          -             -             -             x             x
//	write           -             -             -             x             x
//	scan            -             -             -             x             x
//	robot.read      -             -             -             x             x
//	project.write   -             -             -             -             x
//	project.delete  -             -             -             -             x
//	member.write    -             -             -             -             x
//	robot.write     -             -             -             -             x
//
// Each role can do everything the role to its left can. Two deliberate
// differences from Harbor: developers cannot create tags or labels through
// the API or start scans (write and scan are maintainer actions here), and
// maintainers see the project's robot accounts but cannot change them.
//
// # Beyond the table
//
//   - Public projects: pull, list, read and project.read are allowed to every
//     active principal, non-members and robots of other projects included
//     (as in Harbor: a CI robot may pull public base images), and to
//     anonymous callers unless Options.DenyAnonymous is set.
//   - Robots may do only what their permissions list, and only
//     robot-grantable actions (pull, push, delete, list, read, write, scan,
//     project.read); never member, robot, project write/delete, audit or
//     system actions. A project robot never acts beyond its own project.
//   - The catalog (ActionCatalog) is open to every active user and robot, and
//     filtered so that it never lists a repository the caller cannot pull
//     (Evaluator.Pullable, FilterCatalog, or Projects to filter in a query).
//   - A cross-repository mount needs pull on the source and push on the
//     target (Evaluator.CanMount).
//
// # Tokens
//
// ParseScope and ParseScopes read the Docker Registry token spec's scopes
// ("repository:library/nginx:pull,push", "registry:catalog:*");
// Evaluator.Grant intersects the scopes a client asks for with what Allowed
// permits, giving the token's "access" claim; Permits checks a verified
// token's claim on each registry request.
package access
