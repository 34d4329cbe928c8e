package cli

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-oci/berth/internal/client"
)

var robotGroup = group{name: "robot", summary: "manage robot accounts", subs: []subcommand{
	{"list", "list robot accounts", robotList},
	{"create", "create a robot account and print its secret", robotCreate},
	{"delete", "delete a robot account", robotDelete},
	{"refresh", "give a robot account a new secret and print it", robotRefresh},
}}

// Robot is "berth robot".
func Robot(ctx context.Context, e *Env, args []string) int { return robotGroup.run(ctx, e, args) }

// robotPerms maps the permission names of --perm to Harbor's
// resource/action pairs.
func robotPerms() map[string]client.Access {
	return map[string]client.Access{
		"pull":   {Resource: "repository", Action: "pull"},
		"push":   {Resource: "repository", Action: "push"},
		"delete": {Resource: "artifact", Action: "delete"},
		"list":   {Resource: "artifact", Action: "list"},
		"read":   {Resource: "artifact", Action: "read"},
		"write":  {Resource: "repository", Action: "update"},
		"scan":   {Resource: "scan", Action: "create"},
	}
}

// parsePerms parses a --perm list: names from robotPerms, or Harbor
// RESOURCE:ACTION pairs.
func parsePerms(list string) ([]client.Access, error) {
	known := robotPerms()
	var out []client.Access
	seen := map[client.Access]bool{}
	for p := range strings.SplitSeq(list, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		a, ok := known[p]
		if !ok {
			res, act, pair := strings.Cut(p, ":")
			if !pair || res == "" || act == "" {
				return nil, fmt.Errorf("unknown permission %q (want pull, push, delete, list, read, write, scan or RESOURCE:ACTION)", p)
			}
			a = client.Access{Resource: res, Action: act}
		}
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no permissions given")
	}
	return out, nil
}

const robotCreateSynopsis = `berth robot create NAME [--project P] [--perm pull,push,...] [--expires-days N] [--description D]

Creates a robot account and prints its secret, once. With --project the
robot belongs to project P (its full name is robot$P+NAME) and acts only
there; without, it is a system robot (robot$NAME, system admins only) with
the permissions on every project. --perm lists pull, push, delete, list,
read, write (tags and descriptions through the API), scan, or Harbor
RESOURCE:ACTION pairs.`

func robotCreate(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("robot create", robotCreateSynopsis, true)
	project := c.fs.String("project", "", "the project the robot belongs to (default: a system robot on all projects)")
	perm := c.fs.String("perm", "pull", "comma-separated permissions")
	days := c.fs.Int64("expires-days", -1, "days until the robot expires; -1 never")
	desc := c.fs.String("description", "", "description")
	pos, code, ok := c.parse(args, 1, 1)
	if !ok {
		return code
	}
	access, err := parsePerms(*perm)
	if err != nil {
		return c.usageError("--perm: %v", err)
	}
	if *days == 0 || *days < -1 {
		return c.usageError("--expires-days %d: want a positive number of days or -1", *days)
	}
	req := client.RobotCreate{Name: pos[0], Description: *desc, Level: client.LevelSystem, Duration: *days,
		Permissions: []client.RobotPermission{{Kind: "project", Namespace: "*", Access: access}}}
	if *project != "" {
		req.Level = client.LevelProject
		req.Permissions[0].Namespace = *project
	}
	api, err := c.client()
	if err != nil {
		return c.fail(err)
	}
	r, err := api.CreateRobot(ctx, req)
	if err != nil {
		return c.fail(err)
	}
	if c.output == "json" {
		return c.show(r, nil)
	}
	fmt.Fprintf(c.Stdout, "Created robot %s (id %d, expires %s).\n", r.Name, r.ID, unixWhen(r.ExpiresAt))
	printSecret(c.Stdout, "Secret", r.Secret)
	return exitOK
}

func robotList(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("robot list", "berth robot list [--project P]\n\nLists the robot accounts of project P, or every robot (system admins).", true)
	project := c.fs.String("project", "", "list the robots of this project")
	api, _, code, ok := c.connect(args, 0, 0)
	if !ok {
		return code
	}
	robots, err := projectRobots(ctx, api, *project)
	if err != nil {
		return c.fail(err)
	}
	return c.show(robots, func(t *table) {
		t.row("NAME", "ID", "LEVEL", "PERMISSIONS", "DISABLED", "EXPIRES", "DESCRIPTION")
		for _, r := range robots {
			t.row(r.Name, strconv.FormatInt(r.ID, 10), r.Level, permSummary(r.Permissions), yesNo(r.Disable), unixWhen(r.ExpiresAt), r.Description)
		}
	})
}

