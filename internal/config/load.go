package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Environment variables Load reads.
const (
	EnvConfig          = "BERTH_CONFIG"
	EnvAddr            = "BERTH_ADDR"
	EnvData            = "BERTH_DATA"
	EnvTLSCert         = "BERTH_TLS_CERT"
	EnvTLSKey          = "BERTH_TLS_KEY"
	EnvDBDriver        = "BERTH_DB_DRIVER"
	EnvDBDSN           = "BERTH_DB_DSN"
	EnvStorageRoot     = "BERTH_STORAGE_ROOT"
	EnvLogLevel        = "BERTH_LOG_LEVEL"
	EnvLogFormat       = "BERTH_LOG_FORMAT"
	EnvMaxManifestSize = "BERTH_MAX_MANIFEST_SIZE"
	EnvUploadTTL       = "BERTH_UPLOAD_TTL"
	EnvTagHistory      = "BERTH_TAG_HISTORY_WINDOW"
	EnvDebugAddr       = "BERTH_DEBUG_ADDR"
	EnvAuthDisabled    = "BERTH_AUTH_DISABLED"
	EnvAdminPassword   = "BERTH_ADMIN_PASSWORD"
	EnvAuthChallenge   = "BERTH_AUTH_CHALLENGE"
	EnvAnonymousPull   = "BERTH_AUTH_ANONYMOUS_PULL"
	EnvHtpasswd        = "BERTH_HTPASSWD"
	EnvAutoCreate      = "BERTH_AUTO_CREATE_PROJECTS"
	EnvTokenRealm      = "BERTH_TOKEN_REALM"
	EnvGCGracePeriod   = "BERTH_GC_GRACE_PERIOD"
	EnvGCSchedule      = "BERTH_GC_SCHEDULE"
)

// Load builds a Config from the defaults, then the YAML file at path (if
// path is empty, the file named by BERTH_CONFIG, if any), then the BERTH_*
// environment variables read through env (os.Getenv in production; nil reads
// nothing). Unknown YAML keys are errors. Load does not validate: call
// Validate once flags have been applied.
func Load(path string, env func(string) string) (Config, error) {
	if env == nil {
		env = func(string) string { return "" }
	}
	if path == "" {
		path = env(EnvConfig)
	}
	c := base()
	if path != "" {
		if err := c.readFile(path); err != nil {
			return Config{}, err
		}
	}
	c.derive()
	if err := c.applyEnv(env); err != nil {
		return Config{}, err
	}
	return c, nil
}

func (c *Config) readFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) { // io.EOF: empty file
		return fmt.Errorf("config: %s: %w", path, err)
	}
	return nil
}

func (c *Config) applyEnv(env func(string) string) error {
	if v := env(EnvData); v != "" {
		*c = c.WithDataDir(v)
	}
	if v := env(EnvDBDriver); v != "" && v != c.Database.Driver {
		// The DSN of one driver means nothing to the other.
		c.Database.Driver = v
		c.Database.DSN = ""
		c.derive()
	}
	strs := []struct {
		name string
		dst  *string
	}{
		{EnvAddr, &c.HTTP.Addr},
		{EnvDebugAddr, &c.HTTP.DebugAddr},
		{EnvTLSCert, &c.HTTP.TLSCert},
		{EnvTLSKey, &c.HTTP.TLSKey},
		{EnvDBDSN, &c.Database.DSN},
		{EnvStorageRoot, &c.Storage.Filesystem.Root},
		{EnvLogLevel, &c.Log.Level},
		{EnvLogFormat, &c.Log.Format},
		{EnvAdminPassword, &c.Auth.AdminPassword},
		{EnvAuthChallenge, &c.Auth.Challenge},
		{EnvHtpasswd, &c.Auth.Htpasswd},
		{EnvTokenRealm, &c.Auth.Token.Realm},
	}
	for _, s := range strs {
		if v := env(s.name); v != "" {
			*s.dst = v
		}
	}
	if v := env(EnvMaxManifestSize); v != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return fmt.Errorf("config: %s=%q: want a number of bytes", EnvMaxManifestSize, v)
		}
		c.Registry.MaxManifestSize = n
	}
	bools := []struct {
		name string
		dst  *bool
	}{
		{EnvAuthDisabled, &c.Auth.Disabled},
		{EnvAnonymousPull, &c.Auth.AnonymousPull},
		{EnvAutoCreate, &c.Auth.AutoCreateProjects},
	}
	for _, b := range bools {
		if v := env(b.name); v != "" {
			x, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("config: %s=%q: want true or false", b.name, v)
			}
			*b.dst = x
		}
	}
	if v := env(EnvUploadTTL); v != "" {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("config: %s=%q: want a duration such as 24h or 90m", EnvUploadTTL, v)
		}
		c.Registry.UploadTTL = d
	}
	if v := env(EnvTagHistory); v != "" {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("config: %s=%q: want a duration such as 336h", EnvTagHistory, v)
		}
		c.Registry.TagHistoryWindow = d
	}
	if v := env(EnvGCGracePeriod); v != "" {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("config: %s=%q: want a duration such as 24h", EnvGCGracePeriod, v)
		}
		c.GC.GracePeriod = d
	}
	if v := env(EnvGCSchedule); v != "" {
		c.GC.Schedule = strings.TrimSpace(v)
	}
	return nil
}
