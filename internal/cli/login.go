package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/berth-oci/berth/internal/client"
)

const loginSynopsis = `berth login [--username USER] [--password-stdin] SERVER

Checks the credentials against SERVER (http://host:port, https://host, or
host[:port]: https, or http for a loopback host) and stores them for the
other commands. The username comes from --username, else BERTH_USERNAME,
else a prompt; the password (or robot secret, or personal access token)
from the first line of standard input with --password-stdin, else
BERTH_PASSWORD, else a prompt without echo. Berth prompts only when standard
input is a terminal.

The credentials file is BERTH_CLI_CONFIG, else ~/.config/berth/cli.json. It
holds the secret in clear text and is written with mode 0600.`

// Login is "berth login": it verifies and stores credentials for a server.
func Login(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("login", loginSynopsis, false)
	username := c.fs.String("username", "", "user or robot name (default: env "+envUsername+", else a prompt)")
	c.fs.StringVar(username, "u", "", "short for --username")
	fromStdin := c.fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	pos, code, ok := c.parse(args, 1, 1)
	if !ok {
		return code
	}
	u, err := client.ParseServer(pos[0])
	if err != nil {
		return c.usageError("%v", err)
	}
	server := u.String()

	user := *username
	if user == "" {
		user = e.getenv(envUsername)
	}
	if user == "" {
		if user, err = e.prompt("Username: "); err != nil {
			return c.fail(fmt.Errorf("no username (use --username or %s): %w", envUsername, err))
		}
		user = strings.TrimSpace(user)
	}
	if user == "" {
		return c.fail(errors.New("empty username"))
	}
	var secret string
	switch {
	case *fromStdin:
		secret, err = e.secretFromStdin()
	case e.getenv(envPassword) != "":
		secret = e.getenv(envPassword)
	default:
		secret, err = e.promptSecret("Password: ", false)
		if errors.Is(err, errNoTerminal) {
			err = fmt.Errorf("no password: use --password-stdin or %s (%w)", envPassword, err)
		}
	}
	if err != nil {
		return c.fail(err)
	}

	api, err := client.New(server, user, secret, e.HTTPClient)
	if err != nil {
		return c.fail(err)
	}
	if err := verifyLogin(ctx, api); err != nil {
		return c.fail(fmt.Errorf("%s: %w", server, err))
	}

	path, cfg, err := e.readConfig()
	if err != nil {
		return c.fail(err)
	}
	if cfg.Servers == nil {
		cfg.Servers = map[string]credentials{}
	}
	cfg.Servers[server] = credentials{Username: user, Secret: secret}
	cfg.Current = server
	if err := saveConfig(path, cfg); err != nil {
		return c.fail(fmt.Errorf("save credentials: %w", err))
	}
	fmt.Fprintf(e.Stdout, "Logged in to %s as %s.\n", server, user)
	fmt.Fprintf(e.Stderr, "Credentials saved unencrypted in %s.\n", path)
	return exitOK
}

// verifyLogin checks the credentials with GET /users/current. A 403
// passes: the server authenticated the caller but it has no user record (a
// robot account); wrong credentials are a 401 on every route.
func verifyLogin(ctx context.Context, api *client.Client) error {
	_, err := api.CurrentUser(ctx)
	switch client.StatusOf(err) {
	case http.StatusForbidden:
		return nil
	case http.StatusUnauthorized:
		return fmt.Errorf("login failed: %w", err)
	}
	return err
}

const logoutSynopsis = `berth logout [SERVER]

Removes the stored credentials of SERVER (default: the server of the last
login).`

// Logout is "berth logout": it forgets a server's stored credentials.
func Logout(_ context.Context, e *Env, args []string) int {
	c := e.newCmd("logout", logoutSynopsis, false)
	pos, code, ok := c.parse(args, 0, 1)
	if !ok {
		return code
	}
	path, cfg, err := e.readConfig()
	if err != nil {
		return c.fail(err)
	}
	server := cfg.Current
	if len(pos) == 1 {
		u, err := client.ParseServer(pos[0])
		if err != nil {
			return c.usageError("%v", err)
		}
		server = u.String()
	}
	if _, ok := cfg.Servers[server]; server == "" || !ok {
		fmt.Fprintf(e.Stderr, "Not logged in to %s.\n", orNone(server))
		return exitOK
	}
	delete(cfg.Servers, server)
	if cfg.Current == server {
		cfg.Current = ""
	}
	if err := saveConfig(path, cfg); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(e.Stdout, "Removed the credentials of %s.\n", server)
	return exitOK
}

func orNone(s string) string {
	if s == "" {
		return "any server"
	}
	return s
}
