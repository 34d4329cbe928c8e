package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/berth-oci/berth/internal/auth/password"
	"github.com/berth-oci/berth/internal/meta"
)

// AdminStore is what the admin commands use of the metadata store.
type AdminStore interface {
	CreateUser(ctx context.Context, u meta.User) (meta.User, error)
	GetUserByName(ctx context.Context, username string) (meta.User, error)
	SetUserPassword(ctx context.Context, id int64, hash string) error
	ListUsers(ctx context.Context, f meta.UserFilter, w meta.Window) ([]meta.User, error)
	Close() error
}

// StoreFlags locate the store as berth serve's flags do: the YAML file and
// the data directory ("" when not given).
type StoreFlags struct {
	Config string
	Data   string
}

// OpenStore opens the metadata store from the configuration berth serve
// would use: the defaults, the YAML file (f.Config or BERTH_CONFIG), the
// BERTH_* variables read through getenv, then f.Data. internal/app provides
// it: only the composition root knows the configuration and the backends.
type OpenStore func(ctx context.Context, f StoreFlags, getenv func(string) string) (AdminStore, error)

// Admin returns "berth admin", whose subcommands open the store with open.
func Admin(open OpenStore) Func {
	a := admin{open: open}
	g := group{name: "admin", summary: "offline administration of the local store (the server may be stopped)", subs: []subcommand{
		{"create-user", "create a local user", a.createUser},
		{"reset-password", "set a new password for a local user", a.resetPassword},
		{"list-users", "list the users", a.listUsers},
	}}
	return g.run
}

type admin struct {
	open OpenStore
}

const adminStoreHelp = `It opens the metadata store directly, with the configuration berth serve
uses (--config or BERTH_CONFIG, BERTH_* variables, --data), so it works
while the server is stopped.`

// start parses args for an admin subcommand with the store flags and opens
// the store. ok is false when the caller should return code.
func (a admin) start(ctx context.Context, c *cmd, args []string, nargs int) (store AdminStore, pos []string, code int, ok bool) {
	var f StoreFlags
	c.fs.StringVar(&f.Config, "config", "", "YAML configuration file (env BERTH_CONFIG)")
	c.fs.StringVar(&f.Data, "data", "", "data directory (default \"berth-data\", env BERTH_DATA)")
	pos, code, ok = c.parse(args, nargs, nargs)
	if !ok {
		return nil, nil, code, false
	}
	store, err := a.open(ctx, f, c.getenv)
	if err != nil {
		return nil, nil, c.fail(fmt.Errorf("open the metadata store: %w", err)), false
	}
	return store, pos, exitOK, true
}

// closeStore closes store and folds a close error into the exit code.
func (c *cmd) closeStore(store AdminStore, code int) int {
	if err := store.Close(); err != nil && code == exitOK {
		return c.fail(fmt.Errorf("close the metadata store: %w", err))
	}
	return code
}

func (a admin) createUser(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("admin create-user", "berth admin create-user USERNAME [--admin] [--email E] [--password-stdin] [--config F] [--data D]\n\n"+
		"Creates a local user. The password is the first line of standard input with\n--password-stdin; without it Berth generates one and prints it once.\n"+adminStoreHelp, false)
	c.outputFlag()
	sysadmin := c.fs.Bool("admin", false, "make the user a system admin")
	email := c.fs.String("email", "", "email address")
	fromStdin := c.fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	store, pos, code, ok := a.start(ctx, c, args, 1)
	if !ok {
		return code
	}
	return c.closeStore(store, c.adminCreateUser(ctx, store, pos[0], *email, *sysadmin, *fromStdin))
}

func (c *cmd) adminCreateUser(ctx context.Context, store AdminStore, username, email string, sysadmin, fromStdin bool) int {
	secret, hash, generated, err := hashedPassword(c.Env, fromStdin)
	if err != nil {
		return c.fail(err)
	}
	u, err := store.CreateUser(ctx, meta.User{Username: username, Email: email, PasswordHash: hash,
		Sysadmin: sysadmin, Source: meta.SourceLocal})
	if errors.Is(err, meta.ErrConflict) {
		return c.fail(fmt.Errorf("user %q already exists (use berth admin reset-password to set its password)", username))
	}
	if err != nil {
		return c.fail(err)
	}
	return c.showCreatedUser(u.Username, u.ID, u.Sysadmin, secret, generated)
}