// projectRobots lists the robots of project, or all of them if project is
// empty.
func projectRobots(ctx context.Context, api *client.Client, project string) ([]client.Robot, error) {
	var id int64
	if project != "" {
		p, err := api.Project(ctx, project)
		if err != nil {
			return nil, err
		}
		id = p.ProjectID
	}
	return api.Robots(ctx, id)
}

// permSummary formats permissions as "proj:pull,push *:pull". The server
// lists every resource/action pair a permission grants; they are folded
// back into the names --perm takes.
func permSummary(perms []client.RobotPermission) string {
	parts := make([]string, 0, len(perms))
	for _, p := range perms {
		var names []string
		for _, a := range p.Access {
			n := permName(a)
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		parts = append(parts, p.Namespace+":"+strings.Join(names, ","))
	}
	return strings.Join(parts, " ")
}

// permName is the --perm name of a resource/action pair.
func permName(a client.Access) string {
	switch {
	case a.Resource == "scan":
		return "scan"
	case a.Resource == "repository" && a.Action == "update", a.Resource == "tag" && a.Action != "list":
		return "write"
	case slices.Contains([]string{"pull", "push", "delete", "list", "read"}, a.Action):
		return a.Action
	}
	return a.Resource + ":" + a.Action
}

// findRobot resolves NAME-or-ID: a number is an id; a name matches a
// robot's full name ("robot$proj+ci") or its short name ("ci"), among the
// robots of project if given.
func findRobot(ctx context.Context, api *client.Client, project, arg string) (client.Robot, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil && id > 0 {
		return api.Robot(ctx, id)
	}
	robots, err := projectRobots(ctx, api, project)
	if err != nil {
		return client.Robot{}, err
	}
	var found []client.Robot
	for _, r := range robots {
		if r.Name == arg || shortRobotName(r.Name) == arg {
			found = append(found, r)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return client.Robot{}, &client.Error{Status: http.StatusNotFound, Code: "NOT_FOUND", Message: fmt.Sprintf("no robot %q", arg)}
	}
	return client.Robot{}, fmt.Errorf("%d robots are called %q: give the full name, the id, or --project", len(found), arg)
}

// shortRobotName strips the "robot$" and "project+" prefixes of a robot's
// full name.
func shortRobotName(full string) string {
	if _, rest, ok := strings.Cut(full, "$"); ok {
		full = rest
	}
	if _, rest, ok := strings.Cut(full, "+"); ok {
		full = rest
	}
	return full
}

// connectRobot parses NAME-or-ID [--project P], returns the API client and
// finds the robot. ok is false when the caller should return code.
func (c *cmd) connectRobot(ctx context.Context, args []string) (api *client.Client, r client.Robot, code int, ok bool) {
	project := c.fs.String("project", "", "the project the robot belongs to")
	api, pos, code, ok := c.connect(args, 1, 1)
	if !ok {
		return nil, r, code, false
	}
	r, err := findRobot(ctx, api, *project, pos[0])
	if err != nil {
		return nil, r, c.fail(err), false
	}
	return api, r, exitOK, true
}

func robotDelete(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("robot delete", "berth robot delete NAME-or-ID [--project P]\n\nDeletes a robot account.", true)
	api, r, code, ok := c.connectRobot(ctx, args)
	if !ok {
		return code
	}
	if err := api.DeleteRobot(ctx, r.ID); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.Stdout, "Deleted robot %s.\n", r.Name)
	return exitOK
}

func robotRefresh(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("robot refresh", "berth robot refresh NAME-or-ID [--project P]\n\nGives a robot account a new secret and prints it, once. The old secret stops working.", true)
	api, r, code, ok := c.connectRobot(ctx, args)
	if !ok {
		return code
	}
	secret, err := api.RefreshRobotSecret(ctx, r.ID)
	if err != nil {
		return c.fail(err)
	}
	if c.output == "json" {
		return c.show(struct {
			ID     int64  `json:"id"`
			Name   string `json:"name"`
			Secret string `json:"secret"`
		}{r.ID, r.Name, secret}, nil)
	}
	fmt.Fprintf(c.Stdout, "New secret for robot %s.\n", r.Name)
	printSecret(c.Stdout, "Secret", secret)
	return exitOK
}
