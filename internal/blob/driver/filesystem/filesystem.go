package filesystem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"

	"github.com/berth-oci/berth/internal/blob/driver"
)

// ErrInvalidPath is returned (wrapped) for a path that is not a clean,
// relative, slash-separated path inside the root ("../x", "/x", "a//b").
var ErrInvalidPath = errors.New("filesystem: invalid path")

// Compile-time interface guards.
var (
	_ driver.Driver     = (*Driver)(nil)
	_ driver.Mover      = (*Driver)(nil)
	_ driver.Walker     = (*Driver)(nil)
	_ driver.FileWriter = (*fileWriter)(nil)
)

const (
	dirPerm  = 0o755
	filePerm = 0o644
	// createRetries bounds how often creating a file or renaming into a
	// directory is retried when a concurrent Delete pruned the directory
	// between our MkdirAll and the operation.
	createRetries = 5
)

// Driver stores objects as files under a root directory.
type Driver struct {
	root *os.Root
}

// New returns a Driver rooted at root, creating the directory if needed.
func New(root string) (*Driver, error) {
	if root == "" {
		return nil, fmt.Errorf("filesystem: empty root directory")
	}
	if err := os.MkdirAll(root, dirPerm); err != nil {
		return nil, fmt.Errorf("filesystem: create root: %w", err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("filesystem: open root: %w", err)
	}
	return &Driver{root: r}, nil
}

// Close releases the root directory handle. Readers already returned stay
// usable.
func (d *Driver) Close() error { return d.root.Close() }

// name validates an object path: clean, relative and slash-separated.
func name(p string) (string, error) {
	if p == "" || p == "." || !fs.ValidPath(p) {
		return "", fmt.Errorf("%w: %q", ErrInvalidPath, p)
	}
	return p, nil
}

// wrap turns a "does not exist" error into driver.ErrNotFound.
func wrap(op, p string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("filesystem: %s %s: %w", op, p, driver.ErrNotFound)
	}
	return fmt.Errorf("filesystem: %s %s: %w", op, p, err)
}

// Stat returns the object's info, or driver.ErrNotFound (also for a
// directory, which is not an object).
func (d *Driver) Stat(ctx context.Context, p string) (driver.Info, error) {
	if err := ctx.Err(); err != nil {
		return driver.Info{}, err
	}
	n, err := name(p)
	if err != nil {
		return driver.Info{}, err
	}
	fi, err := d.root.Stat(n)
	if err != nil {
		return driver.Info{}, wrap("stat", n, err)
	}
	if !fi.Mode().IsRegular() {
		return driver.Info{}, wrap("stat", n, fs.ErrNotExist)
	}
	return driver.Info{Path: n, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Reader returns the object's *os.File positioned at offset, so that io.Copy
// into a net.Conn can use sendfile. driver.ErrNotFound if absent.
func (d *Driver) Reader(ctx context.Context, p string, offset int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n, err := name(p)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("filesystem: read %s: negative offset %d", n, offset)
	}
	f, err := d.root.Open(n)
	if err != nil {
		return nil, wrap("open", n, err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = fs.ErrNotExist
		}
		return nil, wrap("open", n, err)
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, wrap("seek", n, err)
		}
	}
	return f, nil
}

// Writer opens a writer for p. With append it continues at the end of the
// existing file (driver.ErrNotFound if there is none); without, the file and
// its parent directories are created, or the file truncated.
func (d *Driver) Writer(ctx context.Context, p string, append bool) (driver.FileWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n, err := name(p)
	if err != nil {
		return nil, err
	}
	if append {
		f, err := d.root.OpenFile(n, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return nil, wrap("open", n, err)
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, wrap("stat", n, err)
		}
		return &fileWriter{d: d, name: n, f: f, size: fi.Size(), started: fi.Size()}, nil
	}
	var lastErr error
	for range createRetries {
		syncDirs, err := d.mkdirs(path.Dir(n))
		if err != nil {
			return nil, wrap("mkdir", path.Dir(n), err)
		}
		f, err := d.root.OpenFile(n, os.O_WRONLY|os.O_CREATE|os.O_EXCL, filePerm)
		if err == nil {
			// A new directory entry: the parent must be fsync'd on Commit.
			syncDirs = appendUnique(syncDirs, path.Dir(n))
			return &fileWriter{d: d, name: n, f: f, syncDirs: syncDirs}, nil
		}
		if errors.Is(err, fs.ErrExist) {
			f, err = d.root.OpenFile(n, os.O_WRONLY|os.O_TRUNC, 0)
			if err == nil {
				return &fileWriter{d: d, name: n, f: f, syncDirs: syncDirs}, nil
			}
		}
		lastErr = err
		if !errors.Is(err, fs.ErrNotExist) {
			break // not a directory pruned under our feet: give up
		}
	}
	return nil, wrap("create", n, lastErr)
}

// Delete removes the object, then its parent directories that became empty
// (never the top-level directory). driver.ErrNotFound if absent.
func (d *Driver) Delete(ctx context.Context, p string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n, err := name(p)
	if err != nil {
		return err
	}
	fi, err := d.root.Lstat(n)
	if err != nil {
		return wrap("delete", n, err)
	}
	if fi.IsDir() {
		return wrap("delete", n, fs.ErrNotExist)
	}
	if err := d.root.Remove(n); err != nil {
		return wrap("delete", n, err)
	}
	d.prune(path.Dir(n))
	return nil
}

