package blob_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/berth-oci/berth/internal/blob"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/opencontainers/go-digest"
)

// fakeMeta is an in-memory blob.Meta, a fake at the seam while the SQL store
// is written: it keeps the contract of meta.Blobs and meta.Uploads (ErrNotFound,
// ErrConflict, CommitBlob's existed, UpdateUpload's compare-and-swap).
type fakeMeta struct {
	mu      sync.Mutex
	blobs   map[digest.Digest]meta.Blob
	links   map[string]map[digest.Digest]bool
	uploads map[string]meta.Upload
}

var _ blob.Meta = (*fakeMeta)(nil)

func newFakeMeta() *fakeMeta {
	return &fakeMeta{
		blobs:   make(map[digest.Digest]meta.Blob),
		links:   make(map[string]map[digest.Digest]bool),
		uploads: make(map[string]meta.Upload),
	}
}

func notFound(what string) error { return fmt.Errorf("%s: %w", what, meta.ErrNotFound) }

func (f *fakeMeta) GetBlob(_ context.Context, d digest.Digest) (meta.Blob, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.blobs[d]
	if !ok {
		return meta.Blob{}, notFound("blob " + d.String())
	}
	return b, nil
}

func (f *fakeMeta) RepoBlob(_ context.Context, repo string, d digest.Digest) (meta.Blob, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.links[repo][d] {
		return meta.Blob{}, notFound("blob " + d.String() + " in " + repo)
	}
	return f.blobs[d], nil
}

func (f *fakeMeta) link(repo string, d digest.Digest) {
	if f.links[repo] == nil {
		f.links[repo] = make(map[digest.Digest]bool)
	}
	f.links[repo][d] = true
}

func (f *fakeMeta) CommitBlob(_ context.Context, repo string, b meta.Blob) (meta.Blob, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	existed := false
	if old, ok := f.blobs[b.Digest]; ok {
		old.LastTouched = b.LastTouched
		b, existed = old, true
	}
	f.blobs[b.Digest] = b
	f.link(repo, b.Digest)
	return b, existed, nil
}

func (f *fakeMeta) LinkBlob(_ context.Context, repo string, d digest.Digest) (meta.Blob, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.blobs[d]
	if !ok {
		return meta.Blob{}, notFound("blob " + d.String())
	}
	f.link(repo, d)
	return b, nil
}

func (f *fakeMeta) UnlinkBlob(_ context.Context, repo string, d digest.Digest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.links[repo][d] {
		return notFound("blob " + d.String() + " in " + repo)
	}
	delete(f.links[repo], d)
	return nil
}

func (f *fakeMeta) CreateUpload(_ context.Context, u meta.Upload) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.uploads[u.ID]; ok {
		return fmt.Errorf("upload %s: %w", u.ID, meta.ErrConflict)
	}
	f.uploads[u.ID] = cloneUpload(u)
	return nil
}

func (f *fakeMeta) GetUpload(_ context.Context, repo, id string) (meta.Upload, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.uploads[id]
	if !ok || u.Repository != repo {
		return meta.Upload{}, notFound("upload " + id)
	}
	return cloneUpload(u), nil
}

func (f *fakeMeta) UpdateUpload(_ context.Context, u meta.Upload, prevOffset int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	old, ok := f.uploads[u.ID]
	if !ok || old.Repository != u.Repository {
		return notFound("upload " + u.ID)
	}
	if old.Offset != prevOffset {
		return fmt.Errorf("upload %s at %d, not %d: %w", u.ID, old.Offset, prevOffset, meta.ErrConflict)
	}
	old.Offset, old.HashState, old.Algorithm, old.UpdatedAt = u.Offset, slices.Clone(u.HashState), u.Algorithm, u.UpdatedAt
	f.uploads[u.ID] = old
	return nil
}

func (f *fakeMeta) DeleteUpload(_ context.Context, repo, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.uploads[id]
	if !ok || u.Repository != repo {
		return notFound("upload " + id)
	}
	delete(f.uploads, id)
	return nil
}

func (f *fakeMeta) ExpiredUploads(_ context.Context, before time.Time, limit int) ([]meta.Upload, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []meta.Upload
	for _, u := range f.uploads {
		if u.UpdatedAt.Before(before) {
			out = append(out, cloneUpload(u))
		}
	}
	slices.SortFunc(out, func(a, b meta.Upload) int { return a.UpdatedAt.Compare(b.UpdatedAt) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (f *fakeMeta) numUploads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.uploads)
}

func cloneUpload(u meta.Upload) meta.Upload {
	u.HashState = slices.Clone(u.HashState)
	return u
}