func (a admin) resetPassword(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("admin reset-password", "berth admin reset-password USERNAME [--password-stdin] [--config F] [--data D]\n\n"+
		"Sets a new password for a local user. The password is the first line of\nstandard input with --password-stdin; without it Berth generates one and\nprints it once.\n"+adminStoreHelp, false)
	fromStdin := c.fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	store, pos, code, ok := a.start(ctx, c, args, 1)
	if !ok {
		return code
	}
	return c.closeStore(store, c.adminResetPassword(ctx, store, pos[0], *fromStdin))
}

func (c *cmd) adminResetPassword(ctx context.Context, store AdminStore, username string, fromStdin bool) int {
	u, err := store.GetUserByName(ctx, username)
	if errors.Is(err, meta.ErrNotFound) {
		return c.fail(fmt.Errorf("no user %q", username))
	}
	if err != nil {
		return c.fail(err)
	}
	if u.Source != meta.SourceLocal {
		return c.fail(fmt.Errorf("user %q comes from %s: its password is not kept by Berth", username, u.Source))
	}
	secret, hash, generated, err := hashedPassword(c.Env, fromStdin)
	if err != nil {
		return c.fail(err)
	}
	if err := store.SetUserPassword(ctx, u.ID, hash); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.Stdout, "Password of %s reset.\n", u.Username)
	if generated {
		printSecret(c.Stdout, "Password", secret)
	}
	return exitOK
}

func (a admin) listUsers(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("admin list-users", "berth admin list-users [--output table|json] [--config F] [--data D]\n\nLists the users in the store.\n"+adminStoreHelp, false)
	c.outputFlag()
	store, _, code, ok := a.start(ctx, c, args, 0)
	if !ok {
		return code
	}
	return c.closeStore(store, c.adminListUsers(ctx, store))
}

// userJSON is a user as admin list-users --output json prints it (no
// password hash).
type userJSON struct {
	ID          int64  `json:"user_id"`
	Username    string `json:"username"`
	Email       string `json:"email,omitempty"`
	Sysadmin    bool   `json:"sysadmin_flag"`
	Disabled    bool   `json:"disabled"`
	Source      string `json:"source"`
	CreatedAt   string `json:"creation_time"`
	LastLoginAt string `json:"last_login_time,omitempty"`
}

func (c *cmd) adminListUsers(ctx context.Context, store AdminStore) int {
	users, err := store.ListUsers(ctx, meta.UserFilter{}, meta.Window{})
	if err != nil {
		return c.fail(err)
	}
	out := make([]userJSON, len(users))
	for i, u := range users {
		out[i] = userJSON{ID: u.ID, Username: u.Username, Email: u.Email, Sysadmin: u.Sysadmin,
			Disabled: u.Disabled, Source: string(u.Source), CreatedAt: u.CreatedAt.UTC().Format(timeJSON)}
		if !u.LastLoginAt.IsZero() {
			out[i].LastLoginAt = u.LastLoginAt.UTC().Format(timeJSON)
		}
	}
	return c.show(out, func(t *table) {
		t.row("USERNAME", "ID", "EMAIL", "ADMIN", "SOURCE", "DISABLED", "CREATED", "LAST LOGIN")
		for _, u := range users {
			t.row(u.Username, strconv.FormatInt(u.ID, 10), u.Email, yesNo(u.Sysadmin), string(u.Source),
				yesNo(u.Disabled), when(u.CreatedAt), when(u.LastLoginAt))
		}
	})
}

// timeJSON is the time format of JSON output, as Harbor's API writes it.
const timeJSON = "2006-01-02T15:04:05.000Z"

// hashedPassword is newPassword with the hash the store keeps.
func hashedPassword(e *Env, fromStdin bool) (secret, hash string, generated bool, err error) {
	if secret, generated, err = newPassword(e, fromStdin); err != nil {
		return "", "", false, err
	}
	hash, err = password.Hash(secret)
	return secret, hash, generated, err
}
