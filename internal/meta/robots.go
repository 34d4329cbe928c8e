package meta

import (
	"context"
	"time"
)

// RobotLevel says whether a robot account belongs to the system or to one
// project.
type RobotLevel string

// Robot levels.
const (
	RobotSystem  RobotLevel = "system"  // may hold permissions on several projects, or "*"
	RobotProject RobotLevel = "project" // belongs to Robot.ProjectID and dies with it
)

// AllProjects is the RobotPermission.Project that covers every project.
const AllProjects = "*"

// RobotPermission grants Actions on one project (by name) or on all
// (AllProjects). Actions are opaque to the store ("pull", "push", "delete",
// "list", or Harbor's "resource:action" pairs): the access package gives
// them meaning. Permissions naming a project are deleted with it, so that a
// project re-created under the same name does not inherit them.
type RobotPermission struct {
	Project string
	Actions []string
}

// Robot is a robot account: a non-human principal with explicit
// permissions and a secret that is shown once and stored hashed.
type Robot struct {
	ID          int64
	Name        string // unique, full name with its prefix: "robot$ci" or "robot$proj+ci"
	Level       RobotLevel
	ProjectID   int64  // the owning project for RobotProject; 0 for RobotSystem
	ProjectName string // filled on reads: the name of ProjectID, "" for RobotSystem
	SecretHash  string
	Description string
	Disabled    bool
	ExpiresAt   time.Time // zero: never expires
	CreatedBy   string    // username of the creator (kept if that user is deleted)
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Permissions are stored with the robot, one per project, and come back
	// ordered by project name.
	Permissions []RobotPermission
}

// RobotFilter narrows ListRobots and CountRobots; zero fields do not filter.
type RobotFilter struct {
	Level     RobotLevel
	ProjectID int64 // robots of one project (level project)
	// ProjectIDs, when not nil, keeps the robots of any of these projects
	// (an empty, non-nil slice keeps none; system robots belong to none).
	ProjectIDs   []int64
	NameContains string // case-sensitive substring of the full name
}

// Robots holds robot accounts and their permissions.
type Robots interface {
	// CreateRobot stores r with its permissions in one transaction (ID and
	// timestamps set by the store) and returns it. ErrConflict if the name
	// is taken or two permissions name the same project; ErrNotFound if
	// r.ProjectID names no project; ErrInvalid for an empty name, an unknown
	// level, a project robot without a project or a system robot with one.
	CreateRobot(ctx context.Context, r Robot) (Robot, error)
	// GetRobot returns robot id with its permissions, or ErrNotFound.
	GetRobot(ctx context.Context, id int64) (Robot, error)
	// GetRobotByName returns the robot called name with its permissions, or
	// ErrNotFound.
	GetRobotByName(ctx context.Context, name string) (Robot, error)
	// UpdateRobot saves Description, Disabled, ExpiresAt and Permissions
	// (replaced as a whole) of robot r.ID and returns the stored record.
	// ErrNotFound if there is no such robot; ErrConflict for a repeated
	// permission project.
	UpdateRobot(ctx context.Context, r Robot) (Robot, error)
	// SetRobotSecret replaces the secret hash of robot id (refresh secret).
	// ErrNotFound if there is no such robot.
	SetRobotSecret(ctx context.Context, id int64, hash string) error
	// DeleteRobot deletes robot id and its permissions. ErrNotFound if there
	// is no such robot.
	DeleteRobot(ctx context.Context, id int64) error
	// ListRobots lists the robots matching f, with their permissions, in
	// name (byte) order.
	ListRobots(ctx context.Context, f RobotFilter, w Window) ([]Robot, error)
	// CountRobots counts the robots matching f.
	CountRobots(ctx context.Context, f RobotFilter) (int64, error)
}
