package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/berth-oci/berth/internal/client"
)

var projectGroup = group{name: "project", summary: "list, create and delete projects", subs: []subcommand{
	{"list", "list the projects you can see", projectList},
	{"create", "create a project", projectCreate},
	{"delete", "delete an empty project", projectDelete},
}}

// Project is "berth project".
func Project(ctx context.Context, e *Env, args []string) int { return projectGroup.run(ctx, e, args) }

func projectList(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("project list", "berth project list [--server S] [--output table|json]\n\nLists the projects the caller can see.", true)
	api, _, code, ok := c.connect(args, 0, 0)
	if !ok {
		return code
	}
	ps, err := api.Projects(ctx)
	if err != nil {
		return c.fail(err)
	}
	return c.show(ps, func(t *table) {
		t.row("NAME", "ID", "PUBLIC", "REPOSITORIES", "CREATED")
		for _, p := range ps {
			t.row(p.Name, strconv.FormatInt(p.ProjectID, 10), yesNo(p.Public()), strconv.FormatInt(p.RepoCount, 10), when(p.CreationTime))
		}
	})
}

func projectCreate(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("project create", "berth project create NAME [--public] [--storage-limit BYTES]\n\nCreates a project. Public projects allow anonymous pulls.", true)
	public := c.fs.Bool("public", false, "allow anonymous pulls")
	limit := c.fs.Int64("storage-limit", 0, "storage quota in bytes, -1 for unlimited (default: the server's default)")
	pos, code, ok := c.parse(args, 1, 1)
	if !ok {
		return code
	}
	req := client.ProjectReq{ProjectName: pos[0], Metadata: map[string]string{"public": strconv.FormatBool(*public)}}
	if c.given("storage-limit") {
		if *limit < -1 || *limit == 0 {
			return c.usageError("--storage-limit %d: want a positive number of bytes or -1", *limit)
		}
		req.StorageLimit = limit
	}
	api, err := c.client()
	if err != nil {
		return c.fail(err)
	}
	if err := api.CreateProject(ctx, req); err != nil {
		return c.fail(err)
	}
	p, err := api.Project(ctx, pos[0])
	if err != nil {
		return c.fail(err)
	}
	return c.show(p, func(t *table) {
		t.row("NAME", "ID", "PUBLIC")
		t.row(p.Name, strconv.FormatInt(p.ProjectID, 10), yesNo(p.Public()))
	})
}

func projectDelete(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("project delete", "berth project delete NAME\n\nDeletes a project. It must hold no repositories.", true)
	api, pos, code, ok := c.connect(args, 1, 1)
	if !ok {
		return code
	}
	if err := api.DeleteProject(ctx, pos[0]); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.Stdout, "Deleted project %s.\n", pos[0])
	return exitOK
}
