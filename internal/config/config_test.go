package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	def := Default()
	tests := []struct {
		name    string
		file    string // YAML; "" means no file
		env     map[string]string
		want    func(c *Config) // edits Default() into the expected Config
		wantErr string
	}{
		{
			name: "defaults",
			want: func(*Config) {},
		},
		{
			name: "file overrides defaults",
			file: "http:\n  addr: 127.0.0.1:6000\n  shutdown_timeout: 45s\nlog:\n  level: debug\n  format: json\nregistry:\n  upload_ttl: 2h\n  max_manifest_size: 1024\n",
			want: func(c *Config) {
				c.HTTP.Addr = "127.0.0.1:6000"
				c.HTTP.ShutdownTimeout = 45 * time.Second
				c.Log = Log{Level: "debug", Format: "json"}
				c.Registry.UploadTTL = 2 * time.Hour
				c.Registry.MaxManifestSize = 1024
			},
		},
		{
			name: "empty file",
			file: "# nothing\n",
			want: func(*Config) {},
		},
		{
			name: "data_dir moves storage and sqlite",
			file: "data_dir: /srv/berth\n",
			want: func(c *Config) {
				c.DataDir = "/srv/berth"
				c.Storage.Filesystem.Root = "/srv/berth/blobs"
				c.Database.DSN = "/srv/berth/berth.db"
				c.Auth.Token.KeysDir = "/srv/berth/token-keys"
			},
		},
		{
			name: "data_dir keeps an explicit root",
			file: "data_dir: /srv/berth\nstorage:\n  filesystem:\n    root: /mnt/blobs\n",
			want: func(c *Config) {
				c.DataDir = "/srv/berth"
				c.Storage.Filesystem.Root = "/mnt/blobs"
				c.Database.DSN = "/srv/berth/berth.db"
				c.Auth.Token.KeysDir = "/srv/berth/token-keys"
			},
		},
		{
			name: "env overrides file",
			file: "http:\n  addr: 127.0.0.1:6000\nlog:\n  level: debug\n",
			env:  map[string]string{EnvAddr: ":7000", EnvLogLevel: "warn", EnvLogFormat: "json"},
			want: func(c *Config) {
				c.HTTP.Addr = ":7000"
				c.Log = Log{Level: "warn", Format: "json"}
			},
		},
		{
			name: "BERTH_DATA overrides file paths",
			file: "storage:\n  filesystem:\n    root: /mnt/blobs\ndatabase:\n  dsn: /mnt/berth.db\n",
			env:  map[string]string{EnvData: "/data"},
			want: func(c *Config) {
				c.DataDir = "/data"
				c.Auth.Token.KeysDir = "/data/token-keys"
				c.Storage.Filesystem.Root = "/data/blobs"
				c.Database.DSN = "/data/berth.db"
			},
		},
		{
			name: "specific env beats BERTH_DATA",
			env:  map[string]string{EnvData: "/data", EnvStorageRoot: "/fast/blobs", EnvDBDSN: "/ssd/meta.db"},
			want: func(c *Config) {
				c.DataDir = "/data"
				c.Auth.Token.KeysDir = "/data/token-keys"
				c.Storage.Filesystem.Root = "/fast/blobs"
				c.Database.DSN = "/ssd/meta.db"
			},
		},
		{
			name: "postgres DSN untouched by BERTH_DATA",
			file: "database:\n  driver: postgres\n  dsn: postgres://berth@db/berth\n",
			env:  map[string]string{EnvData: "/data"},
			want: func(c *Config) {
				c.DataDir = "/data"
				c.Auth.Token.KeysDir = "/data/token-keys"
				c.Storage.Filesystem.Root = "/data/blobs"
				c.Database = Database{Driver: DriverPostgres, DSN: "postgres://berth@db/berth"}
			},
		},
		{
			name: "BERTH_DB_DRIVER drops the other driver's DSN",
			env:  map[string]string{EnvDBDriver: "postgres"},
			want: func(c *Config) { c.Database = Database{Driver: DriverPostgres} },
		},
		{
			name: "postgres from env",
			env:  map[string]string{EnvDBDriver: "postgres", EnvDBDSN: "postgres://localhost/test"},
			want: func(c *Config) { c.Database = Database{Driver: DriverPostgres, DSN: "postgres://localhost/test"} },
		},
		{
			name: "TLS and registry env",
			env: map[string]string{EnvTLSCert: "c.pem", EnvTLSKey: "k.pem", EnvMaxManifestSize: "8388608", EnvUploadTTL: "90m",
				EnvTagHistory: "48h"},
			want: func(c *Config) {
				c.HTTP.TLSCert, c.HTTP.TLSKey = "c.pem", "k.pem"
				c.Registry.MaxManifestSize = 8 << 20
				c.Registry.UploadTTL = 90 * time.Minute
				c.Registry.TagHistoryWindow = 48 * time.Hour
			},
		},
		{
			name:    "unknown key",
			file:    "http:\n  adr: :5000\n",
			wantErr: "field adr not found",
		},
		{
			name:    "bad duration",
			file:    "registry:\n  upload_ttl: forever\n",
			wantErr: "line 2: cannot unmarshal",
		},
		{
			name:    "bad BERTH_MAX_MANIFEST_SIZE",
			env:     map[string]string{EnvMaxManifestSize: "4MiB"},
			wantErr: "BERTH_MAX_MANIFEST_SIZE",
		},
		{
			name:    "bad BERTH_UPLOAD_TTL",
			env:     map[string]string{EnvUploadTTL: "1 day"},
			wantErr: "BERTH_UPLOAD_TTL",
		},
		{
			name:    "bad BERTH_TAG_HISTORY_WINDOW",
			env:     map[string]string{EnvTagHistory: "2 weeks"},
			wantErr: "BERTH_TAG_HISTORY_WINDOW",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := ""
			if tt.file != "" {
				path = filepath.Join(t.TempDir(), "berth.yaml")
				if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Load(path, mapEnv(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := def
			tt.want(&want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Load (-want +got):\n%s", diff)
			}
		})
	}
}

func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadConfigFromEnv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fromEnv := filepath.Join(dir, "env.yaml")
	fromFlag := filepath.Join(dir, "flag.yaml")
	if err := os.WriteFile(fromEnv, []byte("http:\n  addr: :6001\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fromFlag, []byte("http:\n  addr: :6002\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := mapEnv(map[string]string{EnvConfig: fromEnv})
	tests := []struct{ path, want string }{
		{"", ":6001"},       // BERTH_CONFIG names the file
		{fromFlag, ":6002"}, // an explicit path (the --config flag) wins
	}
	for _, tt := range tests {
		c, err := Load(tt.path, env)
		if err != nil {
			t.Fatal(err)
		}
		if c.HTTP.Addr != tt.want {
			t.Errorf("Load(%q).HTTP.Addr = %q, want %q", tt.path, c.HTTP.Addr, tt.want)
		}
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml"), nil); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    func(c *Config)
		wantErr []string // substrings; none means valid
	}{
		{"defaults", func(*Config) {}, nil},
		{"port zero", func(c *Config) { c.HTTP.Addr = "127.0.0.1:0" }, nil},
		{"postgres", func(c *Config) { c.Database = Database{Driver: "postgres", DSN: "postgres://x/y"} }, nil},
		{"upper-case level", func(c *Config) { c.Log.Level = "DEBUG" }, nil},
		{"addr without port", func(c *Config) { c.HTTP.Addr = "localhost" }, []string{"http.addr"}},
		{"addr bad port", func(c *Config) { c.HTTP.Addr = ":http5" }, []string{"http.addr", "port"}},
		{"tls half", func(c *Config) { c.HTTP.TLSCert = "c.pem" }, []string{"tls_cert and tls_key"}},
		{"storage driver", func(c *Config) { c.Storage.Driver = "s3" }, []string{"storage.driver", `"s3"`}},
		{"no root", func(c *Config) { c.Storage.Filesystem.Root = "" }, []string{"storage.filesystem.root"}},
		{"db driver", func(c *Config) { c.Database.Driver = "mysql" }, []string{"database.driver"}},
		{"postgres without dsn", func(c *Config) { c.Database = Database{Driver: "postgres"} }, []string{"database.dsn", "PostgreSQL"}},
		{"log", func(c *Config) { c.Log = Log{Level: "loud", Format: "xml"} }, []string{"log.level", "log.format"}},
		{"manifest size", func(c *Config) { c.Registry.MaxManifestSize = 0 }, []string{"registry.max_manifest_size"}},
		{"durations", func(c *Config) {
			c.HTTP.ShutdownTimeout = 0
			c.Registry.UploadTTL = -time.Second
			c.Registry.UploadSweep = 0
		}, []string{"http.shutdown_timeout", "registry.upload_ttl", "registry.upload_sweep"}},
		{"tag history window", func(c *Config) { c.Registry.TagHistoryWindow = 0 }, []string{"registry.tag_history_window"}},
		{"tag history window too long", func(c *Config) { c.Registry.TagHistoryWindow = 400 * 24 * time.Hour }, []string{"registry.tag_history_window"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := Default()
			tt.edit(&c)
			err := c.Validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate succeeded, want an error")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("Validate error %q lacks %q", err, s)
				}
			}
		})
	}
}

