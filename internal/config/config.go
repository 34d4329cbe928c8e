// Package config holds Berth's typed configuration: defaults, YAML loading,
// environment overrides and validation. It has no behaviour beyond that.
//
// Precedence, lowest to highest: Default, the YAML file, environment
// variables (BERTH_*), then command-line flags, which the CLI applies to the
// Config that Load returns.
package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// Config is the whole configuration.
type Config struct {
	// DataDir is where the default storage root (<data_dir>/blobs) and SQLite
	// database (<data_dir>/berth.db) live. BERTH_DATA, --data.
	DataDir  string   `yaml:"data_dir"`
	HTTP     HTTP     `yaml:"http"`
	Storage  Storage  `yaml:"storage"`
	Database Database `yaml:"database"`
	Log      Log      `yaml:"log"`
	Registry Registry `yaml:"registry"`
	Auth     Auth     `yaml:"auth"`
	GC       GC       `yaml:"gc"`
}

// GC configures online garbage collection (package gc).
type GC struct {
	// GracePeriod protects what a push in flight has uploaded, mounted or
	// confirmed by HEAD: nothing touched more recently is collected.
	// BERTH_GC_GRACE_PERIOD; default 24h.
	GracePeriod time.Duration `yaml:"grace_period"`
	// Schedule is how often the server collects garbage: an interval such
	// as "24h", or "off". A schedule set through the API
	// (/api/v2.0/system/gc/schedule) replaces it. BERTH_GC_SCHEDULE;
	// default 24h.
	Schedule string `yaml:"schedule"`
	// DeleteUntagged makes scheduled runs collect untagged manifests too.
	DeleteUntagged bool `yaml:"delete_untagged"`
}

// HTTP configures the listener.
type HTTP struct {
	Addr              string        `yaml:"addr"`                // BERTH_ADDR, --addr; default ":5000"
	TLSCert           string        `yaml:"tls_cert"`            // BERTH_TLS_CERT
	TLSKey            string        `yaml:"tls_key"`             // BERTH_TLS_KEY
	ShutdownTimeout   time.Duration `yaml:"shutdown_timeout"`    // default 30s
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"` // default 30s
	IdleTimeout       time.Duration `yaml:"idle_timeout"`        // keep-alive idle connections, default 2m
	DebugAddr         string        `yaml:"debug_addr"`          // BERTH_DEBUG_ADDR; pprof listener, off when empty
}

// Storage configures blob storage.
type Storage struct {
	Driver     string     `yaml:"driver"` // "filesystem" (default)
	Filesystem Filesystem `yaml:"filesystem"`
}

// Filesystem configures the filesystem driver.
type Filesystem struct {
	Root string `yaml:"root"` // BERTH_STORAGE_ROOT; default <data_dir>/blobs
}

// Database configures the metadata store.
type Database struct {
	Driver string `yaml:"driver"` // BERTH_DB_DRIVER: "sqlite" (default) or "postgres"
	DSN    string `yaml:"dsn"`    // BERTH_DB_DSN: sqlite file path (default <data_dir>/berth.db); postgres URL
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // BERTH_LOG_LEVEL, --log-level: debug, info (default), warn, error
	Format string `yaml:"format"` // BERTH_LOG_FORMAT, --log-format: text (default) or json
}

// Registry tunes the OCI API.
type Registry struct {
	MaxManifestSize int64         `yaml:"max_manifest_size"` // BERTH_MAX_MANIFEST_SIZE: bytes, default 4 MiB
	UploadTTL       time.Duration `yaml:"upload_ttl"`        // BERTH_UPLOAD_TTL: idle upload expiry, default 24h
	UploadSweep     time.Duration `yaml:"upload_sweep"`      // how often expired uploads are removed, default 10m
	// TagHistoryWindow is how long tag history is kept: a tag can be
	// restored to any digest it pointed at within it, and garbage
	// collection keeps those manifests. BERTH_TAG_HISTORY_WINDOW, default
	// 336h (14 days).
	TagHistoryWindow time.Duration `yaml:"tag_history_window"`
}

