// Package project answers the questions the request path asks about
// projects, fast: does the project of a repository exist, is it public.
// Answers are cached for a short TTL so that a manifest GET does not cost a
// database round trip; a change made through the API on this replica
// invalidates its entry at once, other replicas see it within the TTL.
package project

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/berth-oci/berth/internal/meta"
)

// Store is what the cache reads.
type Store interface {
	GetProjectByName(ctx context.Context, name string) (meta.Project, error)
	EnsureProject(ctx context.Context, name string, public bool) (meta.Project, bool, error)
}

// Info is what the request path needs to know about a project.
type Info struct {
	Exists bool
	Public bool
	ID     int64
}

// DefaultTTL is how long an answer is reused.
const DefaultTTL = 5 * time.Second

const maxEntries = 16384

// Cache looks projects up by name. It is safe for concurrent use.
type Cache struct {
	store Store
	ttl   time.Duration
	now   func() time.Time

	mu      sync.RWMutex
	entries map[string]entry
}

type entry struct {
	info    Info
	expires time.Time
}

// NewCache returns a Cache over store; ttl <= 0 means DefaultTTL.
func NewCache(store Store, ttl time.Duration) *Cache {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Cache{store: store, ttl: ttl, now: time.Now, entries: map[string]entry{}}
}

// Lookup returns what is known of project name.
func (c *Cache) Lookup(ctx context.Context, name string) (Info, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[name]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		return e.info, nil
	}
	p, err := c.store.GetProjectByName(ctx, name)
	var info Info
	switch {
	case errors.Is(err, meta.ErrNotFound):
	case err != nil:
		return Info{}, err
	default:
		info = Info{Exists: true, Public: p.Public, ID: p.ID}
	}
	c.put(name, info, now)
	return info, nil
}

// Ensure creates project name (private) unless it exists, for registries
// configured to create projects on first push, and returns it.
func (c *Cache) Ensure(ctx context.Context, name string) (Info, error) {
	p, _, err := c.store.EnsureProject(ctx, name, false)
	if err != nil {
		return Info{}, err
	}
	info := Info{Exists: true, Public: p.Public, ID: p.ID}
	c.put(name, info, c.now())
	return info, nil
}

// Invalidate forgets project name, after it was created, changed or deleted.
func (c *Cache) Invalidate(name string) {
	c.mu.Lock()
	delete(c.entries, name)
	c.mu.Unlock()
}

func (c *Cache) put(name string, info Info, now time.Time) {
	c.mu.Lock()
	if len(c.entries) >= maxEntries {
		clear(c.entries)
	}
	c.entries[name] = entry{info: info, expires: now.Add(c.ttl)}
	c.mu.Unlock()
}
