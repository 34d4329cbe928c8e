package client

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Repository is a repository as the API returns it. Name includes the
// project ("library/nginx").
type Repository struct {
	ID            int64     `json:"id"`
	ProjectID     int64     `json:"project_id"`
	Name          string    `json:"name"`
	Description   string    `json:"description,omitempty"`
	ArtifactCount int64     `json:"artifact_count"`
	PullCount     int64     `json:"pull_count"`
	CreationTime  time.Time `json:"creation_time"`
	UpdateTime    time.Time `json:"update_time"`
}

// Artifact is an artifact (a manifest or index) with its tags.
type Artifact struct {
	ID                int64             `json:"id"`
	Type              string            `json:"type"`
	MediaType         string            `json:"media_type"`
	ManifestMediaType string            `json:"manifest_media_type"`
	ArtifactType      string            `json:"artifact_type,omitempty"`
	ProjectID         int64             `json:"project_id"`
	RepositoryID      int64             `json:"repository_id"`
	RepositoryName    string            `json:"repository_name,omitempty"`
	Digest            string            `json:"digest"`
	Size              int64             `json:"size"`
	PushTime          time.Time         `json:"push_time"`
	PullTime          time.Time         `json:"pull_time"`
	Annotations       map[string]string `json:"annotations,omitempty"`
	Tags              []Tag             `json:"tags"`
}

// Tag is a tag of an artifact.
type Tag struct {
	ID           int64     `json:"id"`
	RepositoryID int64     `json:"repository_id"`
	ArtifactID   int64     `json:"artifact_id"`
	Name         string    `json:"name"`
	PushTime     time.Time `json:"push_time"`
	PullTime     time.Time `json:"pull_time"`
	Immutable    bool      `json:"immutable"`
}

// repoPath is the API path of repository repo (without its project) in
// project.
func repoPath(project, repo string) string {
	return "/projects/" + seg(project) + "/repositories/" + repoSeg(repo)
}

// SplitRepository splits a full repository name "project/name/..." into
// the project and the rest, as the API's paths want them.
func SplitRepository(full string) (project, repo string, ok bool) {
	project, repo, ok = strings.Cut(full, "/")
	return project, repo, ok && project != "" && repo != ""
}

// Repositories lists the repositories of project.
func (c *Client) Repositories(ctx context.Context, project string) ([]Repository, error) {
	return list[Repository](ctx, c, request{path: "/projects/" + seg(project) + "/repositories"})
}

// Artifacts lists the artifacts of repository repo of project, with their
// tags.
func (c *Client) Artifacts(ctx context.Context, project, repo string) ([]Artifact, error) {
	q := url.Values{"with_tag": {"true"}}
	return list[Artifact](ctx, c, request{path: repoPath(project, repo) + "/artifacts", query: q})
}

// Tags lists the tags of repository repo of project, across its artifacts,
// with the digest each points at.
func (c *Client) Tags(ctx context.Context, project, repo string) ([]TagRef, error) {
	arts, err := c.Artifacts(ctx, project, repo)
	if err != nil {
		return nil, err
	}
	var out []TagRef
	for _, a := range arts {
		for _, t := range a.Tags {
			out = append(out, TagRef{Tag: t, Digest: a.Digest})
		}
	}
	return out, nil
}

// tagReq is the body that creates a tag.
type tagReq struct {
	Name string `json:"name"`
}

// TagRef is a tag with the digest of the artifact it points at.
type TagRef struct {
	Tag
	Digest string `json:"digest"`
}

// CreateTag points tag at the artifact reference (a digest or a tag) of
// repository repo of project.
func (c *Client) CreateTag(ctx context.Context, project, repo, reference, tag string) error {
	path := repoPath(project, repo) + "/artifacts/" + seg(reference) + "/tags"
	_, err := c.do(ctx, request{method: http.MethodPost, path: path, body: tagReq{Name: tag}}, nil)
	return err
}

// DeleteTag removes tag from repository repo of project; the artifact
// stays.
func (c *Client) DeleteTag(ctx context.Context, project, repo, tag string) error {
	// Harbor addresses a tag under its artifact; the tag itself is a valid
	// reference to that artifact.
	path := repoPath(project, repo) + "/artifacts/" + seg(tag) + "/tags/" + seg(tag)
	_, err := c.do(ctx, request{method: http.MethodDelete, path: path}, nil)
	return err
}