// Auth configures authentication and authorization.
type Auth struct {
	// Disabled turns authentication off: every caller may do everything.
	// Only for registries on a trusted network. BERTH_AUTH_DISABLED.
	Disabled bool `yaml:"disabled"`
	// AdminPassword is the password of the "admin" user created on first
	// start; empty generates one and logs it once. BERTH_ADMIN_PASSWORD.
	AdminPassword string `yaml:"admin_password"`
	// Challenge is what /v2/ asks unauthenticated clients for: "bearer"
	// (the Docker token flow, default) or "basic". Basic credentials on
	// /v2/ work with either. BERTH_AUTH_CHALLENGE.
	Challenge string `yaml:"challenge"`
	// AnonymousPull lets callers without credentials pull from public
	// projects (default true). BERTH_AUTH_ANONYMOUS_PULL.
	AnonymousPull bool `yaml:"anonymous_pull"`
	// Htpasswd is a bcrypt htpasswd file of extra read-only users.
	// BERTH_HTPASSWD.
	Htpasswd string `yaml:"htpasswd"`
	// SelfRegistration lets anyone create a (non-admin) user account.
	SelfRegistration bool `yaml:"self_registration"`
	// ProjectCreation is who may create projects: "adminonly" (default) or
	// "everyone" (every user), as Harbor's project_creation_restriction.
	ProjectCreation string `yaml:"project_creation"`
	// AutoCreateProjects creates a missing project (private) on first push
	// by a caller who may push there, instead of refusing the push.
	// BERTH_AUTO_CREATE_PROJECTS.
	AutoCreateProjects bool `yaml:"auto_create_projects"`
	// AuditPulls records every pull in the audit log (default true); with
	// false pulls are only counted (pull count, last pulled).
	AuditPulls bool `yaml:"audit_pulls"`
	// AuditRetention is how long audit events are kept (default 2160h,
	// 90 days; 0 keeps them forever).
	AuditRetention time.Duration `yaml:"audit_retention"`
	Token          Token         `yaml:"token"`
}

// Token configures the Docker token service at /service/token.
type Token struct {
	// Realm is the token service URL clients are sent to; empty means this
	// server's own /service/token as the client reached it.
	Realm string `yaml:"realm"`
	// Service is the registry's service name (the tokens' audience).
	Service string `yaml:"service"`
	// Issuer is the tokens' iss claim.
	Issuer string `yaml:"issuer"`
	// TTL is the access token lifetime (default 15m).
	TTL time.Duration `yaml:"ttl"`
	// KeysDir holds the signing keys (default <data_dir>/token-keys); share
	// it between replicas.
	KeysDir string `yaml:"keys_dir"`
}

// Driver names.
const (
	DriverFilesystem = "filesystem"
	DriverSQLite     = "sqlite"
	DriverPostgres   = "postgres"
)

// DefaultDataDir is the data directory when none is configured.
const DefaultDataDir = "berth-data"

// base is Default before the storage root and SQLite path are derived from
// DataDir, so that a data_dir in the file moves them unless the file also
// sets them.
func base() Config {
	return Config{
		DataDir: DefaultDataDir,
		HTTP: HTTP{
			Addr:              ":5000",
			ShutdownTimeout:   30 * time.Second,
			ReadHeaderTimeout: 30 * time.Second,
			IdleTimeout:       2 * time.Minute,
		},
		Storage:  Storage{Driver: DriverFilesystem},
		Database: Database{Driver: DriverSQLite},
		Log:      Log{Level: "info", Format: "text"},
		Registry: Registry{MaxManifestSize: 4 << 20, UploadTTL: 24 * time.Hour, UploadSweep: 10 * time.Minute,
			TagHistoryWindow: 14 * 24 * time.Hour},
		Auth: Auth{
			Challenge:       "bearer",
			AnonymousPull:   true,
			AuditPulls:      true,
			ProjectCreation: "adminonly",
			AuditRetention:  90 * 24 * time.Hour,
			Token:           Token{Service: "berth-registry", Issuer: "berth-token-service", TTL: 15 * time.Minute},
		},
		GC: GC{GracePeriod: 24 * time.Hour, Schedule: "24h"},
	}
}

// Default returns the embedded defaults: SQLite and the filesystem under
// ./berth-data, listening on :5000.
func Default() Config {
	c := base()
	c.derive()
	return c
}

// derive fills the storage root and SQLite path from DataDir where unset.
func (c *Config) derive() {
	if c.Storage.Filesystem.Root == "" && c.DataDir != "" {
		c.Storage.Filesystem.Root = filepath.Join(c.DataDir, "blobs")
	}
	if c.Database.Driver == DriverSQLite && c.Database.DSN == "" && c.DataDir != "" {
		c.Database.DSN = filepath.Join(c.DataDir, "berth.db")
	}
	if c.Auth.Token.KeysDir == "" && c.DataDir != "" {
		c.Auth.Token.KeysDir = filepath.Join(c.DataDir, "token-keys")
	}
}

// WithDataDir returns c with storage and database placed under dir (the
// database only when it is SQLite).
func (c Config) WithDataDir(dir string) Config {
	c.DataDir = dir
	c.Storage.Filesystem.Root = filepath.Join(dir, "blobs")
	c.Auth.Token.KeysDir = filepath.Join(dir, "token-keys")
	if c.Database.Driver == DriverSQLite {
		c.Database.DSN = filepath.Join(dir, "berth.db")
	}
	return c
}

// Interval returns the GC schedule as an interval, 0 for "off".
func (g GC) Interval() (time.Duration, error) {
	switch strings.ToLower(strings.TrimSpace(g.Schedule)) {
	case "off", "none", "":
		return 0, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(g.Schedule))
	if err != nil || d < time.Minute {
		return 0, fmt.Errorf("want an interval of at least 1m such as 24h, or off; got %q", g.Schedule)
	}
	return d, nil
}
