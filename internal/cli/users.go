package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/berth-oci/berth/internal/auth/password"
	"github.com/berth-oci/berth/internal/client"
)

var userGroup = group{name: "user", summary: "manage user accounts", subs: []subcommand{
	{"list", "list users (system admins)", userList},
	{"create", "create a local user (system admins)", userCreate},
	{"delete", "delete a user (system admins)", userDelete},
	{"passwd", "change your password, or a user's (system admins)", userPasswd},
}}

// User is "berth user".
func User(ctx context.Context, e *Env, args []string) int { return userGroup.run(ctx, e, args) }

func userList(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("user list", "berth user list\n\nLists every user account (system admins only).", true)
	api, _, code, ok := c.connect(args, 0, 0)
	if !ok {
		return code
	}
	users, err := api.Users(ctx)
	if err != nil {
		return c.fail(err)
	}
	return c.show(users, func(t *table) {
		t.row("USERNAME", "ID", "EMAIL", "ADMIN", "CREATED")
		for _, u := range users {
			t.row(u.Username, strconv.FormatInt(u.UserID, 10), u.Email, yesNo(u.SysadminFlag), when(u.CreationTime))
		}
	})
}

const userCreateSynopsis = `berth user create USERNAME [--email E] [--realname N] [--admin] [--password-stdin]

Creates a local user (system admins only). The password is the first line
of standard input with --password-stdin; without it Berth generates one and
prints it once.`

func userCreate(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("user create", userCreateSynopsis, true)
	email := c.fs.String("email", "", "email address")
	realname := c.fs.String("realname", "", "full name")
	admin := c.fs.Bool("admin", false, "make the user a system admin")
	fromStdin := c.fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	pos, code, ok := c.parse(args, 1, 1)
	if !ok {
		return code
	}
	secret, generated, err := newPassword(e, *fromStdin)
	if err != nil {
		return c.fail(err)
	}
	api, err := c.client()
	if err != nil {
		return c.fail(err)
	}
	req := client.UserCreationReq{Username: pos[0], Email: *email, Realname: *realname, Password: secret}
	if err := api.CreateUser(ctx, req); err != nil {
		return c.fail(err)
	}
	u, err := api.UserByName(ctx, pos[0])
	if err != nil {
		return c.fail(fmt.Errorf("user %s created, but reading it back failed: %w", pos[0], err))
	}
	if *admin {
		if err := api.SetSysadmin(ctx, u.UserID, true); err != nil {
			return c.fail(fmt.Errorf("user %s created, but making it a system admin failed: %w", pos[0], err))
		}
		u.SysadminFlag = true
	}
	return c.showCreatedUser(u.Username, u.UserID, u.SysadminFlag, secret, generated)
}

// showCreatedUser reports a new user, with its password if Berth
// generated it.
func (c *cmd) showCreatedUser(username string, id int64, admin bool, secret string, generated bool) int {
	v := struct {
		Username string `json:"username"`
		UserID   int64  `json:"user_id"`
		Sysadmin bool   `json:"sysadmin_flag"`
		Password string `json:"password,omitempty"`
	}{username, id, admin, ""}
	if generated {
		v.Password = secret
	}
	if c.output == "json" {
		return c.show(v, nil)
	}
	role := ""
	if admin {
		role = ", system admin"
	}
	fmt.Fprintf(c.Stdout, "Created user %s (id %d%s).\n", username, id, role)
	if generated {
		printSecret(c.Stdout, "Password", secret)
	}
	return exitOK
}

// printSecret prints a generated secret on its own line, once.
func printSecret(w io.Writer, what, secret string) {
	fmt.Fprintf(w, "%s (shown only this once, store it now):\n\n    %s\n\n", what, secret)
}

// newPassword returns the password for a new account: the first line of
// standard input with fromStdin, else a generated one (generated true).
func newPassword(e *Env, fromStdin bool) (secret string, generated bool, err error) {
	if fromStdin {
		s, err := e.secretFromStdin()
		return s, false, err
	}
	return generatePassword(), true, nil
}

// generatePassword returns a random password that also meets Harbor's
// password rule (8-128 characters with an upper-case letter, a lower-case
// letter and a digit): 256 random bits, base64url-encoded.
func generatePassword() string {
	for {
		s := password.GenerateSecret()
		if strings.IndexFunc(s, unicode.IsUpper) >= 0 && strings.IndexFunc(s, unicode.IsLower) >= 0 &&
			strings.IndexFunc(s, unicode.IsDigit) >= 0 {
			return s
		}
	}
}

func userDelete(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("user delete", "berth user delete USERNAME\n\nDeletes a user with their memberships and tokens (system admins only).", true)
	api, pos, code, ok := c.connect(args, 1, 1)
	if !ok {
		return code
	}
	u, err := api.UserByName(ctx, pos[0])
	if err != nil {
		return c.fail(err)
	}
	if err := api.DeleteUser(ctx, u.UserID); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.Stdout, "Deleted user %s.\n", u.Username)
	return exitOK
}

const userPasswdSynopsis = `berth user passwd [USERNAME] [--password-stdin]

Changes your own password (the old one is the stored login secret, or
BERTH_PASSWORD), or, for system admins, USERNAME's. The new password is the
first line of standard input with --password-stdin, else it is asked for
twice on the terminal. Your stored credentials are updated.`

func userPasswd(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("user passwd", userPasswdSynopsis, true)
	fromStdin := c.fs.Bool("password-stdin", false, "read the new password from the first line of standard input")
	pos, code, ok := c.parse(args, 0, 1)
	if !ok {
		return code
	}
	var secret string
	var err error
	if *fromStdin {
		secret, err = e.secretFromStdin()
	} else if secret, err = e.promptSecret("New password: ", true); errors.Is(err, errNoTerminal) {
		err = fmt.Errorf("no new password: use --password-stdin (%w)", err)
	}
	if err != nil {
		return c.fail(err)
	}
	api, err := c.client()
	if err != nil {
		return c.fail(err)
	}
	self, err := api.CurrentUser(ctx)
	if err != nil && (len(pos) == 0 || client.StatusOf(err) == http.StatusUnauthorized) {
		return c.fail(err)
	}
	if len(pos) == 0 || pos[0] == self.Username {
		if err := api.ChangePassword(ctx, self.UserID, c.creds.Secret, secret); err != nil {
			return c.fail(err)
		}
		if err := c.updateStoredSecret(api.Server(), self.Username, secret); err != nil {
			return c.fail(fmt.Errorf("password changed, but updating the stored credentials failed: %w", err))
		}
		fmt.Fprintln(c.Stdout, "Password changed.")
		return exitOK
	}
	u, err := api.UserByName(ctx, pos[0])
	if err != nil {
		return c.fail(err)
	}
	if err := api.ChangePassword(ctx, u.UserID, "", secret); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.Stdout, "Password of %s changed.\n", u.Username)
	return exitOK
}

// updateStoredSecret replaces the stored secret of username on server, if
// the credentials file holds that login.
func (c *cmd) updateStoredSecret(server, username, secret string) error {
	path, cfg, err := c.readConfig()
	if err != nil {
		return err
	}
	cr, ok := cfg.Servers[server]
	if !ok || cr.Username != username {
		return nil
	}
	cr.Secret = secret
	cfg.Servers[server] = cr
	return saveConfig(path, cfg)
}
