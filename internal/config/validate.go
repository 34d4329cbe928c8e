package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// maxTagHistoryWindow caps registry.tag_history_window (a year): history
// pins manifests against garbage collection for that long.
const maxTagHistoryWindow = 366 * 24 * time.Hour

// maxManifestSizeLimit caps registry.max_manifest_size: manifests are read
// into memory whole.
const maxManifestSizeLimit = 64 << 20

// Validate reports every invalid setting at once, each error naming its YAML
// key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: "+format, append([]any{key}, args...)...))
	}

	if _, port, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
		bad("http.addr", "%q is not host:port (for example :5000 or 127.0.0.1:5000)", c.HTTP.Addr)
	} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		bad("http.addr", "port %q in %q is not a number from 0 to 65535", port, c.HTTP.Addr)
	}
	if (c.HTTP.TLSCert == "") != (c.HTTP.TLSKey == "") {
		bad("http.tls_cert", "tls_cert and tls_key must be set together")
	}
	positive := func(key string, d time.Duration) {
		if d <= 0 {
			bad(key, "must be a positive duration, got %v", d)
		}
	}
	positive("http.shutdown_timeout", c.HTTP.ShutdownTimeout)
	positive("http.read_header_timeout", c.HTTP.ReadHeaderTimeout)
	positive("http.idle_timeout", c.HTTP.IdleTimeout)

	switch c.Storage.Driver {
	case DriverFilesystem:
		if c.Storage.Filesystem.Root == "" {
			bad("storage.filesystem.root", "must be set for the filesystem driver")
		}
	default:
		bad("storage.driver", "unknown driver %q (supported: %s)", c.Storage.Driver, DriverFilesystem)
	}

	switch c.Database.Driver {
	case DriverSQLite:
		if c.Database.DSN == "" {
			bad("database.dsn", "must be the SQLite database file")
		}
	case DriverPostgres:
		if c.Database.DSN == "" {
			bad("database.dsn", "must be a PostgreSQL URL (postgres://user@host:5432/db) for the postgres driver")
		}
	default:
		bad("database.driver", "unknown driver %q (supported: %s, %s)", c.Database.Driver, DriverSQLite, DriverPostgres)
	}

	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		bad("log.level", "unknown level %q (debug, info, warn, error)", c.Log.Level)
	}
	switch strings.ToLower(c.Log.Format) {
	case "text", "json":
	default:
		bad("log.format", "unknown format %q (text, json)", c.Log.Format)
	}

	if n := c.Registry.MaxManifestSize; n <= 0 || n > maxManifestSizeLimit {
		bad("registry.max_manifest_size", "must be between 1 and %d bytes, got %d", maxManifestSizeLimit, n)
	}
	positive("registry.upload_ttl", c.Registry.UploadTTL)
	positive("registry.upload_sweep", c.Registry.UploadSweep)
	if w := c.Registry.TagHistoryWindow; w < time.Minute || w > maxTagHistoryWindow {
		bad("registry.tag_history_window", "must be between 1m and %s, got %s", maxTagHistoryWindow, w)
	}

	if c.GC.GracePeriod < 0 {
		bad("gc.grace_period", "must not be negative, got %s", c.GC.GracePeriod)
	}
	if _, err := c.GC.Interval(); err != nil {
		bad("gc.schedule", "%v", err)
	}

	switch c.Auth.Challenge {
	case "bearer", "basic":
	default:
		bad("auth.challenge", "unknown challenge %q (bearer, basic)", c.Auth.Challenge)
	}
	switch c.Auth.ProjectCreation {
	case "adminonly", "everyone":
	default:
		bad("auth.project_creation", "unknown value %q (adminonly, everyone)", c.Auth.ProjectCreation)
	}
	if c.Auth.AuditRetention < 0 {
		bad("auth.audit_retention", "must not be negative, got %v", c.Auth.AuditRetention)
	}
	if c.Auth.Token.Service == "" {
		bad("auth.token.service", "must be set")
	}
	if c.Auth.Token.Issuer == "" {
		bad("auth.token.issuer", "must be set")
	}
	if c.Auth.Token.TTL < time.Minute {
		bad("auth.token.ttl", "must be at least 1m, got %v", c.Auth.Token.TTL)
	}
	if c.Auth.Token.KeysDir == "" {
		bad("auth.token.keys_dir", "must be set")
	}
	if c.Auth.AdminPassword != "" && len(c.Auth.AdminPassword) < 8 {
		bad("auth.admin_password", "must be at least 8 characters")
	}
	return errors.Join(errs...)
}