func TestWithDataDir(t *testing.T) {
	t.Parallel()
	c := Default().WithDataDir("/d")
	if c.Storage.Filesystem.Root != "/d/blobs" || c.Database.DSN != "/d/berth.db" || c.DataDir != "/d" {
		t.Errorf("sqlite: %+v", c)
	}
	pg := Default()
	pg.Database = Database{Driver: DriverPostgres, DSN: "postgres://x/y"}
	pg = pg.WithDataDir("/d")
	if pg.Database.DSN != "postgres://x/y" {
		t.Errorf("postgres DSN changed to %q", pg.Database.DSN)
	}
}

// TestDocsExamples keeps the example files in docs/ loadable and valid.
func TestDocsExamples(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../../docs/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no docs/*.yaml examples")
	}
	for _, f := range files {
		c, err := Load(f, nil)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestReferenceIsComplete checks that the configuration reference names
// every YAML key and environment variable.
func TestReferenceIsComplete(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, key := range yamlKeys(reflect.TypeFor[Config](), "") {
		if !strings.Contains(doc, "`"+key+"`") {
			t.Errorf("docs/configuration.md does not document `%s`", key)
		}
	}
	for _, env := range []string{EnvConfig, EnvAddr, EnvData, EnvTLSCert, EnvTLSKey, EnvDBDriver, EnvDBDSN,
		EnvStorageRoot, EnvLogLevel, EnvLogFormat, EnvMaxManifestSize, EnvUploadTTL, EnvTagHistory,
		EnvGCGracePeriod, EnvGCSchedule} {
		if !strings.Contains(doc, "`"+env+"`") {
			t.Errorf("docs/configuration.md does not document `%s`", env)
		}
	}
}

// yamlKeys lists the dotted YAML keys of the leaf fields of t.
func yamlKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for f := range t.Fields() {
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" {
			continue
		}
		if f.Type.Kind() == reflect.Struct {
			keys = append(keys, yamlKeys(f.Type, prefix+name+".")...)
			continue
		}
		keys = append(keys, prefix+name)
	}
	return keys
}