// Move renames from to to, creating to's parent directories and replacing
// any existing file, then fsyncs the destination directory (and the parents
// of directories it created), so the move is atomic and durable when Move
// returns. The source's emptied directories are pruned.
func (d *Driver) Move(ctx context.Context, from, to string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	src, err := name(from)
	if err != nil {
		return err
	}
	dst, err := name(to)
	if err != nil {
		return err
	}
	if fi, err := d.root.Lstat(src); err != nil {
		return wrap("move", src, err)
	} else if fi.IsDir() {
		return wrap("move", src, fs.ErrNotExist)
	}
	var syncDirs []string
	for i := 0; ; i++ {
		created, err := d.mkdirs(path.Dir(dst))
		if err != nil {
			return wrap("mkdir", path.Dir(dst), err)
		}
		syncDirs = appendUnique(syncDirs, created...)
		err = d.root.Rename(src, dst)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) || i+1 >= createRetries {
			return wrap("move "+src+" to", dst, err)
		}
		if _, serr := d.root.Lstat(src); serr != nil {
			return wrap("move", src, serr) // the source vanished
		}
	}
	syncDirs = appendUnique(syncDirs, path.Dir(dst))
	if err := d.syncDirs(syncDirs); err != nil {
		return fmt.Errorf("filesystem: move %s to %s: %w", src, dst, err)
	}
	d.prune(path.Dir(src))
	return nil
}

// Walk calls fn for every file under the directory prefix ("" for all), in
// lexical order. A missing prefix is not an error: there is nothing to walk.
func (d *Driver) Walk(ctx context.Context, prefix string, fn func(driver.Info) error) error {
	start := "."
	if prefix != "" {
		n, err := name(prefix)
		if err != nil {
			return err
		}
		start = n
	}
	err := fs.WalkDir(d.root.FS(), start, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			if p == start && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !de.Type().IsRegular() {
			return nil
		}
		fi, err := de.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // deleted while walking
		} else if err != nil {
			return err
		}
		return fn(driver.Info{Path: p, Size: fi.Size(), ModTime: fi.ModTime()})
	})
	if err != nil {
		return fmt.Errorf("filesystem: walk %q: %w", prefix, err)
	}
	return nil
}

// mkdirs creates dir and its missing parents and returns the directories
// whose entries changed (the parents of what it created), which must be
// fsync'd for the new directories to be durable.
func (d *Driver) mkdirs(dir string) ([]string, error) {
	var missing []string
	for p := dir; p != "."; p = path.Dir(p) {
		fi, err := d.root.Stat(p)
		if err == nil {
			if !fi.IsDir() {
				return nil, &fs.PathError{Op: "mkdir", Path: p, Err: syscall.ENOTDIR}
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, p)
	}
	var changed []string
	for i := len(missing) - 1; i >= 0; i-- {
		if err := d.root.Mkdir(missing[i], dirPerm); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		changed = appendUnique(changed, path.Dir(missing[i]))
	}
	return changed, nil
}

// syncDirs fsyncs each directory.
func (d *Driver) syncDirs(dirs []string) error {
	for _, dir := range dirs {
		f, err := d.root.Open(dir)
		if err != nil {
			return fmt.Errorf("open dir %s: %w", dir, err)
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("fsync dir %s: %w", dir, err)
		}
	}
	return nil
}

// prune removes dir and its parents while they are empty, stopping below the
// top-level directory. Failures (not empty, already gone) end it silently.
func (d *Driver) prune(dir string) {
	for dir != "." && path.Dir(dir) != "." {
		if err := d.root.Remove(dir); err != nil {
			return
		}
		dir = path.Dir(dir)
	}
}

func appendUnique(s []string, vs ...string) []string {
	for _, v := range vs {
		found := false
		for _, e := range s {
			if e == v {
				found = true
				break
			}
		}
		if !found {
			s = append(s, v)
		}
	}
	return s
}

var errWriterDone = errors.New("filesystem: writer already closed")

// fileWriter writes one file.
type fileWriter struct {
	d        *Driver
	name     string
	f        *os.File
	size     int64
	syncDirs []string // directories to fsync on Commit
	done     bool
	started  int64 // bytes up to which write-back has been started
}

// writeBehind is how many dirty bytes a writer lets pile up before it asks
// the kernel to start writing them back, so that the final fsync of a large
// blob has little left to do and disk writes overlap the transfer.
const writeBehind = 8 << 20

func (w *fileWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, errWriterDone
	}
	n, err := w.f.Write(p)
	w.size += int64(n)
	if err != nil {
		return n, fmt.Errorf("filesystem: write %s: %w", w.name, err)
	}
	if w.size-w.started >= writeBehind {
		startWriteback(w.f, w.started, w.size-w.started)
		w.started = w.size
	}
	return n, nil
}

func (w *fileWriter) Size() int64 { return w.size }

func (w *fileWriter) Close() error {
	if w.done {
		return errWriterDone
	}
	w.done = true
	if err := w.f.Close(); err != nil {
		return fmt.Errorf("filesystem: close %s: %w", w.name, err)
	}
	return nil
}

func (w *fileWriter) Cancel(ctx context.Context) error {
	if !w.done {
		w.done = true
		w.f.Close()
	}
	if err := w.d.root.Remove(w.name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("filesystem: cancel %s: %w", w.name, err)
	}
	w.d.prune(path.Dir(w.name))
	return nil
}

func (w *fileWriter) Commit(ctx context.Context) error {
	if w.done {
		return errWriterDone
	}
	w.done = true
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("filesystem: commit %s: %w", w.name, err)
	}
	if err := w.d.syncDirs(w.syncDirs); err != nil {
		return fmt.Errorf("filesystem: commit %s: %w", w.name, err)
	}
	return nil
}
