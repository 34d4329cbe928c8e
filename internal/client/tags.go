package client

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// Selector is a repository or tag selector of an immutability rule.
type Selector struct {
	Kind       string `json:"kind"`
	Decoration string `json:"decoration"`
	Pattern    string `json:"pattern"`
}

// ImmutableRule is a project's tag immutability rule, in Harbor's shape.
type ImmutableRule struct {
	ID             int64                 `json:"id,omitempty"`
	Priority       int                   `json:"priority"`
	Disabled       bool                  `json:"disabled"`
	Action         string                `json:"action"`
	Template       string                `json:"template"`
	TagSelectors   []Selector            `json:"tag_selectors"`
	ScopeSelectors map[string][]Selector `json:"scope_selectors"`
}

// NewImmutableRule returns an enabled rule over the repositories that
// repoPattern matches (or, with excludeRepos, does not match) and the tags
// that tagPattern matches (or, with excludeTags, does not).
func NewImmutableRule(repoPattern string, excludeRepos bool, tagPattern string, excludeTags bool) ImmutableRule {
	repoDec, tagDec := "repoMatches", "matches"
	if excludeRepos {
		repoDec = "repoExcludes"
	}
	if excludeTags {
		tagDec = "excludes"
	}
	return ImmutableRule{Action: "immutable", Template: "immutable_template",
		TagSelectors:   []Selector{{Kind: "doublestar", Decoration: tagDec, Pattern: tagPattern}},
		ScopeSelectors: map[string][]Selector{"repository": {{Kind: "doublestar", Decoration: repoDec, Pattern: repoPattern}}}}
}

func rulesPath(project string) string { return "/projects/" + seg(project) + "/immutabletagrules" }

// ImmutableRules lists the immutability rules of project.
func (c *Client) ImmutableRules(ctx context.Context, project string) ([]ImmutableRule, error) {
	return list[ImmutableRule](ctx, c, request{path: rulesPath(project)})
}

// CreateImmutableRule adds rule to project.
func (c *Client) CreateImmutableRule(ctx context.Context, project string, rule ImmutableRule) error {
	_, err := c.do(ctx, request{method: http.MethodPost, path: rulesPath(project), body: rule}, nil)
	return err
}

// UpdateImmutableRule replaces rule rule.ID of project.
func (c *Client) UpdateImmutableRule(ctx context.Context, project string, rule ImmutableRule) error {
	path := rulesPath(project) + "/" + strconv.FormatInt(rule.ID, 10)
	_, err := c.do(ctx, request{method: http.MethodPut, path: path, body: rule}, nil)
	return err
}

// DeleteImmutableRule deletes rule id of project.
func (c *Client) DeleteImmutableRule(ctx context.Context, project string, id int64) error {
	path := rulesPath(project) + "/" + strconv.FormatInt(id, 10)
	_, err := c.do(ctx, request{method: http.MethodDelete, path: path}, nil)
	return err
}

// TagChange is one entry of a tag's history (Berth's extension).
type TagChange struct {
	ID         int64     `json:"id"`
	Operation  string    `json:"operation"` // create, move or delete
	Tag        string    `json:"tag"`
	OldDigest  string    `json:"old_digest,omitempty"`
	NewDigest  string    `json:"new_digest,omitempty"`
	Operator   string    `json:"operator"`
	ChangeTime time.Time `json:"change_time"`
}

func tagPath(project, repo, tag string) string {
	return repoPath(project, repo) + "/tags/" + seg(tag)
}

// TagHistory lists the changes of tag in repository repo of project inside
// the server's history window, newest first.
func (c *Client) TagHistory(ctx context.Context, project, repo, tag string) ([]TagChange, error) {
	return list[TagChange](ctx, c, request{path: tagPath(project, repo, tag) + "/history"})
}

// RestoreTag points tag at digest again, a digest it had inside the history
// window.
func (c *Client) RestoreTag(ctx context.Context, project, repo, tag, digest string) error {
	path := tagPath(project, repo, tag) + "/restore"
	_, err := c.do(ctx, request{method: http.MethodPost, path: path, body: map[string]string{"digest": digest}}, nil)
	return err
}
