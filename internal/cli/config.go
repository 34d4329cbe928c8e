package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/berth-oci/berth/internal/client"
)

// Environment variables the remote commands read.
const (
	envCLIConfig = "BERTH_CLI_CONFIG" // path of the credentials file
	envServer    = "BERTH_SERVER"     // server, instead of the last login's
	envUsername  = "BERTH_USERNAME"   // with BERTH_PASSWORD: credentials without a login
	envPassword  = "BERTH_PASSWORD"
)

// cliConfig is the credentials file: the servers logged in to and the one
// commands use by default. It holds secrets in clear text, so it is written
// with mode 0600 (as Docker's config.json is, without a credential helper).
type cliConfig struct {
	Current string                 `json:"current,omitempty"`
	Servers map[string]credentials `json:"servers,omitempty"`
}

// credentials are what a login stores for one server.
type credentials struct {
	Username string `json:"username"`
	Secret   string `json:"secret"` // password, robot secret or access token
}

// configPath returns where the credentials file lives: $BERTH_CLI_CONFIG,
// else $XDG_CONFIG_HOME/berth/cli.json, else ~/.config/berth/cli.json.
func (e *Env) configPath() (string, error) {
	if p := e.getenv(envCLIConfig); p != "" {
		return p, nil
	}
	if d := e.getenv("XDG_CONFIG_HOME"); d != "" {
		return filepath.Join(d, "berth", "cli.json"), nil
	}
	home := e.getenv("HOME")
	if home == "" {
		return "", fmt.Errorf("cannot find the credentials file: set %s or HOME", envCLIConfig)
	}
	return filepath.Join(home, ".config", "berth", "cli.json"), nil
}

// loadConfig reads the credentials file; a missing file is an empty config.
func loadConfig(path string) (cliConfig, error) {
	var c cliConfig
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// readConfig finds and reads the credentials file.
func (e *Env) readConfig() (path string, cfg cliConfig, err error) {
	if path, err = e.configPath(); err != nil {
		return "", cfg, err
	}
	cfg, err = loadConfig(path)
	return path, cfg, err
}

// saveConfig writes the credentials file atomically with mode 0600,
// creating its directory with mode 0700.
func saveConfig(path string, c cliConfig) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".cli-*.json")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(append(b, '\n'))
	cerr := f.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp, 0o600)); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}

// client returns an API client for the server named by --server,
// $BERTH_SERVER or the last login, authenticated with $BERTH_USERNAME and
// $BERTH_PASSWORD when both are set, else with the stored credentials of
// that server (anonymous if there are none).
func (c *cmd) client() (*client.Client, error) {
	_, cfg, err := c.readConfig()
	if err != nil {
		return nil, err
	}
	server := c.server
	if server == "" {
		server = c.getenv(envServer)
	}
	if server == "" {
		server = cfg.Current
	}
	if server == "" {
		return nil, fmt.Errorf("no server: run 'berth login SERVER', or use --server or %s", envServer)
	}
	u, err := client.ParseServer(server)
	if err != nil {
		return nil, err
	}
	creds := cfg.Servers[u.String()]
	if user, pass := c.getenv(envUsername), c.getenv(envPassword); user != "" && pass != "" {
		creds = credentials{Username: user, Secret: pass}
	}
	c.creds = creds
	return client.New(u.String(), creds.Username, creds.Secret, c.HTTPClient)
}

// connect parses args (see parse) and returns the API client (see client).
// ok is false when the caller should return code.
func (c *cmd) connect(args []string, minArgs, maxArgs int) (api *client.Client, pos []string, code int, ok bool) {
	pos, code, ok = c.parse(args, minArgs, maxArgs)
	if !ok {
		return nil, nil, code, false
	}
	api, err := c.client()
	if err != nil {
		return nil, nil, c.fail(err), false
	}
	return api, pos, exitOK, true
}
