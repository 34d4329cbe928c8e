package inmemory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/berth-oci/berth/internal/blob/driver"
)

// ErrInvalidPath is returned (wrapped) for a path that is not a clean,
// relative, slash-separated path.
var ErrInvalidPath = errors.New("inmemory: invalid path")

// Compile-time interface guards.
var (
	_ driver.Driver     = (*Driver)(nil)
	_ driver.Walker     = (*Driver)(nil)
	_ driver.FileWriter = (*writer)(nil)
)

// Driver keeps objects in memory.
type Driver struct {
	mu   sync.RWMutex
	objs map[string]*object
}

// object is one stored object. Bytes already in data are never modified,
// only appended to, so a reader can hold a prefix of data without a lock.
type object struct {
	data []byte
	mod  time.Time
}

// New returns an empty Driver.
func New() *Driver { return &Driver{objs: make(map[string]*object)} }

func name(p string) (string, error) {
	if p == "" || p == "." || !fs.ValidPath(p) {
		return "", fmt.Errorf("%w: %q", ErrInvalidPath, p)
	}
	return p, nil
}

func notFound(op, p string) error {
	return fmt.Errorf("inmemory: %s %s: %w", op, p, driver.ErrNotFound)
}

// Stat returns the object's info, or driver.ErrNotFound.
func (d *Driver) Stat(ctx context.Context, p string) (driver.Info, error) {
	if err := ctx.Err(); err != nil {
		return driver.Info{}, err
	}
	n, err := name(p)
	if err != nil {
		return driver.Info{}, err
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	o, ok := d.objs[n]
	if !ok {
		return driver.Info{}, notFound("stat", n)
	}
	return driver.Info{Path: n, Size: int64(len(o.data)), ModTime: o.mod}, nil
}

// Reader returns a reader of the object's bytes from offset, as they are
// now. driver.ErrNotFound if absent.
func (d *Driver) Reader(ctx context.Context, p string, offset int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n, err := name(p)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("inmemory: read %s: negative offset %d", n, offset)
	}
	d.mu.RLock()
	o, ok := d.objs[n]
	var data []byte
	if ok {
		data = o.data[:len(o.data):len(o.data)]
	}
	d.mu.RUnlock()
	if !ok {
		return nil, notFound("open", n)
	}
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	return io.NopCloser(bytes.NewReader(data[offset:])), nil
}

// Writer opens a writer for p; see driver.Driver.
func (d *Driver) Writer(ctx context.Context, p string, append bool) (driver.FileWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n, err := name(p)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	o, ok := d.objs[n]
	if append {
		if !ok {
			return nil, notFound("open", n)
		}
	} else {
		o = &object{mod: time.Now()}
		d.objs[n] = o
	}
	return &writer{d: d, name: n, o: o, size: int64(len(o.data))}, nil
}

// Delete removes the object, or returns driver.ErrNotFound.
func (d *Driver) Delete(ctx context.Context, p string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n, err := name(p)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.objs[n]; !ok {
		return notFound("delete", n)
	}
	delete(d.objs, n)
	return nil
}

// Walk calls fn for every object under the directory prefix ("" for all),
// in lexical order, over a snapshot taken when Walk starts.
func (d *Driver) Walk(ctx context.Context, prefix string, fn func(driver.Info) error) error {
	if prefix != "" {
		if _, err := name(prefix); err != nil {
			return err
		}
	}
	d.mu.RLock()
	var infos []driver.Info
	for p, o := range d.objs {
		if prefix == "" || strings.HasPrefix(p, prefix+"/") {
			infos = append(infos, driver.Info{Path: p, Size: int64(len(o.data)), ModTime: o.mod})
		}
	}
	d.mu.RUnlock()
	slices.SortFunc(infos, func(a, b driver.Info) int { return strings.Compare(a.Path, b.Path) })
	for _, i := range infos {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(i); err != nil {
			return fmt.Errorf("inmemory: walk %q: %w", prefix, err)
		}
	}
	return nil
}

// Len returns the number of stored objects (tests).
func (d *Driver) Len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.objs)
}

var errWriterDone = errors.New("inmemory: writer already closed")

// writer appends to one object; writes are visible as they happen, as on a
// filesystem.
type writer struct {
	d    *Driver
	name string
	o    *object
	size int64
	done bool
}

func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errWriterDone
	}
	w.d.mu.Lock()
	w.o.data = append(w.o.data, p...)
	w.o.mod = time.Now()
	w.d.mu.Unlock()
	w.size += int64(len(p))
	return len(p), nil
}

func (w *writer) Size() int64 { return w.size }

func (w *writer) Close() error {
	if w.done {
		return errWriterDone
	}
	w.done = true
	return nil
}

func (w *writer) Commit(ctx context.Context) error { return w.Close() }

func (w *writer) Cancel(ctx context.Context) error {
	w.done = true
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	if w.d.objs[w.name] == w.o {
		delete(w.d.objs, w.name)
	}
	return nil
}
