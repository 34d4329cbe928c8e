package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/berth-oci/berth/internal/api"
	"github.com/berth-oci/berth/internal/artifact"
	"github.com/berth-oci/berth/internal/auth"
	"github.com/berth-oci/berth/internal/blob"
	"github.com/berth-oci/berth/internal/blob/driver/filesystem"
	"github.com/berth-oci/berth/internal/config"
	"github.com/berth-oci/berth/internal/distribution"
	"github.com/berth-oci/berth/internal/event"
	"github.com/berth-oci/berth/internal/gc"
	"github.com/berth-oci/berth/internal/httpx"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/meta/sqlstore"
	"github.com/berth-oci/berth/internal/ui"
)

// Server is a wired Berth instance: stores, services and the HTTP handler
// tree. It does not listen; Run does, or a test serves Handler with httptest.
type Server struct {
	cfg     config.Config
	log     *slog.Logger
	meta    meta.Store
	driver  *filesystem.Driver
	blobs   *blob.Store
	reg     *prometheus.Registry
	handler http.Handler
	sec     *security
	gc      *gc.Service

	ctx       context.Context // background work; canceled by Close
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// New validates cfg, opens the metadata store and blob storage it names and
// builds the handler tree. ctx bounds opening the stores and the lifetime of
// the background upload sweeper (Close stops it too). Log lines written with
// a request's context carry its request id.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = slog.New(httpx.LogHandler(log.Handler()))

	store, err := sqlstore.Open(ctx, cfg.Database.Driver, cfg.Database.DSN, log.With("component", "meta"))
	if err != nil {
		return nil, fmt.Errorf("open metadata store (%s): %w", cfg.Database.Driver, err)
	}
	drv, err := filesystem.New(cfg.Storage.Filesystem.Root)
	if err != nil {
		_ = store.Close()
		return nil, fmt.Errorf("open blob storage: %w", err)
	}

	s := &Server{cfg: cfg, log: log, meta: store, driver: drv, reg: prometheus.NewRegistry()}
	s.ctx, s.cancel = context.WithCancel(ctx)
	if err := bootstrap(ctx, cfg, store, log); err != nil {
		_ = s.Close()
		return nil, err
	}
	if s.sec, err = newSecurity(cfg, store, log); err != nil {
		_ = s.Close()
		return nil, err
	}
	s.blobs = blob.New(drv, store, log.With("component", "blob"), blob.Options{
		UploadTTL:  cfg.Registry.UploadTTL,
		TouchAfter: cfg.GC.GracePeriod / 2, // a HEAD keeps a blob for at least half the grace period
	})
	interval, _ := cfg.GC.Interval() // validated
	s.gc = gc.NewService(gc.NewCollector(store, drv, log.With("component", "gc"), nil), log.With("component", "gc"),
		gc.ServiceOptions{Grace: gcGrace(cfg.GC), Interval: interval, DeleteUntagged: cfg.GC.DeleteUntagged})
	arts := artifact.New(store, log.With("component", "artifact"))
	events := event.NewRecorder(store, log.With("component", "events"), event.Options{SkipPullAudit: !cfg.Auth.AuditPulls})
	dist := distribution.New(s.blobs, arts, log.With("component", "distribution"), distribution.Options{
		MaxManifestSize: cfg.Registry.MaxManifestSize,
		Guard:           s.sec.guard,
		Events:          events,
	})
	ver, _ := Version()
	mgmt := api.New(api.Deps{
		Store: store, Access: s.sec.eval, Log: log.With("component", "api"), Blobs: s.blobs,
		IdentityChanged: s.sec.authn.Forget,
		ProjectChanged:  s.sec.projects.Invalidate,
		GC:              s.gc,
	}, api.Options{
		SelfRegistration: cfg.Auth.SelfRegistration,
		AuthMode:         "db_auth",
		TagHistoryWindow: cfg.Registry.TagHistoryWindow,
		Version:          ver,
	})

	metrics, err := s.registerMetrics()
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/v2/", dist)
	mux.Handle("/v2", dist)
	mux.Handle(auth.TokenPath, s.sec.tokens)
	mux.Handle(api.Prefix+"/", mgmt)
	// The web UI: its session endpoints under /c/ and the app everywhere
	// else (client routes fall back to index.html).
	webui := ui.New(s.sec.authn, log.With("component", "ui"))
	mux.Handle("/c/", webui)
	mux.Handle("/", webui)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	promh := promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      s.reg,
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		httpx.SetRoute(r.Context(), "metrics")
		promh.ServeHTTP(w, r)
	})
	s.handler = httpx.Middleware(s.sec.authn.Middleware(mux), log.With("component", "http"), metrics)

	s.wg.Add(4)
	go s.sweepUploads()
	go s.pruneAudit()
	go s.reloadKeys()
	s.wg.Add(1)
	go s.pruneTagHistory()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.gc.RunScheduler(s.ctx)
	}()
	go func() {
		defer s.wg.Done()
		events.Run(s.ctx)
	}()
	return s, nil
}

func (s *Server) registerMetrics() (*httpx.Metrics, error) {
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newCountsCollector(s.ctx, s.meta, s.log),
	} {
		if err := s.reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return httpx.NewMetrics(s.reg)
}

// Handler returns the whole HTTP handler: /v2/ (the OCI Distribution API),
// /healthz, /readyz and /metrics, wrapped in the httpx middleware.
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops the background work and closes the stores. It is safe to call
// more than once; requests must have finished.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.cancel()
		s.wg.Wait()
		if s.gc != nil {
			s.gc.Stop()
		}
		s.closeErr = errors.Join(s.meta.Close(), s.driver.Close())
	})
	return s.closeErr
}

// sweepUploads removes expired upload sessions every UploadSweep.
func (s *Server) sweepUploads() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.Registry.UploadSweep)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.blobs.ExpireUploads(s.ctx)
		switch {
		case err != nil && s.ctx.Err() == nil:
			s.log.Warn("expire uploads", "err", err)
		case n > 0:
			s.log.Info("expired upload sessions", "count", n)
		}
	}
}
