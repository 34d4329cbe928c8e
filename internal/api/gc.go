package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/gc"
	"github.com/berth-oci/berth/internal/meta"
)

// GCService is what the garbage collection routes need (gc.Service).
type GCService interface {
	Start(ctx context.Context, kind string, p gc.Params) (meta.GCRun, error)
	Schedule(ctx context.Context) (meta.GCSchedule, error)
	SetSchedule(ctx context.Context, g meta.GCSchedule) error
	NextRun(ctx context.Context) (time.Time, meta.GCSchedule, error)
}

// gcRoutes registers Harbor's /system/gc routes. Without a GC service
// (Deps.GC) the history still reads, and starting or scheduling runs is 503.
func (a *API) gcRoutes() {
	a.handle("GET /system/gc", "gc_history", a.gcHistory)
	a.handle("GET /system/gc/{gc_id}", "gc_run", a.gcRun)
	a.handle("GET /system/gc/{gc_id}/log", "gc_log", a.gcLog)
	a.handle("GET /system/gc/schedule", "gc_schedule", a.gcSchedule)
	a.handle("POST /system/gc/schedule", "gc_schedule_create", a.gcSetSchedule)
	a.handle("PUT /system/gc/schedule", "gc_schedule_update", a.gcSetSchedule)
}

// gcParamsJSON are the job parameters, as Harbor's GC jobs take them.
type gcParamsJSON struct {
	DeleteUntagged bool `json:"delete_untagged"`
	DryRun         bool `json:"dry_run"`
}

// gcRunJSON is Harbor's GCHistory, with Berth's counts added.
type gcRunJSON struct {
	ID               int64      `json:"id"`
	JobName          string     `json:"job_name"`
	JobKind          string     `json:"job_kind"`
	JobParameters    string     `json:"job_parameters"`
	Schedule         *schedJSON `json:"schedule"`
	JobStatus        string     `json:"job_status"`
	Deleted          bool       `json:"deleted"`
	CreationTime     harborTime `json:"creation_time"`
	UpdateTime       harborTime `json:"update_time"`
	LinksDeleted     int64      `json:"links_deleted"`
	BlobsDeleted     int64      `json:"blobs_deleted"`
	ManifestsDeleted int64      `json:"manifests_deleted"`
	OrphansDeleted   int64      `json:"orphans_deleted"`
	FreedSpace       int64      `json:"freed_space"`
}

type schedJSON struct {
	Type              string      `json:"type"`
	Cron              string      `json:"cron,omitempty"`
	NextScheduledTime *harborTime `json:"next_scheduled_time,omitempty"`
}

func gcRunOut(r meta.GCRun) gcRunJSON {
	params, _ := json.Marshal(gcParamsJSON{DeleteUntagged: r.DeleteUntagged, DryRun: r.DryRun})
	return gcRunJSON{
		ID: r.ID, JobName: "GARBAGE_COLLECTION", JobKind: r.Kind, JobParameters: string(params),
		JobStatus: r.Status, Deleted: !r.DryRun && r.Status == gc.StatusSuccess,
		CreationTime: harborTime(r.CreatedAt), UpdateTime: harborTime(r.UpdatedAt),
		LinksDeleted: r.LinksDeleted, BlobsDeleted: r.BlobsDeleted, ManifestsDeleted: r.ManifestsDeleted,
		OrphansDeleted: r.OrphansDeleted, FreedSpace: r.BytesFreed,
	}
}

// gcService returns the GC service, or the 503 to answer without one.
func (a *API) gcService() (GCService, error) {
	if a.hooks.GC == nil {
		return nil, newError(http.StatusServiceUnavailable, CodeInternal, "garbage collection is not available")
	}
	return a.hooks.GC, nil
}

// gcHistory is GET /system/gc: the runs, newest first.
func (a *API) gcHistory(w http.ResponseWriter, r *http.Request) error {
	if err := a.authorize(r, access.ActionSystemRead, access.Resource{}); err != nil {
		return err
	}
	return servePage(w, r, a.store.CountGCRuns, a.store.ListGCRuns, gcRunOut)
}

