package filesystem_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-oci/berth/internal/blob/driver"
	"github.com/berth-oci/berth/internal/blob/driver/drivertest"
	"github.com/berth-oci/berth/internal/blob/driver/filesystem"
)

func newDriver(t *testing.T) *filesystem.Driver {
	t.Helper()
	d, err := filesystem.New(filepath.Join(t.TempDir(), "root"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestConformance(t *testing.T) {
	drivertest.Run(t, func(t *testing.T) driver.Driver { return newDriver(t) })
}

func TestReaderIsFile(t *testing.T) {
	d := newDriver(t)
	ctx := context.Background()
	w, err := d.Writer(ctx, "blobs/x", false)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("content"))
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := d.Reader(ctx, "blobs/x", 3)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	f, ok := r.(*os.File)
	if !ok {
		t.Fatalf("Reader returned %T, want *os.File (sendfile)", r)
	}
	if off, _ := f.Seek(0, 1); off != 3 {
		t.Errorf("file offset = %d, want 3", off)
	}
}

// TestSymlinkEscape checks that a symlink planted under the root cannot be
// used to reach outside it.
func TestSymlinkEscape(t *testing.T) {
	base := t.TempDir()
	outside := filepath.Join(base, "outside")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(base, "root")
	d, err := filesystem.New(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := os.Symlink(outside, filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := d.Reader(ctx, "link/secret", 0); err == nil {
		t.Error("Reader through an escaping symlink: no error")
	}
	if _, err := d.Writer(ctx, "link/new", false); err == nil {
		t.Error("Writer through an escaping symlink: no error")
	}
	if _, err := os.Stat(filepath.Join(outside, "new")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("file created outside the root: %v", err)
	}
}

func TestDeletePrunesEmptyDirs(t *testing.T) {
	root := filepath.Join(t.TempDir(), "root")
	d, err := filesystem.New(root)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	w, err := d.Writer(ctx, "uploads/abc/data", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, "uploads/abc/data"); err != nil {
		t.Fatal(err)
	}
	var left []string
	d.Walk(ctx, "", func(i driver.Info) error { left = append(left, i.Path); return nil })
	if len(left) != 0 {
		t.Errorf("objects left: %v", left)
	}
	if _, err := os.Stat(filepath.Join(root, "uploads", "abc")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("uploads/abc not pruned: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "uploads")); err != nil {
		t.Errorf("top-level uploads dir removed: %v", err)
	}
}
