package drivertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/berth-oci/berth/internal/blob/driver"
)

// Run runs the conformance suite; newDriver returns a fresh, empty driver
// for each subtest.
func Run(t *testing.T, newDriver func(t *testing.T) driver.Driver) {
	tests := []struct {
		name string
		fn   func(t *testing.T, d driver.Driver)
	}{
		{"NotFound", testNotFound},
		{"WriteRead", testWriteRead},
		{"ReadOffsets", testReadOffsets},
		{"AppendAfterClose", testAppendAfterClose},
		{"Truncate", testTruncate},
		{"Cancel", testCancel},
		{"Delete", testDelete},
		{"InvalidPaths", testInvalidPaths},
		{"Large", testLarge},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Move", testMove},
		{"Walk", testWalk},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newDriver(t))
		})
	}
}

// put writes data to p and commits it.
func put(t *testing.T, d driver.Driver, p string, data []byte) {
	t.Helper()
	ctx := context.Background()
	w, err := d.Writer(ctx, p, false)
	if err != nil {
		t.Fatalf("Writer(%q): %v", p, err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write(%q): %v", p, err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatalf("Commit(%q): %v", p, err)
	}
}

// get reads p from offset.
func get(t *testing.T, d driver.Driver, p string, offset int64) []byte {
	t.Helper()
	r, err := d.Reader(context.Background(), p, offset)
	if err != nil {
		t.Fatalf("Reader(%q, %d): %v", p, offset, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("ReadAll(%q): %v", p, err)
	}
	return b
}

func wantNotFound(t *testing.T, op string, err error) {
	t.Helper()
	if !errors.Is(err, driver.ErrNotFound) {
		t.Errorf("%s: err = %v, want driver.ErrNotFound", op, err)
	}
}

func randBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func testNotFound(t *testing.T, d driver.Driver) {
	ctx := context.Background()
	_, err := d.Stat(ctx, "missing/object")
	wantNotFound(t, "Stat", err)
	_, err = d.Reader(ctx, "missing/object", 0)
	wantNotFound(t, "Reader", err)
	wantNotFound(t, "Delete", d.Delete(ctx, "missing/object"))
	_, err = d.Writer(ctx, "missing/object", true)
	wantNotFound(t, "Writer(append)", err)
	// A "directory" holding objects is not itself an object.
	put(t, d, "dir/sub/obj", []byte("x"))
	_, err = d.Stat(ctx, "dir/sub")
	wantNotFound(t, "Stat(dir)", err)
}

func testWriteRead(t *testing.T, d driver.Driver) {
	ctx := context.Background()
	data := []byte("hello, world")
	put(t, d, "a/b/c/object", data)
	info, err := d.Stat(ctx, "a/b/c/object")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.Size != int64(len(data)) || info.Path != "a/b/c/object" {
		t.Errorf("Stat = %+v, want size %d path a/b/c/object", info, len(data))
	}
	if info.ModTime.IsZero() {
		t.Error("Stat: zero ModTime")
	}
	if got := get(t, d, "a/b/c/object", 0); !bytes.Equal(got, data) {
		t.Errorf("read %q, want %q", got, data)
	}
	put(t, d, "empty", nil)
	if info, err := d.Stat(ctx, "empty"); err != nil || info.Size != 0 {
		t.Errorf("Stat(empty) = %+v, %v; want size 0", info, err)
	}
}

func testReadOffsets(t *testing.T, d driver.Driver) {
	data := []byte("0123456789")
	put(t, d, "offsets", data)
	for _, off := range []int64{0, 1, 5, 9, 10} {
		if got := get(t, d, "offsets", off); !bytes.Equal(got, data[off:]) {
			t.Errorf("read from %d = %q, want %q", off, got, data[off:])
		}
	}
	if _, err := d.Reader(context.Background(), "offsets", -1); err == nil {
		t.Error("Reader(-1): no error")
	}
}

func testAppendAfterClose(t *testing.T, d driver.Driver) {
	ctx := context.Background()
	w, err := d.Writer(ctx, "uploads/x/data", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("abc")); err != nil {
		t.Fatal(err)
	}
	if w.Size() != 3 {
		t.Errorf("Size = %d, want 3", w.Size())
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := get(t, d, "uploads/x/data", 0); string(got) != "abc" {
		t.Errorf("after Close read %q, want abc", got)
	}
	for i, chunk := range []string{"def", "", "ghij"} {
		w, err := d.Writer(ctx, "uploads/x/data", true)
		if err != nil {
			t.Fatalf("Writer(append) #%d: %v", i, err)
		}
		before := w.Size()
		if _, err := io.WriteString(w, chunk); err != nil {
			t.Fatal(err)
		}
		if w.Size() != before+int64(len(chunk)) {
			t.Errorf("Size = %d, want %d", w.Size(), before+int64(len(chunk)))
		}
		if err := w.Commit(ctx); err != nil {
			t.Fatalf("Commit: %v", err)
		}
	}
	if got := get(t, d, "uploads/x/data", 0); string(got) != "abcdefghij" {
		t.Errorf("read %q, want abcdefghij", got)
	}
	w, err = d.Writer(ctx, "uploads/x/data", true)
	if err != nil {
		t.Fatal(err)
	}
	if w.Size() != 10 {
		t.Errorf("resumed Size = %d, want 10", w.Size())
	}
	w.Close()
}

func testTruncate(t *testing.T, d driver.Driver) {
	put(t, d, "t", []byte("long old content"))
	put(t, d, "t", []byte("new"))
	if got := get(t, d, "t", 0); string(got) != "new" {
		t.Errorf("read %q, want new", got)
	}
}

func testCancel(t *testing.T, d driver.Driver) {
	ctx := context.Background()
	w, err := d.Writer(ctx, "uploads/c/data", false)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "discard me")
	if err := w.Cancel(ctx); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	_, err = d.Stat(ctx, "uploads/c/data")
	wantNotFound(t, "Stat after Cancel", err)
	// The path is usable again.
	put(t, d, "uploads/c/data", []byte("again"))
	if got := get(t, d, "uploads/c/data", 0); string(got) != "again" {
		t.Errorf("read %q, want again", got)
	}
}

func testDelete(t *testing.T, d driver.Driver) {
	ctx := context.Background()
	put(t, d, "uploads/d1/data", []byte("one"))
	put(t, d, "uploads/d2/data", []byte("two"))
	if err := d.Delete(ctx, "uploads/d1/data"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := d.Stat(ctx, "uploads/d1/data")
	wantNotFound(t, "Stat after Delete", err)
	wantNotFound(t, "second Delete", d.Delete(ctx, "uploads/d1/data"))
	if got := get(t, d, "uploads/d2/data", 0); string(got) != "two" {
		t.Errorf("sibling read %q, want two", got)
	}
	// Recreate after the parent may have been pruned.
	put(t, d, "uploads/d1/data", []byte("back"))
	if got := get(t, d, "uploads/d1/data", 0); string(got) != "back" {
		t.Errorf("read %q, want back", got)
	}
}

func testInvalidPaths(t *testing.T, d driver.Driver) {
	ctx := context.Background()
	for _, p := range []string{"", ".", "..", "../x", "a/../../x", "/abs", "a//b", "a/./b", "a/"} {
		if _, err := d.Writer(ctx, p, false); err == nil {
			t.Errorf("Writer(%q): no error", p)
		}
		if _, err := d.Stat(ctx, p); err == nil {
			t.Errorf("Stat(%q): no error", p)
		}
		if _, err := d.Reader(ctx, p, 0); err == nil {
			t.Errorf("Reader(%q): no error", p)
		}
		if err := d.Delete(ctx, p); err == nil {
			t.Errorf("Delete(%q): no error", p)
		}
	}
}

func testLarge(t *testing.T, d driver.Driver) {
	ctx := context.Background()
	data := randBytes(t, 3<<20+17)
	w, err := d.Writer(ctx, "large", false)
	if err != nil {
		t.Fatal(err)
	}
	// Odd-sized writes.
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 100_003)
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := get(t, d, "large", 0); !bytes.Equal(got, data) {
		t.Errorf("large object differs (got %d bytes, want %d)", len(got), len(data))
	}
	if got := get(t, d, "large", 1<<20); !bytes.Equal(got, data[1<<20:]) {
		t.Error("large object from 1 MiB differs")
	}
}

func testConcurrentWriters(t *testing.T, d driver.Driver) {
	ctx := context.Background()
	const writers, chunks = 8, 16
	want := make([][]byte, writers)
	for i := range want {
		want[i] = randBytes(t, chunks*4096)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := fmt.Sprintf("uploads/w%d/data", i)
			for c := range chunks {
				w, err := d.Writer(ctx, p, c > 0)
				if err != nil {
					errs <- err
					return
				}
				if _, err := w.Write(want[i][c*4096 : (c+1)*4096]); err != nil {
					errs <- err
					return
				}
				if err := w.Commit(ctx); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for i := range writers {
		if got := get(t, d, fmt.Sprintf("uploads/w%d/data", i), 0); !bytes.Equal(got, want[i]) {
			t.Errorf("writer %d: content differs", i)
		}
	}
}

func testMove(t *testing.T, d driver.Driver) {
	m, ok := d.(driver.Mover)
	if !ok {
		t.Skip("driver is not a driver.Mover")
	}
	ctx := context.Background()
	put(t, d, "uploads/m/data", []byte("moved"))
	if err := m.Move(ctx, "uploads/m/data", "blobs/sha256/ab/abcd"); err != nil {
		t.Fatalf("Move: %v", err)
	}
	_, err := d.Stat(ctx, "uploads/m/data")
	wantNotFound(t, "Stat(source) after Move", err)
	if got := get(t, d, "blobs/sha256/ab/abcd", 0); string(got) != "moved" {
		t.Errorf("read %q, want moved", got)
	}
	// Replaces an existing destination.
	put(t, d, "uploads/n/data", []byte("again"))
	if err := m.Move(ctx, "uploads/n/data", "blobs/sha256/ab/abcd"); err != nil {
		t.Fatalf("Move over existing: %v", err)
	}
	if got := get(t, d, "blobs/sha256/ab/abcd", 0); string(got) != "again" {
		t.Errorf("read %q, want again", got)
	}
	wantNotFound(t, "Move(missing)", m.Move(ctx, "uploads/none/data", "blobs/x"))
	if err := m.Move(ctx, "blobs/sha256/ab/abcd", "../escape"); err == nil {
		t.Error("Move to ../escape: no error")
	}
}

func testWalk(t *testing.T, d driver.Driver) {
	w, ok := d.(driver.Walker)
	if !ok {
		t.Skip("driver is not a driver.Walker")
	}
	ctx := context.Background()
	for _, p := range []string{"uploads/a/data", "uploads/b/data", "blobs/sha256/ab/abcd"} {
		put(t, d, p, []byte(p))
	}
	walk := func(prefix string) []string {
		var got []string
		err := w.Walk(ctx, prefix, func(i driver.Info) error {
			if i.Size != int64(len(i.Path)) {
				t.Errorf("Walk: %s has size %d, want %d", i.Path, i.Size, len(i.Path))
			}
			got = append(got, i.Path)
			return nil
		})
		if err != nil {
			t.Fatalf("Walk(%q): %v", prefix, err)
		}
		slices.Sort(got)
		return got
	}
	if got, want := walk("uploads"), []string{"uploads/a/data", "uploads/b/data"}; !slices.Equal(got, want) {
		t.Errorf("Walk(uploads) = %v, want %v", got, want)
	}
	if got, want := walk(""), []string{"blobs/sha256/ab/abcd", "uploads/a/data", "uploads/b/data"}; !slices.Equal(got, want) {
		t.Errorf("Walk(\"\") = %v, want %v", got, want)
	}
	if got := walk("nothing/here"); len(got) != 0 {
		t.Errorf("Walk(missing) = %v, want nothing", got)
	}
	stop := errors.New("stop")
	if err := w.Walk(ctx, "", func(driver.Info) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("Walk with failing fn: err = %v, want it returned", err)
	}
}
