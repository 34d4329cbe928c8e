package project

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/meta/sqlstore"
)

func TestCache(t *testing.T) {
	ctx := context.Background()
	store, err := sqlstore.Open(ctx, "sqlite", filepath.Join(t.TempDir(), "m.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	c := NewCache(store, time.Minute)
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }

	if info, err := c.Lookup(ctx, "team"); err != nil || info.Exists {
		t.Fatalf("missing project = %+v, %v", info, err)
	}
	p, err := store.CreateProject(ctx, meta.Project{Name: "team", Public: true})
	if err != nil {
		t.Fatal(err)
	}
	// The negative answer is remembered for the TTL...
	if info, _ := c.Lookup(ctx, "team"); info.Exists {
		t.Fatalf("cached miss forgotten early: %+v", info)
	}
	// ...unless invalidated.
	c.Invalidate("team")
	if info, _ := c.Lookup(ctx, "team"); !info.Exists || !info.Public || info.ID != p.ID {
		t.Fatalf("after Invalidate = %+v, want public project %d", info, p.ID)
	}
	p.Public = false
	if _, err := store.UpdateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	if info, _ := c.Lookup(ctx, "team"); !info.Public {
		t.Fatalf("answer changed within the TTL: %+v", info)
	}
	now = now.Add(2 * time.Minute)
	if info, _ := c.Lookup(ctx, "team"); info.Public {
		t.Fatalf("answer kept beyond the TTL: %+v", info)
	}
	// Ensure creates a private project once and answers for it at once.
	info, err := c.Ensure(ctx, "auto")
	if err != nil || !info.Exists || info.Public {
		t.Fatalf("Ensure = %+v, %v", info, err)
	}
	again, err := c.Ensure(ctx, "auto")
	if err != nil || again.ID != info.ID {
		t.Fatalf("second Ensure = %+v, %v; want the same project", again, err)
	}
}
