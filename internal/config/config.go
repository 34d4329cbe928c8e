// Package config holds Berth's typed configuration: defaults, YAML loading,
// environment overrides and validation. It has no behaviour beyond that.
package config

import "time"

// Config is the whole configuration.
type Config struct {
	HTTP     HTTP     `yaml:"http"`
	Storage  Storage  `yaml:"storage"`
	Database Database `yaml:"database"`
	Log      Log      `yaml:"log"`
	Registry Registry `yaml:"registry"`
}

// HTTP configures the listener.
type HTTP struct {
	Addr            string        `yaml:"addr"`             // BERTH_ADDR, default ":5000"
	TLSCert         string        `yaml:"tls_cert"`         // BERTH_TLS_CERT
	TLSKey          string        `yaml:"tls_key"`          // BERTH_TLS_KEY
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"` // default 30s
}

// Storage configures blob storage.
type Storage struct {
	Driver     string     `yaml:"driver"` // "filesystem" (default)
	Filesystem Filesystem `yaml:"filesystem"`
}

// Filesystem configures the filesystem driver.
type Filesystem struct {
	Root string `yaml:"root"` // default <data>/blobs
}

// Database configures the metadata store.
type Database struct {
	Driver string `yaml:"driver"` // "sqlite" (default) or "postgres"
	DSN    string `yaml:"dsn"`    // sqlite: file path (default <data>/berth.db); postgres: URL
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info (default), warn, error
	Format string `yaml:"format"` // text (default) or json
}

// Registry tunes the OCI API.
type Registry struct {
	MaxManifestSize int64         `yaml:"max_manifest_size"` // bytes, default 4 MiB
	UploadTTL       time.Duration `yaml:"upload_ttl"`        // idle upload expiry, default 24h
	UploadSweep     time.Duration `yaml:"upload_sweep"`      // how often expired uploads are removed, default 10m
}

// Default returns the embedded defaults: SQLite and the filesystem under
// ./berth-data, listening on :5000.
func Default() Config {
	return Config{
		HTTP:     HTTP{Addr: ":5000", ShutdownTimeout: 30 * time.Second},
		Storage:  Storage{Driver: "filesystem", Filesystem: Filesystem{Root: "berth-data/blobs"}},
		Database: Database{Driver: "sqlite", DSN: "berth-data/berth.db"},
		Log:      Log{Level: "info", Format: "text"},
		Registry: Registry{MaxManifestSize: 4 << 20, UploadTTL: 24 * time.Hour, UploadSweep: 10 * time.Minute},
	}
}

// WithDataDir returns c with storage and database placed under dir.
func (c Config) WithDataDir(dir string) Config {
	c.Storage.Filesystem.Root = dir + "/blobs"
	if c.Database.Driver == "sqlite" {
		c.Database.DSN = dir + "/berth.db"
	}
	return c
}
