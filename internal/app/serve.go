package app

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"

	"github.com/berth-oci/berth/internal/config"
)

const serveSynopsis = "berth serve [--addr host:port] [--data DIR] [--config FILE] [--log-level LEVEL] [--log-format text|json]\n\n" +
	"Runs the registry. Settings come from the defaults, then the YAML file (--config or\n" +
	"BERTH_CONFIG), then BERTH_* environment variables, then these flags."

// serveFlags are the serve command's flags; empty means not given.
type serveFlags struct {
	addr, data, config, logLevel, logFormat string
}

func (f *serveFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "addr", "", "listen address host:port; port 0 picks a free one (default \":5000\", env BERTH_ADDR)")
	fs.StringVar(&f.data, "data", "", "data directory: blobs under DIR/blobs, SQLite at DIR/berth.db (default \"berth-data\", env BERTH_DATA)")
	fs.StringVar(&f.config, "config", "", "YAML configuration file (env BERTH_CONFIG)")
	fs.StringVar(&f.logLevel, "log-level", "", "debug, info, warn or error (default \"info\", env BERTH_LOG_LEVEL)")
	fs.StringVar(&f.logFormat, "log-format", "", "text or json (default \"text\", env BERTH_LOG_FORMAT)")
}

// apply overrides cfg with the flags that were given.
func (f *serveFlags) apply(cfg config.Config) config.Config {
	if f.data != "" {
		cfg = cfg.WithDataDir(f.data)
	}
	if f.addr != "" {
		cfg.HTTP.Addr = f.addr
	}
	if f.logLevel != "" {
		cfg.Log.Level = f.logLevel
	}
	if f.logFormat != "" {
		cfg.Log.Format = f.logFormat
	}
	return cfg
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var f serveFlags
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	f.register(fs)
	if code, ok := parseFlags(fs, args, serveSynopsis, stdout, stderr); !ok {
		return code
	}
	cfg, err := config.Load(f.config, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "berth serve: %v\n", err)
		return exitError
	}
	cfg = f.apply(cfg)
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "berth serve: invalid configuration:\n%v\n", err)
		return exitError
	}
	log := newLogger(cfg.Log, stderr)
	if err := listenAndServe(ctx, cfg, log); err != nil {
		log.Error("server failed", "err", err)
		return exitError
	}
	return exitOK
}

// newLogger builds the process logger; cfg has been validated.
func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Level)) // validated: debug, info, warn, error
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// listenAndServe runs the server until ctx is canceled, then shuts down
// gracefully within cfg.HTTP.ShutdownTimeout.
func listenAndServe(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	var tlsCfg *tls.Config
	if cfg.HTTP.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.HTTP.TLSCert, cfg.HTTP.TLSKey)
		if err != nil {
			return fmt.Errorf("load TLS certificate: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	// The stores outlive ctx: they are closed after the last request drains.
	srv, err := New(context.WithoutCancel(ctx), cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := srv.Close(); err != nil {
			log.Error("close stores", "err", err)
		}
	}()
	ln, err := net.Listen("tcp", cfg.HTTP.Addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:   srv.Handler(),
		TLSConfig: tlsCfg,
		// No ReadTimeout or WriteTimeout: a blob upload or download of
		// gigabytes is one request. Slow clients are bounded by the header
		// timeout and idle connections by the idle timeout.
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	ver, rev := Version()
	log.Info("listening", "addr", ln.Addr().String(), "tls", tlsCfg != nil,
		"storage", cfg.Storage.Filesystem.Root, "database", cfg.Database.Driver, "version", ver, "commit", rev)

	if cfg.HTTP.DebugAddr != "" {
		stop, err := serveDebug(cfg.HTTP.DebugAddr, log)
		if err != nil {
			return err
		}
		defer stop()
	}

	errc := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			errc <- hs.ServeTLS(ln, "", "")
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}

	log.Info("shutting down", "timeout", cfg.HTTP.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	serr := hs.Shutdown(sctx)
	if serr != nil {
		_ = hs.Close()
		serr = fmt.Errorf("graceful shutdown: %w", serr)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return errors.Join(serr, err)
	}
	if serr == nil {
		log.Info("stopped")
	}
	return serr
}
