package access

// Action is one kind of operation a request performs. Every registry and API
// route maps to exactly one Action (a few, such as a cross-repository mount,
// to two checks; see Evaluator.CanMount). Unknown actions are always denied.
//
// Project-scoped actions are checked against a Resource naming a project
// (and, for repository content, a repository). System-scoped actions ignore
// the Resource.
type Action string

// Project-scoped actions on repository content.
const (
	// ActionPull downloads manifests and blobs; on /v2/ it also covers HEAD
	// requests, the tags list and the referrers API, which reveal no more than
	// a pull does, and the source side of a cross-repository mount.
	ActionPull Action = "pull"
	// ActionPush uploads blobs and manifests (creating or moving tags by push)
	// and is the target side of a cross-repository mount.
	ActionPush Action = "push"
	// ActionDelete deletes manifests, tags, artifacts and whole repositories,
	// through /v2/ or the API.
	ActionDelete Action = "delete"
	// ActionList lists the repositories of a project and the artifacts and
	// tags of a repository in the management API.
	ActionList Action = "list"
	// ActionRead reads details through the management API: repository and
	// artifact details, build history, labels, scan reports, and the
	// project's policies (retention, immutability).
	ActionRead Action = "read"
	// ActionWrite changes repository content metadata and policies through
	// the management API: repository descriptions, tags created or removed
	// through the API, labels, tag retention and tag immutability rules.
	ActionWrite Action = "write"
	// ActionScan starts or stops a vulnerability scan of an artifact.
	ActionScan Action = "scan"
)

// Project-scoped actions on the project itself.
const (
	// ActionProjectRead reads the project's own record (name, public flag,
	// quota usage). Listing projects is a filter, see Evaluator.Projects.
	ActionProjectRead Action = "project.read"
	// ActionProjectWrite changes project settings: the public flag and other
	// metadata. Quotas are system settings (ActionSystemWrite).
	ActionProjectWrite Action = "project.write"
	// ActionProjectDelete deletes the (empty) project.
	ActionProjectDelete Action = "project.delete"
	// ActionMemberRead lists the project's members and their roles.
	ActionMemberRead Action = "member.read"
	// ActionMemberWrite adds, changes and removes project members.
	ActionMemberWrite Action = "member.write"
	// ActionRobotRead lists the project's robot accounts (never their secrets).
	ActionRobotRead Action = "robot.read"
	// ActionRobotWrite creates, changes, disables, deletes and refreshes the
	// secrets of the project's robot accounts.
	ActionRobotWrite Action = "robot.write"
	// ActionAuditRead reads the project's audit log. With an empty Resource
	// (every project) it reads the whole audit log: system admins only.
	ActionAuditRead Action = "audit.read"
)

// System-scoped actions. The Resource is ignored.
const (
	// ActionCatalog lists repositories across projects (/v2/_catalog and the
	// API's repository search). It is granted to every authenticated,
	// active principal; the listing itself is filtered (Evaluator.Pullable),
	// so it never shows a repository the caller cannot pull.
	ActionCatalog Action = "catalog"
	// ActionProjectCreate creates a project: system admins, and users when
	// Options.UsersCreateProjects is set. Never robots.
	ActionProjectCreate Action = "project.create"
	// ActionUserRead lists and reads user accounts other than one's own.
	ActionUserRead Action = "user.read"
	// ActionUserWrite creates, changes, disables and deletes users and sets
	// the system admin flag; it also manages system-level robot accounts.
	ActionUserWrite Action = "user.write"
	// ActionSystemRead reads system configuration, quotas, statistics and
	// job (GC, replication, scan) status.
	ActionSystemRead Action = "system.read"
	// ActionSystemWrite changes system configuration and quotas and starts
	// system jobs such as garbage collection.
	ActionSystemWrite Action = "system.write"
)

// actionInfo says where an action applies.
type actionInfo struct {
	system bool // system-scoped: the Resource is ignored
	public bool // allowed on public projects to anyone active
	robot  bool // may be granted to a robot account
}

// actions is the set of known actions. Role grants are in roleTable.
var actions = map[Action]actionInfo{
	ActionPull:          {public: true, robot: true},
	ActionPush:          {robot: true},
	ActionDelete:        {robot: true},
	ActionList:          {public: true, robot: true},
	ActionRead:          {public: true, robot: true},
	ActionWrite:         {robot: true},
	ActionScan:          {robot: true},
	ActionProjectRead:   {public: true, robot: true},
	ActionProjectWrite:  {},
	ActionProjectDelete: {},
	ActionMemberRead:    {},
	ActionMemberWrite:   {},
	ActionRobotRead:     {},
	ActionRobotWrite:    {},
	ActionAuditRead:     {},
	ActionCatalog:       {system: true},
	ActionProjectCreate: {system: true},
	ActionUserRead:      {system: true},
	ActionUserWrite:     {system: true},
	ActionSystemRead:    {system: true},
	ActionSystemWrite:   {system: true},
}

// Actions returns every known action, project-scoped ones first, in a fixed
// order.
func Actions() []Action {
	return []Action{
		ActionPull, ActionPush, ActionDelete, ActionList, ActionRead, ActionWrite, ActionScan,
		ActionProjectRead, ActionProjectWrite, ActionProjectDelete,
		ActionMemberRead, ActionMemberWrite, ActionRobotRead, ActionRobotWrite, ActionAuditRead,
		ActionCatalog, ActionProjectCreate, ActionUserRead, ActionUserWrite,
		ActionSystemRead, ActionSystemWrite,
	}
}

// Valid reports whether a is a known action.
func (a Action) Valid() bool {
	_, ok := actions[a]
	return ok
}

// System reports whether a is system-scoped (its Resource is ignored).
func (a Action) System() bool { return actions[a].system }

// RobotGrantable reports whether a may appear in a robot account's
// permissions: pull, push, delete, list, read, write, scan and project.read.
// Member, robot, project write/delete, audit and system actions never can
// ("a robot can never create robots or change members"); Evaluator.Allowed
// ignores them in a robot's permissions, and the API should refuse to store
// them.
func (a Action) RobotGrantable() bool { return actions[a].robot }
