package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/internal/client"
)

var repoGroup = group{name: "repo", summary: "list repositories", subs: []subcommand{
	{"list", "list the repositories of a project", repoList},
}}

var artifactGroup = group{name: "artifact", summary: "list artifacts", subs: []subcommand{
	{"list", "list the artifacts of a repository", artifactList},
}}

var tagGroup = group{name: "tag", summary: "list, create, delete and restore tags", subs: []subcommand{
	{"list", "list the tags of a repository", tagList},
	{"create", "point a new tag at an artifact", tagCreate},
	{"delete", "delete a tag (the artifact stays)", tagDelete},
	{"history", "show a tag's moves and deletions", tagHistory},
	{"restore", "point a tag at a digest from its history again", tagRestore},
}}

// Repo is "berth repo".
func Repo(ctx context.Context, e *Env, args []string) int { return repoGroup.run(ctx, e, args) }

// Artifact is "berth artifact".
func Artifact(ctx context.Context, e *Env, args []string) int { return artifactGroup.run(ctx, e, args) }

// Tag is "berth tag".
func Tag(ctx context.Context, e *Env, args []string) int { return tagGroup.run(ctx, e, args) }

func repoList(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("repo list", "berth repo list PROJECT\n\nLists the repositories of PROJECT.", true)
	api, pos, code, ok := c.connect(args, 1, 1)
	if !ok {
		return code
	}
	repos, err := api.Repositories(ctx, pos[0])
	if err != nil {
		return c.fail(err)
	}
	return c.show(repos, func(t *table) {
		t.row("NAME", "ARTIFACTS", "PULLS", "UPDATED")
		for _, r := range repos {
			t.row(r.Name, strconv.FormatInt(r.ArtifactCount, 10), strconv.FormatInt(r.PullCount, 10), when(r.UpdateTime))
		}
	})
}

// repoArg splits a PROJECT/REPO argument.
func repoArg(s string) (project, repo string, err error) {
	project, repo, ok := client.SplitRepository(s)
	if !ok {
		return "", "", fmt.Errorf("%q: want PROJECT/REPOSITORY", s)
	}
	return project, repo, nil
}

// connectRepo parses a PROJECT/REPO argument and returns the API client.
// ok is false when the caller should return code.
func (c *cmd) connectRepo(args []string) (api *client.Client, project, repo string, code int, ok bool) {
	pos, code, ok := c.parse(args, 1, 1)
	if !ok {
		return nil, "", "", code, false
	}
	project, repo, err := repoArg(pos[0])
	if err != nil {
		return nil, "", "", c.usageError("%v", err), false
	}
	if api, err = c.client(); err != nil {
		return nil, "", "", c.fail(err), false
	}
	return api, project, repo, exitOK, true
}

func artifactList(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("artifact list", "berth artifact list PROJECT/REPO\n\nLists the artifacts of a repository with their tags.", true)
	api, project, repo, code, ok := c.connectRepo(args)
	if !ok {
		return code
	}
	arts, err := api.Artifacts(ctx, project, repo)
	if err != nil {
		return c.fail(err)
	}
	return c.show(arts, func(t *table) {
		t.row("DIGEST", "TAGS", "TYPE", "SIZE", "PUSHED")
		for _, a := range arts {
			names := make([]string, len(a.Tags))
			for i, tg := range a.Tags {
				names[i] = tg.Name
			}
			t.row(shortDigest(a.Digest), strings.Join(names, ","), a.Type, size(a.Size), when(a.PushTime))
		}
	})
}

func tagList(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("tag list", "berth tag list PROJECT/REPO\n\nLists the tags of a repository and the artifacts they point at.", true)
	api, project, repo, code, ok := c.connectRepo(args)
	if !ok {
		return code
	}
	tags, err := api.Tags(ctx, project, repo)
	if err != nil {
		return c.fail(err)
	}
	return c.show(tags, func(t *table) {
		t.row("TAG", "DIGEST", "IMMUTABLE", "PUSHED")
		for _, tg := range tags {
			t.row(tg.Name, tg.Digest, yesNo(tg.Immutable), when(tg.PushTime))
		}
	})
}

// refArg splits PROJECT/REPO@REF or PROJECT/REPO:TAG (sep is '@' or ':').
// The separator is looked for after the last '/', so a registry port is
// never mistaken for a tag.
// what names the part after the separator in messages.
func refArg(s string, sep byte, what string) (project, repo, ref string, err error) {
	slash := strings.LastIndexByte(s, '/')
	i := strings.LastIndexByte(s, sep)
	if sep == '@' {
		i = strings.IndexByte(s, '@')
	}
	if i <= slash || i == len(s)-1 {
		return "", "", "", fmt.Errorf("%q: want PROJECT/REPOSITORY%c%s", s, sep, what)
	}
	project, repo, err = repoArg(s[:i])
	return project, repo, s[i+1:], err
}

func tagCreate(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("tag create", "berth tag create PROJECT/REPO@REF TAG\n\nPoints TAG at the artifact REF (a digest or an existing tag) of a repository.", true)
	pos, code, ok := c.parse(args, 2, 2)
	if !ok {
		return code
	}
	project, repo, ref, err := refArg(pos[0], '@', "REF")
	if err != nil {
		return c.usageError("%v", err)
	}
	api, err := c.client()
	if err != nil {
		return c.fail(err)
	}
	if err := api.CreateTag(ctx, project, repo, ref, pos[1]); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.Stdout, "Tagged %s/%s@%s as %s.\n", project, repo, ref, pos[1])
	return exitOK
}

func tagDelete(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("tag delete", "berth tag delete PROJECT/REPO:TAG\n\nDeletes a tag; the artifact it pointed at stays.", true)
	api, project, repo, tag, _, code, ok := c.connectTag(args, 1)
	if !ok {
		return code
	}
	if err := api.DeleteTag(ctx, project, repo, tag); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.Stdout, "Deleted tag %s of %s/%s.\n", tag, project, repo)
	return exitOK
}
