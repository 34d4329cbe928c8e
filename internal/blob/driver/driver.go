// Package driver defines the small path-based interface blob storage backends
// implement. Paths are slash-separated and relative to the backend's root.
// A backend is shaped so that object stores fit: writers are append-only and
// resumable, and moving an object is an optional capability (Mover) — a
// backend without it leaves finished uploads where they were written and the
// blob store records that location, so finishing an upload never copies bytes.
package driver

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned (wrapped) when a path does not exist.
var ErrNotFound = errors.New("driver: path not found")

// Info describes a stored object.
type Info struct {
	Path    string
	Size    int64
	ModTime time.Time
}

// Driver stores byte objects by path.
type Driver interface {
	// Stat returns the object's info, or ErrNotFound.
	Stat(ctx context.Context, path string) (Info, error)
	// Reader opens the object for reading from offset, or ErrNotFound.
	// Filesystem readers are *os.File so that io.Copy can use sendfile.
	Reader(ctx context.Context, path string, offset int64) (io.ReadCloser, error)
	// Writer opens a writer for path. With append, writing continues at the
	// end of the existing object (ErrNotFound if it does not exist); without,
	// the object is created or truncated. Nothing written is guaranteed
	// durable until Commit returns.
	Writer(ctx context.Context, path string, append bool) (FileWriter, error)
	// Delete removes the object. ErrNotFound if absent.
	Delete(ctx context.Context, path string) error
}

// FileWriter writes one object.
type FileWriter interface {
	io.Writer
	// Close stops writing, keeping what was written so that a later
	// Writer(append=true) can continue.
	io.Closer
	// Size returns the object's total size including bytes written so far.
	Size() int64
	// Cancel discards the object.
	Cancel(ctx context.Context) error
	// Commit makes everything written durable (fsync) and closes the writer.
	Commit(ctx context.Context) error
}

// Mover is implemented by drivers that can move an object atomically and
// cheaply (a rename). Move makes the destination durable (directory fsync)
// before returning, and replaces any existing destination.
type Mover interface {
	Move(ctx context.Context, from, to string) error
}

// Walker is implemented by drivers that can list objects under a prefix; it
// is used only to find orphans left by crashes, never to serve requests.
type Walker interface {
	Walk(ctx context.Context, prefix string, fn func(Info) error) error
}
