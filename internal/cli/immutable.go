package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/internal/client"
)

var immutableGroup = group{name: "immutable", summary: "manage a project's tag immutability rules", subs: []subcommand{
	{"list", "list the rules of a project", immutableList},
	{"add", "add a rule", immutableAdd},
	{"enable", "enable a rule", immutableToggle(false)},
	{"disable", "disable a rule", immutableToggle(true)},
	{"delete", "delete a rule", immutableDelete},
}}

// Immutable is "berth immutable".
func Immutable(ctx context.Context, e *Env, args []string) int {
	return immutableGroup.run(ctx, e, args)
}

// selectorText shows a selector as "pattern" or "not pattern".
func selectorText(s []client.Selector) string {
	if len(s) == 0 {
		return ""
	}
	if strings.HasSuffix(strings.ToLower(s[0].Decoration), "excludes") {
		return "not " + s[0].Pattern
	}
	return s[0].Pattern
}

func immutableList(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("immutable list", "berth immutable list PROJECT\n\nLists the tag immutability rules of PROJECT.", true)
	api, pos, code, ok := c.connect(args, 1, 1)
	if !ok {
		return code
	}
	rules, err := api.ImmutableRules(ctx, pos[0])
	if err != nil {
		return c.fail(err)
	}
	return c.show(rules, func(t *table) {
		t.row("ID", "REPOSITORIES", "TAGS", "DISABLED")
		for _, r := range rules {
			t.row(strconv.FormatInt(r.ID, 10), selectorText(r.ScopeSelectors["repository"]), selectorText(r.TagSelectors), yesNo(r.Disabled))
		}
	})
}

const immutableAddSynopsis = `berth immutable add PROJECT --tags PATTERN [--repos PATTERN] [--exclude-tags] [--exclude-repos]

Adds a tag immutability rule to PROJECT: the tags it selects, in the
repositories it selects, can be pushed once and then never moved to another
digest or deleted. Patterns are doublestar patterns (** any, * any but /,
{a,b} either); repository patterns match the name without the project.`

func immutableAdd(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("immutable add", immutableAddSynopsis, true)
	tags := c.fs.String("tags", "", "tag pattern (required), e.g. 'v*' or '{release-*,prod}'")
	repos := c.fs.String("repos", "**", "repository pattern")
	exTags := c.fs.Bool("exclude-tags", false, "select the tags the pattern does not match")
	exRepos := c.fs.Bool("exclude-repos", false, "select the repositories the pattern does not match")
	api, pos, code, ok := c.connect(args, 1, 1)
	if !ok {
		return code
	}
	if *tags == "" {
		return c.usageError("--tags is required")
	}
	if err := api.CreateImmutableRule(ctx, pos[0], client.NewImmutableRule(*repos, *exRepos, *tags, *exTags)); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.Stdout, "Added an immutability rule to %s.\n", pos[0])
	return exitOK
}

// ruleArgs finds rule ID of PROJECT.
func ruleArgs(ctx context.Context, c *cmd, args []string) (api *client.Client, project string, rule client.ImmutableRule, code int, ok bool) {
	api, pos, code, ok := c.connect(args, 2, 2)
	if !ok {
		return nil, "", rule, code, false
	}
	id, err := strconv.ParseInt(pos[1], 10, 64)
	if err != nil {
		return nil, "", rule, c.usageError("rule id %q is not a number", pos[1]), false
	}
	rules, err := api.ImmutableRules(ctx, pos[0])
	if err != nil {
		return nil, "", rule, c.fail(err), false
	}
	for _, r := range rules {
		if r.ID == id {
			return api, pos[0], r, exitOK, true
		}
	}
	return nil, "", rule, c.fail(fmt.Errorf("project %s has no immutability rule %d", pos[0], id)), false
}

func immutableToggle(disable bool) func(ctx context.Context, e *Env, args []string) int {
	verb := "enable"
	if disable {
		verb = "disable"
	}
	return func(ctx context.Context, e *Env, args []string) int {
		c := e.newCmd("immutable "+verb, "berth immutable "+verb+" PROJECT ID\n\n"+strings.ToUpper(verb[:1])+verb[1:]+"s rule ID of PROJECT.", true)
		api, project, r, code, ok := ruleArgs(ctx, c, args)
		if !ok {
			return code
		}
		r.Disabled = disable
		if err := api.UpdateImmutableRule(ctx, project, r); err != nil {
			return c.fail(err)
		}
		fmt.Fprintf(c.Stdout, "Rule %d of %s is %sd.\n", r.ID, project, verb)
		return exitOK
	}
}

func immutableDelete(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("immutable delete", "berth immutable delete PROJECT ID\n\nDeletes rule ID of PROJECT.", true)
	api, pos, code, ok := c.connect(args, 2, 2)
	if !ok {
		return code
	}
	id, err := strconv.ParseInt(pos[1], 10, 64)
	if err != nil {
		return c.usageError("rule id %q is not a number", pos[1])
	}
	if err := api.DeleteImmutableRule(ctx, pos[0], id); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.Stdout, "Deleted rule %d of %s.\n", id, pos[0])
	return exitOK
}

func tagHistory(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("tag history", "berth tag history PROJECT/REPO:TAG\n\nLists the creations, moves and deletions of a tag inside the server's history window, newest first.", true)
	api, project, repo, tag, _, code, ok := c.connectTag(args, 1)
	if !ok {
		return code
	}
	changes, err := api.TagHistory(ctx, project, repo, tag)
	if err != nil {
		return c.fail(err)
	}
	return c.show(changes, func(t *table) {
		t.row("WHEN", "OPERATION", "FROM", "TO", "BY")
		for _, ch := range changes {
			t.row(when(ch.ChangeTime), ch.Operation, ch.OldDigest, ch.NewDigest, ch.Operator)
		}
	})
}

func tagRestore(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("tag restore", "berth tag restore PROJECT/REPO:TAG DIGEST\n\nPoints TAG at DIGEST again, a digest it had inside the server's history window (see berth tag history).", true)
	api, project, repo, tag, pos, code, ok := c.connectTag(args, 2)
	if !ok {
		return code
	}
	if err := api.RestoreTag(ctx, project, repo, tag, pos[1]); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.Stdout, "Restored %s/%s:%s to %s.\n", project, repo, tag, pos[1])
	return exitOK
}

// connectTag parses a PROJECT/REPO:TAG argument followed by n-1 more and
// returns the API client. ok is false when the caller should return code.
func (c *cmd) connectTag(args []string, n int) (api *client.Client, project, repo, tag string, pos []string, code int, ok bool) {
	pos, code, ok = c.parse(args, n, n)
	if !ok {
		return nil, "", "", "", nil, code, false
	}
	project, repo, tag, err := refArg(pos[0], ':', "TAG")
	if err != nil {
		return nil, "", "", "", nil, c.usageError("%v", err), false
	}
	if api, err = c.client(); err != nil {
		return nil, "", "", "", nil, c.fail(err), false
	}
	return api, project, repo, tag, pos, exitOK, true
}
