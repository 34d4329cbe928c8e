package client

import (
	"context"
	"net/http"
	"time"
)

// Project is a project as the API returns it.
type Project struct {
	ProjectID    int64             `json:"project_id"`
	Name         string            `json:"name"`
	OwnerID      int64             `json:"owner_id,omitempty"`
	OwnerName    string            `json:"owner_name,omitempty"`
	RepoCount    int64             `json:"repo_count"`
	Metadata     map[string]string `json:"metadata,omitempty"`
	CreationTime time.Time         `json:"creation_time"`
	UpdateTime   time.Time         `json:"update_time"`
	// CurrentUserRoleID is the caller's role in the project (0: none).
	CurrentUserRoleID int `json:"current_user_role_id,omitempty"`
}

// Public reports whether the project allows anonymous pulls.
func (p Project) Public() bool { return p.Metadata["public"] == "true" }

// ProjectReq creates a project.
type ProjectReq struct {
	ProjectName string            `json:"project_name"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	// StorageLimit is the quota in bytes; nil leaves the default, -1 is
	// unlimited.
	StorageLimit *int64 `json:"storage_limit,omitempty"`
}

// Projects lists the projects the caller can see.
func (c *Client) Projects(ctx context.Context) ([]Project, error) {
	return list[Project](ctx, c, request{path: "/projects"})
}

// Project returns the project called name.
func (c *Client) Project(ctx context.Context, name string) (Project, error) {
	var p Project
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/projects/" + seg(name)}, &p)
	return p, err
}

// CreateProject creates a project.
func (c *Client) CreateProject(ctx context.Context, req ProjectReq) error {
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/projects", body: req}, nil)
	return err
}

// DeleteProject deletes the project called name (it must be empty).
func (c *Client) DeleteProject(ctx context.Context, name string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/projects/" + seg(name)}, nil)
	return err
}
