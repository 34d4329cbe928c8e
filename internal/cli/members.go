package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/berth-oci/berth/internal/client"
)

var memberGroup = group{name: "member", summary: "manage project members", subs: []subcommand{
	{"list", "list the members of a project", memberList},
	{"add", "add a user to a project with a role", memberAdd},
	{"update", "change a member's role", memberUpdate},
	{"remove", "remove a member from a project", memberRemove},
}}

// Member is "berth member".
func Member(ctx context.Context, e *Env, args []string) int { return memberGroup.run(ctx, e, args) }

const rolesHelp = "ROLE is projectAdmin, maintainer, developer, guest or limitedGuest."

func memberList(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("member list", "berth member list PROJECT\n\nLists the members of PROJECT and their roles.", true)
	api, pos, code, ok := c.connect(args, 1, 1)
	if !ok {
		return code
	}
	ms, err := api.Members(ctx, pos[0])
	if err != nil {
		return c.fail(err)
	}
	return c.show(ms, func(t *table) {
		t.row("NAME", "ROLE", "TYPE", "MEMBER ID")
		for _, m := range ms {
			kind := "user"
			if m.EntityType == "g" {
				kind = "group"
			}
			role := m.RoleName
			if role == "" {
				role = client.RoleName(m.RoleID)
			}
			t.row(m.EntityName, role, kind, strconv.FormatInt(m.ID, 10))
		}
	})
}

// memberArgs parses PROJECT USERNAME ROLE.
func memberArgs(c *cmd, args []string) (project, user string, role int, code int, ok bool) {
	pos, code, ok := c.parse(args, 3, 3)
	if !ok {
		return "", "", 0, code, false
	}
	role, err := client.RoleID(pos[2])
	if err != nil {
		return "", "", 0, c.usageError("%v", err), false
	}
	return pos[0], pos[1], role, exitOK, true
}

func memberAdd(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("member add", "berth member add PROJECT USERNAME ROLE\n\nMakes USERNAME a member of PROJECT. "+rolesHelp, true)
	project, user, role, code, ok := memberArgs(c, args)
	if !ok {
		return code
	}
	api, err := c.client()
	if err != nil {
		return c.fail(err)
	}
	if err := api.AddMember(ctx, project, user, role); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.Stdout, "Added %s to %s as %s.\n", user, project, client.RoleName(role))
	return exitOK
}

func memberUpdate(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("member update", "berth member update PROJECT USERNAME ROLE\n\nChanges the role of USERNAME in PROJECT. "+rolesHelp, true)
	project, user, role, code, ok := memberArgs(c, args)
	if !ok {
		return code
	}
	api, err := c.client()
	if err != nil {
		return c.fail(err)
	}
	m, err := api.Member(ctx, project, user)
	if err != nil {
		return c.fail(err)
	}
	if err := api.UpdateMember(ctx, project, m.ID, role); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.Stdout, "%s is now %s in %s.\n", user, client.RoleName(role), project)
	return exitOK
}

func memberRemove(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("member remove", "berth member remove PROJECT USERNAME\n\nRemoves USERNAME from PROJECT.", true)
	api, pos, code, ok := c.connect(args, 2, 2)
	if !ok {
		return code
	}
	m, err := api.Member(ctx, pos[0], pos[1])
	if err != nil {
		return c.fail(err)
	}
	if err := api.RemoveMember(ctx, pos[0], m.ID); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.Stdout, "Removed %s from %s.\n", pos[1], pos[0])
	return exitOK
}
