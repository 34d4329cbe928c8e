package gc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/berth-oci/berth/internal/meta"
)

// Run kinds and statuses, as Harbor's GC history shows them.
const (
	KindManual   = "MANUAL"
	KindSchedule = "SCHEDULE"

	StatusRunning = "Running"
	StatusSuccess = "Success"
	StatusError   = "Error"
)

// Schedule types, as Harbor's API names them.
const (
	ScheduleNone   = "None"
	ScheduleHourly = "Hourly"
	ScheduleDaily  = "Daily"
	ScheduleWeekly = "Weekly"
	ScheduleCustom = "Custom"
	ScheduleManual = "Manual"
)

// presetCron is the cron Harbor reports for each preset type.
var presetCron = map[string]string{
	ScheduleHourly: "0 0 * * * *",
	ScheduleDaily:  "0 0 0 * * *",
	ScheduleWeekly: "0 0 0 * * 0",
}

// ErrInvalidSchedule is returned (wrapped) for a schedule that does not parse.
var ErrInvalidSchedule = errors.New("gc: invalid schedule")

// ServiceOptions are the defaults of runs the Service starts.
type ServiceOptions struct {
	Grace time.Duration
	// Interval is the configured schedule (0: off) used while no schedule
	// was set through the API.
	Interval       time.Duration
	DeleteUntagged bool // for scheduled runs under the configured schedule
	// Tick is how often the scheduler checks whether a run is due
	// (default 1m).
	Tick time.Duration
}

// Service starts collections on demand and on the schedule, and records
// each run in the history.
type Service struct {
	col     *Collector
	store   Store
	log     *slog.Logger
	opt     ServiceOptions
	started time.Time

	mu      sync.Mutex
	running bool
	wg      sync.WaitGroup
	// bg bounds the runs Start begins; Stop cancels it. A stopped run is
	// safe: the next one takes over where it stopped.
	bg   context.Context
	stop context.CancelFunc
}

// NewService returns a Service over a collector.
func NewService(col *Collector, log *slog.Logger, opt ServiceOptions) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opt.Tick <= 0 {
		opt.Tick = time.Minute
	}
	bg, stop := context.WithCancel(context.Background())
	return &Service{col: col, store: col.store, log: log, opt: opt, started: col.now(), bg: bg, stop: stop}
}

// Params are the parameters of one run.
type Params struct {
	DryRun         bool
	DeleteUntagged bool
	Orphans        bool
}

// Start records a new run and collects in the background; it returns the
// run as recorded (status Running). ErrLocked if this process is already
// collecting. Wait waits for it; Stop stops it.
func (s *Service) Start(ctx context.Context, kind string, p Params) (meta.GCRun, error) {
	run, err := s.begin(ctx, kind, p)
	if err != nil {
		return meta.GCRun{}, err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_, _ = s.finish(s.bg, run, p)
	}()
	return run, nil
}

// Stop cancels the runs Start began (they end as Error) and waits for them.
func (s *Service) Stop() {
	s.stop()
	s.wg.Wait()
}

// RunNow records a run and collects in the foreground, returning the
// finished run; its error is the collection's.
func (s *Service) RunNow(ctx context.Context, kind string, p Params) (meta.GCRun, error) {
	run, err := s.begin(ctx, kind, p)
	if err != nil {
		return meta.GCRun{}, err
	}
	return s.finish(ctx, run, p)
}

func (s *Service) begin(ctx context.Context, kind string, p Params) (meta.GCRun, error) {
	s.mu.Lock()
	if s.running {
		s.mu.Unlock()
		return meta.GCRun{}, ErrLocked
	}
	s.running = true
	s.mu.Unlock()
	run, err := s.store.CreateGCRun(ctx, meta.GCRun{
		Kind: kind, Status: StatusRunning, DryRun: p.DryRun, DeleteUntagged: p.DeleteUntagged,
		CreatedAt: s.col.now(),
	})
	if err != nil {
		s.done()
		return meta.GCRun{}, err
	}
	return run, nil
}

func (s *Service) done() {
	s.mu.Lock()
	s.running = false
	s.mu.Unlock()
}

