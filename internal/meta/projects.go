package meta

import (
	"context"
	"strings"
	"time"
)

// LibraryProject is the project created public on first start, as Harbor
// does, so that pushes like "library/nginx" have a home.
const LibraryProject = "library"

// ProjectOf returns the project a repository belongs to: the first path
// component of its name ("team" for "team/app/api"), or the whole name when
// it has no '/'. The store derives the same value in SQL; this is the one
// rule, so it must stay in step with migrations/*/00002.
func ProjectOf(repo string) string {
	if i := strings.IndexByte(repo, '/'); i >= 0 {
		return repo[:i]
	}
	return repo
}

// Project is a namespace of repositories with its own members, robots and
// (later) quota and policies. A repository belongs to the project named by
// the first component of its name (see ProjectOf); there is no stored link
// that could disagree with the name.
type Project struct {
	ID     int64
	Name   string // unique, immutable
	Public bool   // anonymous pull allowed
	// QuotaBytes is the storage limit in bytes; nil means none was set for
	// the project (the configured default applies). Enforced by issue 4.
	QuotaBytes *int64
	// Metadata holds Harbor's free-form project settings ("auto_scan",
	// "severity", ...); nil when there are none.
	Metadata  map[string]string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Window selects part of an ordered listing by offset, as the Harbor API's
// page and page_size do: Offset entries are skipped and at most Limit
// returned (all when Limit <= 0). Page p of size n is Window{(p-1)*n, n}.
type Window struct {
	Offset int
	Limit  int
}

// ProjectFilter narrows ListProjects and CountProjects; zero fields do not
// filter.
type ProjectFilter struct {
	Name         string // exact name
	NameContains string // substring of the name, case-sensitive
	Public       *bool  // only public (true) or private (false) projects
	// UserID, when non-zero, keeps the projects that user is a member of;
	// with IncludePublic, public projects too (what a non-admin user sees).
	UserID        int64
	IncludePublic bool
	// Names, when not nil, keeps only the named projects.
	Names []string
	// Scope, when set, keeps only the projects in it (what a caller may
	// read, as access.Evaluator.Projects describes it).
	Scope *ProjectScope
}

// Projects holds projects. Members and robots of a project are in Members
// and Robots.
type Projects interface {
	// CreateProject stores p (ID, CreatedAt and UpdatedAt are set by the
	// store) and returns it. ErrConflict if the name is taken, ErrInvalid if
	// the name is empty or contains '/'.
	CreateProject(ctx context.Context, p Project) (Project, error)
	// EnsureProject creates project name with the given visibility unless it
	// exists, and returns it with created reporting which. An existing
	// project is returned unchanged (its visibility is not touched), so it
	// is safe to call on every start and from concurrent replicas.
	// ErrInvalid as for CreateProject.
	EnsureProject(ctx context.Context, name string, public bool) (p Project, created bool, err error)
	// GetProject returns project id, or ErrNotFound.
	GetProject(ctx context.Context, id int64) (Project, error)
	// GetProjectByName returns the project called name, or ErrNotFound.
	GetProjectByName(ctx context.Context, name string) (Project, error)
	// UpdateProject saves Public, QuotaBytes and Metadata of project p.ID
	// (the name cannot change) and returns the stored record. ErrNotFound if
	// there is no such project.
	UpdateProject(ctx context.Context, p Project) (Project, error)
	// DeleteProject deletes project id with its members, its project-level
	// robots, the robot permissions naming it, and its repositories that
	// hold no manifest (with their blob links, leaving the blobs to garbage
	// collection). ErrConflict if any repository of the project still holds
	// a manifest; ErrNotFound if there is no such project.
	DeleteProject(ctx context.Context, id int64) error
	// ListProjects lists the projects matching f in name (byte) order.
	ListProjects(ctx context.Context, f ProjectFilter, w Window) ([]Project, error)
	// CountProjects counts the projects matching f (for X-Total-Count).
	CountProjects(ctx context.Context, f ProjectFilter) (int64, error)
}
