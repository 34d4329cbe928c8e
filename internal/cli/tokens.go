package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/berth-oci/berth/internal/client"
)

var tokenGroup = group{name: "token", summary: "manage your personal access tokens", subs: []subcommand{
	{"list", "list your personal access tokens", tokenList},
	{"create", "create a personal access token and print its secret", tokenCreate},
	{"revoke", "revoke a personal access token", tokenRevoke},
}}

// Token is "berth token".
func Token(ctx context.Context, e *Env, args []string) int { return tokenGroup.run(ctx, e, args) }

func tokenList(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("token list", "berth token list\n\nLists the personal access tokens of the logged-in user, revoked and expired ones too.", true)
	api, _, code, ok := c.connect(args, 0, 0)
	if !ok {
		return code
	}
	tokens, err := api.Tokens(ctx)
	if err != nil {
		return c.fail(err)
	}
	now := time.Now()
	return c.show(tokens, func(t *table) {
		t.row("NAME", "ID", "STATUS", "CREATED", "EXPIRES", "LAST USED")
		for _, tk := range tokens {
			t.row(tk.Name, strconv.FormatInt(tk.ID, 10), tokenStatus(tk, now), when(tk.CreationTime.Time),
				expiry(tk.ExpiresAt.Time), when(tk.LastUsedTime.Time))
		}
	})
}

// tokenStatus is "active", "revoked" or "expired". The server's Active
// decides; the others say why a token is not.
func tokenStatus(tk client.Token, now time.Time) string {
	switch {
	case !tk.RevokedTime.IsZero():
		return "revoked"
	case tk.Active:
		return "active"
	case !tk.ExpiresAt.IsZero() && !tk.ExpiresAt.After(now):
		return "expired"
	}
	return "inactive"
}

const tokenCreateSynopsis = `berth token create NAME [--expires-days N]

Creates a personal access token for the logged-in user and prints its
secret, once. The token is a password of that user: use it for docker,
crane, oras, helm or berth login, and revoke it with berth token revoke
when it is no longer needed. Robot accounts have no tokens.`

func tokenCreate(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("token create", tokenCreateSynopsis, true)
	days := c.fs.Int("expires-days", -1, "days until the token expires; -1 never")
	pos, code, ok := c.parse(args, 1, 1)
	if !ok {
		return code
	}
	if *days == 0 || *days < -1 {
		return c.usageError("--expires-days %d: want a positive number of days or -1", *days)
	}
	api, err := c.client()
	if err != nil {
		return c.fail(err)
	}
	tk, err := api.CreateToken(ctx, pos[0], max(*days, 0))
	if err != nil {
		return c.fail(err)
	}
	if c.output == "json" {
		return c.show(tk, nil)
	}
	fmt.Fprintf(c.Stdout, "Created token %s (id %d, expires %s).\n", tk.Name, tk.ID, expiry(tk.ExpiresAt.Time))
	printSecret(c.Stdout, "Secret", tk.Secret)
	printTokenUse(c.Stdout, api.Server(), c.creds.Username)
	return exitOK
}

// printTokenUse tells how to log in to server's registry with a new
// token of username.
func printTokenUse(w io.Writer, server, username string) {
	host := server
	if u, err := url.Parse(server); err == nil && u.Host != "" {
		host = u.Host
	}
	if username == "" {
		username = "USERNAME"
	}
	fmt.Fprintf(w, "Use it as the password of %s, e.g. with the secret on standard input:\n", username)
	for _, cmd := range []string{"docker login", "crane auth login", "oras login"} {
		fmt.Fprintf(w, "  %s %s -u %s --password-stdin\n", cmd, host, username)
	}
}

// findToken resolves NAME-or-ID among the caller's tokens: a number
// matching a token's id is that token, anything else a name.
func findToken(ctx context.Context, api *client.Client, arg string) (client.Token, error) {
	tokens, err := api.Tokens(ctx)
	if err != nil {
		return client.Token{}, err
	}
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil {
		for _, tk := range tokens {
			if tk.ID == id {
				return tk, nil
			}
		}
	}
	for _, tk := range tokens {
		if tk.Name == arg {
			return tk, nil
		}
	}
	return client.Token{}, &client.Error{Status: http.StatusNotFound, Code: "NOT_FOUND", Message: fmt.Sprintf("no token %q", arg)}
}

func tokenRevoke(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("token revoke", "berth token revoke NAME-or-ID\n\nRevokes one of your personal access tokens: it can no longer log in, and\nstays listed, revoked.", true)
	api, pos, code, ok := c.connect(args, 1, 1)
	if !ok {
		return code
	}
	tk, err := findToken(ctx, api, pos[0])
	if err != nil {
		return c.fail(err)
	}
	if !tk.RevokedTime.IsZero() {
		fmt.Fprintf(c.Stdout, "Token %s was already revoked on %s.\n", tk.Name, when(tk.RevokedTime.Time))
		return exitOK
	}
	if err := api.RevokeToken(ctx, tk.ID); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.Stdout, "Revoked token %s.\n", tk.Name)
	return exitOK
}