func (s *Service) finish(ctx context.Context, run meta.GCRun, p Params) (meta.GCRun, error) {
	defer s.done()
	res, err := s.col.Run(ctx, Options{Grace: s.opt.Grace, DryRun: p.DryRun, DeleteUntagged: p.DeleteUntagged, Orphans: p.Orphans})
	run.Status = StatusSuccess
	run.LinksDeleted, run.BlobsDeleted, run.ManifestsDeleted = res.LinksDeleted, res.BlobsDeleted, res.ManifestsDeleted
	run.OrphansDeleted, run.BytesFreed, run.Log = res.OrphansDeleted, res.BytesFreed, res.Log
	if err != nil {
		run.Status = StatusError
		if errors.Is(err, ErrLocked) {
			run.Log += err.Error() + "\n"
		}
		s.log.Warn("gc: run failed", "id", run.ID, "err", err)
	} else {
		s.log.Info("gc: run finished", "id", run.ID, "kind", run.Kind, "dry_run", p.DryRun,
			"manifests", res.ManifestsDeleted, "links", res.LinksDeleted, "blobs", res.BlobsDeleted,
			"orphans", res.OrphansDeleted, "bytes_freed", res.BytesFreed, "duration", res.Duration)
	}
	run.UpdatedAt = s.col.now()
	if uerr := s.store.UpdateGCRun(context.WithoutCancel(ctx), run); uerr != nil {
		s.log.Error("gc: record run", "id", run.ID, "err", uerr)
	}
	return run, err
}

// Wait waits for the runs Start began.
func (s *Service) Wait() { s.wg.Wait() }

// Schedule returns the schedule in force: the one set through the API, or
// the configured interval as Custom "@every ..." (None when off).
func (s *Service) Schedule(ctx context.Context) (meta.GCSchedule, error) {
	g, err := s.store.GCSchedule(ctx)
	if err == nil {
		return g, nil
	}
	if !errors.Is(err, meta.ErrNotFound) {
		return meta.GCSchedule{}, err
	}
	if s.opt.Interval <= 0 {
		return meta.GCSchedule{Type: ScheduleNone}, nil
	}
	return meta.GCSchedule{Type: ScheduleCustom, Cron: "@every " + s.opt.Interval.String(), DeleteUntagged: s.opt.DeleteUntagged}, nil
}

// SetSchedule validates and stores a schedule (Hourly, Daily, Weekly,
// Custom with a cron, or None).
func (s *Service) SetSchedule(ctx context.Context, g meta.GCSchedule) error {
	switch g.Type {
	case ScheduleNone:
		g.Cron = ""
	case ScheduleHourly, ScheduleDaily, ScheduleWeekly:
		g.Cron = presetCron[g.Type]
	case ScheduleCustom:
		if _, err := ParseSpec(g.Cron); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidSchedule, err)
		}
	default:
		return fmt.Errorf("%w: unknown type %q (None, Hourly, Daily, Weekly, Custom, Manual)", ErrInvalidSchedule, g.Type)
	}
	g.UpdatedAt = s.col.now()
	return s.store.SetGCSchedule(ctx, g)
}

// NextRun returns when the next scheduled run is due (zero: never).
func (s *Service) NextRun(ctx context.Context) (time.Time, meta.GCSchedule, error) {
	g, err := s.Schedule(ctx)
	if err != nil || g.Type == ScheduleNone {
		return time.Time{}, g, err
	}
	spec, err := ParseSpec(g.Cron)
	if err != nil {
		return time.Time{}, g, err
	}
	last := s.started
	if !g.UpdatedAt.IsZero() && g.UpdatedAt.After(last) {
		last = g.UpdatedAt
	}
	if r, err := s.store.LastGCRun(ctx, KindSchedule); err == nil {
		if g.UpdatedAt.IsZero() || r.CreatedAt.After(g.UpdatedAt) {
			last = r.CreatedAt
		}
	} else if !errors.Is(err, meta.ErrNotFound) {
		return time.Time{}, g, err
	}
	return spec.Next(last), g, nil
}

// RunScheduler runs scheduled collections until ctx ends. Several replicas
// may run it: the lease lets one collect, and the history tells the others
// the run is done.
func (s *Service) RunScheduler(ctx context.Context) {
	t := time.NewTicker(s.opt.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next, g, err := s.NextRun(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("gc: schedule", "err", err)
			}
			continue
		}
		if next.IsZero() || s.col.now().Before(next) {
			continue
		}
		_, err = s.RunNow(ctx, KindSchedule, Params{DryRun: g.DryRun, DeleteUntagged: g.DeleteUntagged})
		if err != nil && !errors.Is(err, ErrLocked) && ctx.Err() == nil {
			s.log.Warn("gc: scheduled run", "err", err)
		}
	}
}
