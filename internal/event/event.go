// Package event carries what happened to artifacts (push, pull, delete)
// from the request path to whatever records it: the audit log and pull
// statistics now, webhooks later. Recording never slows a request down:
// Recorder.Record hands the event to a buffered channel and a background
// goroutine writes batches.
package event

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/berth-oci/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

// Kind is what happened.
type Kind string

// Event kinds.
const (
	Push   Kind = meta.OpPush
	Pull   Kind = meta.OpPull
	Delete Kind = meta.OpDelete
)

// Event is one thing that happened to an artifact.
type Event struct {
	Kind       Kind
	At         time.Time
	Repository string
	Digest     digest.Digest
	Tag        string // the tag named in the request, if any
	MediaType  string
	Actor      string // user or robot name; "" for anonymous
	ActorKind  string // "user", "robot", "anonymous"
	RemoteAddr string
}

// Sink is where batches go.
type Sink interface {
	AppendAudit(ctx context.Context, events ...meta.AuditEvent) error
	RecordPulls(ctx context.Context, pulls ...meta.Pull) error
}

// Options tune a Recorder.
type Options struct {
	// Buffer is how many events may wait; beyond it events are dropped
	// (and counted) rather than blocking requests. Default 8192.
	Buffer int
	// Batch is the largest batch written at once. Default 512.
	Batch int
	// Interval is the longest an event waits before being written.
	// Default 1s.
	Interval time.Duration
	// SkipPullAudit keeps pulls out of the audit log (they are still
	// counted in the pull statistics): on a busy registry pulls are most
	// of the audit log's writes.
	SkipPullAudit bool
}

// Recorder batches events into the audit log and pull statistics.
type Recorder struct {
	sink    Sink
	log     *slog.Logger
	opt     Options
	ch      chan Event
	dropped atomic.Int64
}

// NewRecorder returns a Recorder; start it with Run.
func NewRecorder(sink Sink, log *slog.Logger, opt Options) *Recorder {
	if opt.Buffer <= 0 {
		opt.Buffer = 8192
	}
	if opt.Batch <= 0 {
		opt.Batch = 512
	}
	if opt.Interval <= 0 {
		opt.Interval = time.Second
	}
	return &Recorder{sink: sink, log: log, opt: opt, ch: make(chan Event, opt.Buffer)}
}

// Record queues ev without blocking.
func (r *Recorder) Record(ev Event) {
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	select {
	case r.ch <- ev:
	default:
		if n := r.dropped.Add(1); n == 1 || n%1000 == 0 {
			r.log.Warn("event buffer full: events dropped", "dropped", n)
		}
	}
}

// Dropped returns how many events were dropped because the buffer was full.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

// Run writes batches until ctx is canceled, then writes what is queued and
// returns.
func (r *Recorder) Run(ctx context.Context) {
	t := time.NewTicker(r.opt.Interval)
	defer t.Stop()
	batch := make([]Event, 0, r.opt.Batch)
	for {
		select {
		case ev := <-r.ch:
			batch = append(batch, ev)
			if len(batch) < r.opt.Batch {
				continue
			}
		case <-t.C:
		case <-ctx.Done():
			for {
				select {
				case ev := <-r.ch:
					batch = append(batch, ev)
					if len(batch) == r.opt.Batch {
						r.flush(context.WithoutCancel(ctx), batch)
						batch = batch[:0]
					}
				default:
					r.flush(context.WithoutCancel(ctx), batch)
					return
				}
			}
		}
		if len(batch) > 0 {
			// Not ctx: a batch taken from the queue is written even if
			// shutdown began meanwhile.
			r.flush(context.WithoutCancel(ctx), batch)
			batch = batch[:0]
		}
	}
}

// flush writes one batch.
func (r *Recorder) flush(ctx context.Context, batch []Event) {
	if len(batch) == 0 {
		return
	}
	audit := make([]meta.AuditEvent, 0, len(batch))
	// Pulls of the same artifact in one batch become one counter update.
	type key struct {
		repo string
		d    digest.Digest
	}
	index := map[key]int{}
	var pulls []meta.Pull
	for _, ev := range batch {
		if ev.Kind != Pull || !r.opt.SkipPullAudit {
			audit = append(audit, AuditOf(ev))
		}
		if ev.Kind != Pull || ev.Digest == "" {
			continue
		}
		k := key{ev.Repository, ev.Digest}
		if i, ok := index[k]; ok {
			pulls[i].Count++
			if ev.At.After(pulls[i].At) {
				pulls[i].At = ev.At
			}
			continue
		}
		index[k] = len(pulls)
		pulls = append(pulls, meta.Pull{Repository: ev.Repository, Digest: ev.Digest, At: ev.At, Count: 1})
	}
	if err := r.sink.AppendAudit(ctx, audit...); len(audit) > 0 && err != nil {
		r.log.Error("write audit events", "events", len(audit), "err", err)
	}
	if len(pulls) > 0 {
		if err := r.sink.RecordPulls(ctx, pulls...); err != nil {
			r.log.Error("record pulls", "pulls", len(pulls), "err", err)
		}
	}
}

// AuditOf returns the audit record of ev.
func AuditOf(ev Event) meta.AuditEvent {
	res := ev.Repository
	switch {
	case ev.Tag != "":
		res += ":" + ev.Tag
	case ev.Digest != "":
		res += "@" + ev.Digest.String()
	}
	kind := ev.ActorKind
	if kind == "" {
		kind = "anonymous"
	}
	var detail map[string]string
	if ev.Digest != "" || ev.MediaType != "" {
		detail = map[string]string{}
		if ev.Digest != "" {
			detail["digest"] = ev.Digest.String()
		}
		if ev.MediaType != "" {
			detail["media_type"] = ev.MediaType
		}
	}
	return meta.AuditEvent{
		OccurredAt: ev.At, Username: ev.Actor, PrincipalKind: kind, Operation: string(ev.Kind),
		ResourceType: "artifact", Resource: res, Project: meta.ProjectOf(ev.Repository),
		RemoteAddr: ev.RemoteAddr, Detail: detail,
	}
}