func (a *API) gcRunOf(r *http.Request) (meta.GCRun, error) {
	if err := a.authorize(r, access.ActionSystemRead, access.Resource{}); err != nil {
		return meta.GCRun{}, err
	}
	id, err := strconv.ParseInt(r.PathValue("gc_id"), 10, 64)
	if err != nil || id <= 0 {
		return meta.GCRun{}, badRequest("gc_id must be a positive integer")
	}
	run, err := a.store.GetGCRun(r.Context(), id)
	return run, storeError(err, "gc run "+r.PathValue("gc_id"))
}

// gcRun is GET /system/gc/{gc_id}.
func (a *API) gcRun(w http.ResponseWriter, r *http.Request) error {
	run, err := a.gcRunOf(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, gcRunOut(run))
	return nil
}

// gcLog is GET /system/gc/{gc_id}/log: the run's log as text.
func (a *API) gcLog(w http.ResponseWriter, r *http.Request) error {
	run, err := a.gcRunOf(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(run.Log))
	return nil
}

// gcScheduleJSON is the body of the schedule routes (Harbor's Schedule).
type gcScheduleJSON struct {
	Schedule      *schedJSON    `json:"schedule"`
	Parameters    *gcParamsJSON `json:"parameters,omitempty"`
	JobParameters string        `json:"job_parameters,omitempty"`
	UpdateTime    *harborTime   `json:"update_time,omitempty"`
}

// gcSchedule is GET /system/gc/schedule.
func (a *API) gcSchedule(w http.ResponseWriter, r *http.Request) error {
	if err := a.authorize(r, access.ActionSystemRead, access.Resource{}); err != nil {
		return err
	}
	svc, err := a.gcService()
	if err != nil {
		return err
	}
	next, g, err := svc.NextRun(r.Context())
	if err != nil {
		return err
	}
	p := gcParamsJSON{DeleteUntagged: g.DeleteUntagged, DryRun: g.DryRun}
	params, _ := json.Marshal(p)
	out := gcScheduleJSON{Schedule: &schedJSON{Type: g.Type, Cron: g.Cron}, Parameters: &p, JobParameters: string(params)}
	if !next.IsZero() {
		t := harborTime(next)
		out.Schedule.NextScheduledTime = &t
	}
	if !g.UpdatedAt.IsZero() {
		t := harborTime(g.UpdatedAt)
		out.UpdateTime = &t
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// gcSetSchedule is POST (and PUT) /system/gc/schedule: type Manual starts
// a run now (201, Location of the run); the others store the schedule.
func (a *API) gcSetSchedule(w http.ResponseWriter, r *http.Request) error {
	if err := a.authorize(r, access.ActionSystemWrite, access.Resource{}); err != nil {
		return err
	}
	svc, err := a.gcService()
	if err != nil {
		return err
	}
	var body gcScheduleJSON
	if err := decodeJSON(w, r, &body); err != nil {
		return err
	}
	if body.Schedule == nil || body.Schedule.Type == "" {
		return badRequest("schedule.type is required")
	}
	var p gcParamsJSON
	if body.Parameters != nil {
		p = *body.Parameters
	}
	if body.Schedule.Type == gc.ScheduleManual {
		run, err := svc.Start(r.Context(), gc.KindManual, gc.Params{DryRun: p.DryRun, DeleteUntagged: p.DeleteUntagged})
		if errors.Is(err, gc.ErrLocked) {
			return conflict("a garbage collection is already running")
		}
		if err != nil {
			return err
		}
		a.audit(r, meta.AuditEvent{ResourceType: "gc", Resource: strconv.FormatInt(run.ID, 10), Operation: "create"})
		w.Header().Set("Location", Prefix+"/system/gc/"+strconv.FormatInt(run.ID, 10))
		w.WriteHeader(http.StatusCreated)
		return nil
	}
	err = svc.SetSchedule(r.Context(), meta.GCSchedule{
		Type: body.Schedule.Type, Cron: body.Schedule.Cron, DeleteUntagged: p.DeleteUntagged, DryRun: p.DryRun,
	})
	if errors.Is(err, gc.ErrInvalidSchedule) {
		return badRequest("%v", err)
	}
	if err != nil {
		return err
	}
	a.audit(r, meta.AuditEvent{ResourceType: "gc", Resource: "schedule", Operation: "update"})
	if r.Method == http.MethodPost {
		w.WriteHeader(http.StatusCreated)
	} else {
		w.WriteHeader(http.StatusOK)
	}
	return nil
}
