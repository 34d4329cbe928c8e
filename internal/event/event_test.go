package event_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/berth-oci/berth/internal/event"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/meta/sqlstore"
)

func TestAuditOf(t *testing.T) {
	d := digest.FromString("m")
	tests := []struct {
		name string
		ev   event.Event
		want meta.AuditEvent
	}{
		{
			name: "pull by tag",
			ev:   event.Event{Kind: event.Pull, Repository: "team/app", Tag: "v1", Digest: d, Actor: "alice", ActorKind: "user", RemoteAddr: "10.0.0.1"},
			want: meta.AuditEvent{Username: "alice", PrincipalKind: "user", Operation: "pull", ResourceType: "artifact",
				Resource: "team/app:v1", Project: "team", RemoteAddr: "10.0.0.1", Detail: map[string]string{"digest": d.String()}},
		},
		{
			name: "anonymous delete by digest",
			ev:   event.Event{Kind: event.Delete, Repository: "library/x", Digest: d},
			want: meta.AuditEvent{PrincipalKind: "anonymous", Operation: "delete", ResourceType: "artifact",
				Resource: "library/x@" + d.String(), Project: "library", Detail: map[string]string{"digest": d.String()}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := event.AuditOf(tt.ev)
			got.OccurredAt = time.Time{}
			if got.Resource != tt.want.Resource || got.Project != tt.want.Project || got.Operation != tt.want.Operation ||
				got.PrincipalKind != tt.want.PrincipalKind || got.Username != tt.want.Username || got.Detail["digest"] != tt.want.Detail["digest"] {
				t.Errorf("AuditOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestRecorderWritesBatches records events into a real SQLite store and
// checks that the audit log and pull counts hold them after Run returns.
func TestRecorderWritesBatches(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "m.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// A manifest to pull.
	body := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`)
	d := digest.FromBytes(body)
	if err := store.PutManifest(ctx, meta.Manifest{Repository: "p/r", Digest: d, MediaType: "application/vnd.oci.image.index.v1+json", Size: int64(len(body)), Payload: body}, "v1"); err != nil {
		t.Fatal(err)
	}
	rec := event.NewRecorder(store, slog.New(slog.DiscardHandler), event.Options{Batch: 3, Interval: time.Hour})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { rec.Run(runCtx); close(done) }()
	for range 7 {
		rec.Record(event.Event{Kind: event.Pull, Repository: "p/r", Digest: d, Tag: "v1", Actor: "bob", ActorKind: "user"})
	}
	rec.Record(event.Event{Kind: event.Push, Repository: "p/r", Digest: d, Tag: "v1", Actor: "bob", ActorKind: "user"})
	cancel() // Run drains the queue before it returns
	<-done
	n, err := store.CountAudit(ctx, meta.AuditFilter{Project: "p"})
	if err != nil || n != 8 {
		t.Errorf("audit events = %d, %v; want 8", n, err)
	}
	st, err := store.GetArtifactStats(ctx, "p/r", d)
	if err != nil || st.PullCount != 7 {
		t.Errorf("pull count = %+v, %v; want 7", st, err)
	}
	if rec.Dropped() != 0 {
		t.Errorf("dropped %d", rec.Dropped())
	}
}

func TestRecorderSkipPullAudit(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "m.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	body := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`)
	d := digest.FromBytes(body)
	if err := store.PutManifest(ctx, meta.Manifest{Repository: "p/r", Digest: d, MediaType: "application/vnd.oci.image.index.v1+json", Size: int64(len(body)), Payload: body}, "v1"); err != nil {
		t.Fatal(err)
	}
	rec := event.NewRecorder(store, slog.New(slog.DiscardHandler), event.Options{SkipPullAudit: true})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { rec.Run(runCtx); close(done) }()
	rec.Record(event.Event{Kind: event.Pull, Repository: "p/r", Digest: d})
	rec.Record(event.Event{Kind: event.Pull, Repository: "p/r", Digest: d})
	rec.Record(event.Event{Kind: event.Delete, Repository: "p/r", Digest: d})
	cancel()
	<-done
	if n, _ := store.CountAudit(ctx, meta.AuditFilter{}); n != 1 {
		t.Errorf("audit events = %d, want only the delete", n)
	}
	if st, err := store.GetArtifactStats(ctx, "p/r", d); err != nil || st.PullCount != 2 {
		t.Errorf("pulls still counted: %+v, %v; want 2", st, err)
	}
}

func TestRecorderDropsWhenFull(t *testing.T) {
	rec := event.NewRecorder(nil, slog.New(slog.DiscardHandler), event.Options{Buffer: 2})
	for range 5 {
		rec.Record(event.Event{Kind: event.Pull})
	}
	if got := rec.Dropped(); got != 3 {
		t.Errorf("Dropped = %d, want 3", got)
	}
}
