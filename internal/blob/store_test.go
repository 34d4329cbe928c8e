package blob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-oci/berth/internal/blob"
	"github.com/berth-oci/berth/internal/blob/driver"
	"github.com/berth-oci/berth/internal/blob/driver/filesystem"
	"github.com/berth-oci/berth/internal/blob/driver/inmemory"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/oci"
	"github.com/google/go-cmp/cmp"
	"github.com/opencontainers/go-digest"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is one Store over a driver and a fake metadata store.
type env struct {
	d     driver.Driver
	m     *fakeMeta
	clock *clock
	ttl   time.Duration
	s     *blob.Store
}

// restart returns a new Store over the same driver and metadata, as a
// process restart (or another replica) would see them.
func (e *env) restart() *blob.Store {
	return blob.New(e.d, e.m, nil, blob.Options{UploadTTL: e.ttl, Now: e.clock.Now})
}

var drivers = []struct {
	name string
	new  func(t testing.TB) driver.Driver
}{
	{"filesystem", func(t testing.TB) driver.Driver {
		d, err := filesystem.New(filepath.Join(t.TempDir(), "storage"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}},
	{"inmemory", func(t testing.TB) driver.Driver { return inmemory.New() }},
}

// forEachDriver runs fn against a fresh env on every driver.
func forEachDriver(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, dr := range drivers {
		t.Run(dr.name, func(t *testing.T) {
			t.Parallel()
			e := &env{d: dr.new(t), m: newFakeMeta(), clock: &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}, ttl: time.Hour}
			e.s = e.restart()
			fn(t, e)
		})
	}
}

func content(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(seed >> 16)})
	r.Read(b)
	return b
}

// objects lists every object the driver holds.
func objects(t *testing.T, d driver.Driver) []string {
	t.Helper()
	var out []string
	err := d.(driver.Walker).Walk(context.Background(), "", func(i driver.Info) error {
		out = append(out, i.Path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func wantCode(t *testing.T, what string, err error, code oci.Code) {
	t.Helper()
	if !errors.Is(err, code) {
		t.Errorf("%s: err = %v, want %s", what, err, code)
	}
}

// readBlob reads blob d of repo through Stat and Open.
func readBlob(t *testing.T, s *blob.Store, repo string, d digest.Digest) []byte {
	t.Helper()
	ctx := context.Background()
	b, err := s.Stat(ctx, repo, d)
	if err != nil {
		t.Fatalf("Stat(%s, %s): %v", repo, d, err)
	}
	rc, err := s.Open(ctx, b, 0)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(got)) != b.Size {
		t.Errorf("read %d bytes, blob size %d", len(got), b.Size)
	}
	return got
}

// wantOnlyBlob checks the driver holds exactly the bytes of blob d and that
// they sit under the digest path when the driver can rename.
func wantOnlyBlob(t *testing.T, e *env, d digest.Digest) {
	t.Helper()
	b, err := e.m.GetBlob(context.Background(), d)
	if err != nil {
		t.Fatalf("GetBlob(%s): %v", d, err)
	}
	if diff := cmp.Diff([]string{b.Location}, objects(t, e.d)); diff != "" {
		t.Errorf("stored objects (-want +got):\n%s", diff)
	}
	if _, ok := e.d.(driver.Mover); ok && b.Location != "blobs/"+oci.BlobPath(d) {
		t.Errorf("blob location %q, want the digest path", b.Location)
	}
	if n := e.m.numUploads(); n != 0 {
		t.Errorf("%d upload sessions left", n)
	}
}

func TestPut(t *testing.T) {
	data := content(3<<20+5, 1)
	other := content(100, 2)
	tests := []struct {
		name    string
		d       digest.Digest
		size    int64
		body    []byte
		wantErr oci.Code // "" for success
	}{
		{"sha256", digest.FromBytes(data), int64(len(data)), data, ""},
		{"unknown size", digest.FromBytes(data), -1, data, ""},
		{"empty", digest.FromBytes(nil), 0, nil, ""},
		{"sha512", digest.SHA512.FromBytes(data), int64(len(data)), data, ""},
		{"bad digest", digest.FromBytes(other), int64(len(data)), data, oci.CodeDigestInvalid},
		{"bad sha512 digest", digest.SHA512.FromBytes(other), -1, data, oci.CodeDigestInvalid},
		{"short body", digest.FromBytes(data), int64(len(data)) + 1, data, oci.CodeSizeInvalid},
		{"long body", digest.FromBytes(data), int64(len(data)) - 1, data, oci.CodeSizeInvalid},
		{"unsupported algorithm", digest.Digest("sha384:" + strings.Repeat("a", 96)), -1, data, oci.CodeDigestInvalid},
		{"malformed digest", digest.Digest("sha256:xyz"), -1, data, oci.CodeDigestInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			forEachDriver(t, func(t *testing.T, e *env) {
				ctx := context.Background()
				b, err := e.s.Put(ctx, "lib/app", tt.d, tt.size, bytes.NewReader(tt.body))
				if tt.wantErr != "" {
					wantCode(t, "Put", err, tt.wantErr)
					if got := objects(t, e.d); len(got) != 0 {
						t.Errorf("objects left after a failed Put: %v", got)
					}
					_, err := e.s.Stat(ctx, "lib/app", tt.d)
					wantCode(t, "Stat after failed Put", err, oci.CodeBlobUnknown)
					return
				}
				if err != nil {
					t.Fatalf("Put: %v", err)
				}
				if b.Digest != tt.d || b.Size != int64(len(tt.body)) {
					t.Errorf("Put = %s/%d, want %s/%d", b.Digest, b.Size, tt.d, len(tt.body))
				}
				if got := readBlob(t, e.s, "lib/app", tt.d); !bytes.Equal(got, tt.body) {
					t.Error("stored content differs")
				}
				wantOnlyBlob(t, e, tt.d)
			})
		})
	}
}

func TestOpenOffset(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		data := []byte("0123456789")
		b, err := e.s.Put(ctx, "r", digest.FromBytes(data), -1, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		rc, err := e.s.Open(ctx, b, 4)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if got, _ := io.ReadAll(rc); string(got) != "456789" {
			t.Errorf("read from 4 = %q", got)
		}
	})
}

// chunk is one Append of a test upload.
type chunk struct {
	start, size int64 // as given to Append
	data        []byte
}

// split cuts data into chunks at the given offsets, with explicit starts.
func split(data []byte, cuts ...int) []chunk {
	var out []chunk
	prev := 0
	for _, c := range append(cuts, len(data)) {
		out = append(out, chunk{int64(prev), int64(c - prev), data[prev:c]})
		prev = c
	}
	return out
}

func TestChunkedUpload(t *testing.T) {
	data := content(5<<20+3, 3)
	d := digest.FromBytes(data)
	streamed := split(data, 1<<20, 3<<20)
	for i := range streamed {
		streamed[i].start, streamed[i].size = -1, -1
	}
	tests := []struct {
		name   string
		chunks []chunk
		last   []byte // body given to Finish; nil for none
		d      digest.Digest
	}{
		{"in order", split(data, 1<<20, 1<<20+1, 4<<20), nil, d},
		{"streamed", streamed, nil, d},
		{"last chunk in finish", split(data[:2<<20], 1<<20), data[2<<20:], d},
		{"everything in finish", nil, data, d},
		{"empty chunks", []chunk{{0, 0, nil}, {0, int64(len(data)), data}, {int64(len(data)), 0, nil}}, nil, d},
		{"sha512", split(data, 7), nil, digest.SHA512.FromBytes(data)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			forEachDriver(t, func(t *testing.T, e *env) {
				ctx := context.Background()
				u, err := e.s.StartUpload(ctx, "lib/app")
				if err != nil {
					t.Fatal(err)
				}
				var off int64
				for i, c := range tt.chunks {
					got, err := e.s.Append(ctx, "lib/app", u.ID, c.start, c.size, bytes.NewReader(c.data))
					if err != nil {
						t.Fatalf("Append #%d: %v", i, err)
					}
					off += int64(len(c.data))
					if got.Offset != off {
						t.Errorf("Append #%d: offset %d, want %d", i, got.Offset, off)
					}
				}
				if st, err := e.s.Upload(ctx, "lib/app", u.ID); err != nil || st.Offset != off {
					t.Errorf("Upload = offset %d, %v; want %d", st.Offset, err, off)
				}
				var last io.Reader
				if tt.last != nil {
					last = bytes.NewReader(tt.last)
				}
				b, err := e.s.Finish(ctx, "lib/app", u.ID, tt.d, last)
				if err != nil {
					t.Fatalf("Finish: %v", err)
				}
				if b.Size != int64(len(data)) {
					t.Errorf("size %d, want %d", b.Size, len(data))
				}
				if got := readBlob(t, e.s, "lib/app", tt.d); !bytes.Equal(got, data) {
					t.Error("stored content differs")
				}
				_, err = e.s.Upload(ctx, "lib/app", u.ID)
				wantCode(t, "Upload after Finish", err, oci.CodeBlobUploadUnknown)
				wantOnlyBlob(t, e, tt.d)
			})
		})
	}
}

func TestAppendOutOfOrder(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		data := content(300, 4)
		u, err := e.s.StartUpload(ctx, "r")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Append(ctx, "r", u.ID, 0, 100, bytes.NewReader(data[:100])); err != nil {
			t.Fatal(err)
		}
		for _, start := range []int64{0, 50, 99, 101, 1000} {
			_, err := e.s.Append(ctx, "r", u.ID, start, 10, bytes.NewReader(data[100:110]))
			wantCode(t, fmt.Sprintf("Append at %d", start), err, oci.CodeRangeInvalid)
			var oe *oci.Error
			if errors.As(err, &oe) && oe.Status() != 416 {
				t.Errorf("status %d, want 416", oe.Status())
			}
		}
		if st, _ := e.s.Upload(ctx, "r", u.ID); st.Offset != 100 {
			t.Errorf("offset after refused chunks = %d, want 100", st.Offset)
		}
		if _, err := e.s.Append(ctx, "r", u.ID, 100, 200, bytes.NewReader(data[100:])); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Finish(ctx, "r", u.ID, digest.FromBytes(data), nil); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.Append(ctx, "r", "no-such-upload", 0, 1, strings.NewReader("x"))
		wantCode(t, "Append to unknown session", err, oci.CodeBlobUploadUnknown)
		_, err = e.s.Upload(ctx, "other/repo", u.ID)
		wantCode(t, "Upload in another repo", err, oci.CodeBlobUploadUnknown)
	})
}

func TestAppendWrongSizeKeepsProgress(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		data := content(64, 5)
		u, _ := e.s.StartUpload(ctx, "r")
		_, err := e.s.Append(ctx, "r", u.ID, 0, 40, bytes.NewReader(data[:30]))
		wantCode(t, "short chunk", err, oci.CodeSizeInvalid)
		st, err := e.s.Upload(ctx, "r", u.ID)
		if err != nil || st.Offset != 30 {
			t.Fatalf("Upload = offset %d, %v; want 30 (received bytes are kept)", st.Offset, err)
		}
		if _, err := e.s.Append(ctx, "r", u.ID, 30, -1, bytes.NewReader(data[30:])); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Finish(ctx, "r", u.ID, digest.FromBytes(data), nil); err != nil {
			t.Fatal(err)
		}
	})
}

// errReader fails after its data, as a dropped connection does.
type errReader struct{ r io.Reader }

func (e errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, io.ErrUnexpectedEOF
	}
	return n, err
}

func TestAppendBrokenConnectionResumes(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		data := content(1000, 6)
		u, _ := e.s.StartUpload(ctx, "r")
		_, err := e.s.Append(ctx, "r", u.ID, 0, 1000, errReader{bytes.NewReader(data[:400])})
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("Append over a broken body: err = %v", err)
		}
		st, _ := e.s.Upload(ctx, "r", u.ID)
		if st.Offset != 400 {
			t.Fatalf("offset after broken chunk = %d, want 400", st.Offset)
		}
		if _, err := e.s.Finish(ctx, "r", u.ID, digest.FromBytes(data), bytes.NewReader(data[400:])); err != nil {
			t.Fatal(err)
		}
	})
}

func TestResumeAfterRestart(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		data := content(3<<20, 7)
		u, err := e.s.StartUpload(ctx, "r")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Append(ctx, "r", u.ID, 0, 1<<20, bytes.NewReader(data[:1<<20])); err != nil {
			t.Fatal(err)
		}
		s2 := e.restart()
		if _, err := s2.Append(ctx, "r", u.ID, 1<<20, 1<<20, bytes.NewReader(data[1<<20:2<<20])); err != nil {
			t.Fatal(err)
		}
		s3 := e.restart()
		if _, err := s3.Finish(ctx, "r", u.ID, digest.FromBytes(data), bytes.NewReader(data[2<<20:])); err != nil {
			t.Fatal(err)
		}
		if got := readBlob(t, e.restart(), "r", digest.FromBytes(data)); !bytes.Equal(got, data) {
			t.Error("content differs")
		}
		wantOnlyBlob(t, e, digest.FromBytes(data))
	})
}

// crashAfterWrite appends extra to the session's object without saving the
// row, as a crash between the write and the metadata update leaves it.
func crashAfterWrite(t *testing.T, e *env, id string, extra []byte) {
	t.Helper()
	ctx := context.Background()
	w, err := e.d.Writer(ctx, "uploads/"+id+"/data", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(extra); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestCrashCatchUp(t *testing.T) {
	data := content(2<<20+11, 8)
	const saved, crashed = 1 << 20, 1<<20 + 77777
	tests := []struct {
		name   string
		finish func(t *testing.T, s *blob.Store, id string) error
	}{
		{"append from the real offset", func(t *testing.T, s *blob.Store, id string) error {
			ctx := context.Background()
			// The client resumes from what the row said: refused, with the
			// real offset in the session for the Range header.
			_, err := s.Append(ctx, "r", id, saved, -1, bytes.NewReader(data[saved:]))
			wantCode(t, "Append at the saved offset", err, oci.CodeRangeInvalid)
			st, err := s.Upload(ctx, "r", id)
			if err != nil || st.Offset != crashed {
				t.Fatalf("Upload = offset %d, %v; want %d", st.Offset, err, crashed)
			}
			if _, err := s.Append(ctx, "r", id, crashed, -1, bytes.NewReader(data[crashed:])); err != nil {
				return err
			}
			_, err = s.Finish(ctx, "r", id, digest.FromBytes(data), nil)
			return err
		}},
		{"streamed append", func(t *testing.T, s *blob.Store, id string) error {
			ctx := context.Background()
			if st, _ := s.Upload(ctx, "r", id); st.Offset != crashed {
				t.Errorf("Upload offset %d, want %d", st.Offset, crashed)
			}
			_, err := s.Finish(ctx, "r", id, digest.FromBytes(data), bytes.NewReader(data[crashed:]))
			return err
		}},
		{"finish with no more bytes", func(t *testing.T, s *blob.Store, id string) error {
			ctx := context.Background()
			_, err := s.Append(ctx, "r", id, crashed, -1, bytes.NewReader(data[crashed:]))
			if err != nil {
				return err
			}
			_, err = s.Finish(ctx, "r", id, digest.FromBytes(data), nil)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			forEachDriver(t, func(t *testing.T, e *env) {
				ctx := context.Background()
				u, err := e.s.StartUpload(ctx, "r")
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.s.Append(ctx, "r", u.ID, 0, saved, bytes.NewReader(data[:saved])); err != nil {
					t.Fatal(err)
				}
				crashAfterWrite(t, e, u.ID, data[saved:crashed])
				if err := tt.finish(t, e.restart(), u.ID); err != nil {
					t.Fatalf("finish: %v", err)
				}
				if got := readBlob(t, e.s, "r", digest.FromBytes(data)); !bytes.Equal(got, data) {
					t.Error("content differs")
				}
				wantOnlyBlob(t, e, digest.FromBytes(data))
			})
		})
	}
}

func TestFinishDigestMismatch(t *testing.T) {
	data := content(4096, 9)
	tests := []struct {
		name string
		d    digest.Digest
	}{
		{"sha256", digest.FromBytes(data[1:])},
		{"sha512", digest.SHA512.FromBytes(data[1:])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachDriver(t, func(t *testing.T, e *env) {
				ctx := context.Background()
				u, _ := e.s.StartUpload(ctx, "r")
				if _, err := e.s.Append(ctx, "r", u.ID, 0, -1, bytes.NewReader(data)); err != nil {
					t.Fatal(err)
				}
				_, err := e.s.Finish(ctx, "r", u.ID, tt.d, nil)
				wantCode(t, "Finish", err, oci.CodeDigestInvalid)
				if got := objects(t, e.d); len(got) != 0 {
					t.Errorf("objects left: %v", got)
				}
				if n := e.m.numUploads(); n != 0 {
					t.Errorf("%d sessions left", n)
				}
				for _, d := range []digest.Digest{tt.d, digest.FromBytes(data)} {
					_, err := e.s.Stat(ctx, "r", d)
					wantCode(t, "Stat", err, oci.CodeBlobUnknown)
				}
			})
		})
	}
}

func TestFinishInvalidDigestKeepsSession(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		u, _ := e.s.StartUpload(ctx, "r")
		_, err := e.s.Finish(ctx, "r", u.ID, "md5:d41d8cd98f00b204e9800998ecf8427e", nil)
		wantCode(t, "Finish(md5)", err, oci.CodeDigestInvalid)
		if _, err := e.s.Upload(ctx, "r", u.ID); err != nil {
			t.Errorf("session gone after a malformed digest: %v", err)
		}
	})
}

func TestDedup(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		data := content(1<<20, 10)
		d := digest.FromBytes(data)
		b1, err := e.s.Put(ctx, "a", d, -1, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		b2, err := e.s.Put(ctx, "b", d, -1, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		u, _ := e.s.StartUpload(ctx, "c")
		b3, err := e.s.Finish(ctx, "c", u.ID, d, bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if b1.Location != b2.Location || b1.Location != b3.Location {
			t.Errorf("locations %q %q %q, want one", b1.Location, b2.Location, b3.Location)
		}
		for _, repo := range []string{"a", "b", "c"} {
			if got := readBlob(t, e.s, repo, d); !bytes.Equal(got, data) {
				t.Errorf("%s: content differs", repo)
			}
		}
		wantOnlyBlob(t, e, d)
	})
}

func TestMountAndVisibility(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		data := []byte("layer")
		d := digest.FromBytes(data)
		if _, err := e.s.Put(ctx, "a", d, -1, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		// Visibility is per repository: dedup is no oracle.
		_, err := e.s.Stat(ctx, "b", d)
		wantCode(t, "Stat in b", err, oci.CodeBlobUnknown)

		_, err = e.s.Mount(ctx, "c", "b", d)
		wantCode(t, "Mount from a repo without the blob", err, oci.CodeBlobUnknown)
		_, err = e.s.Stat(ctx, "c", d)
		wantCode(t, "Stat in c after refused mount", err, oci.CodeBlobUnknown)
		_, err = e.s.Mount(ctx, "c", "a", digest.FromBytes([]byte("nope")))
		wantCode(t, "Mount of an unknown blob", err, oci.CodeBlobUnknown)

		if _, err := e.s.Mount(ctx, "b", "a", d); err != nil {
			t.Fatalf("Mount: %v", err)
		}
		if got := readBlob(t, e.s, "b", d); !bytes.Equal(got, data) {
			t.Error("mounted content differs")
		}
		if err := e.s.Delete(ctx, "a", d); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		_, err = e.s.Stat(ctx, "a", d)
		wantCode(t, "Stat after Delete", err, oci.CodeBlobUnknown)
		wantCode(t, "second Delete", e.s.Delete(ctx, "a", d), oci.CodeBlobUnknown)
		if _, err := e.s.Stat(ctx, "b", d); err != nil {
			t.Errorf("Stat in b after Delete in a: %v", err)
		}
		wantOnlyBlob(t, e, d) // bytes stay for GC
	})
}

func TestCancel(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		u, _ := e.s.StartUpload(ctx, "r")
		if _, err := e.s.Append(ctx, "r", u.ID, 0, 3, strings.NewReader("abc")); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "Cancel from another repo", e.s.Cancel(ctx, "other", u.ID), oci.CodeBlobUploadUnknown)
		if err := e.s.Cancel(ctx, "r", u.ID); err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		if got := objects(t, e.d); len(got) != 0 {
			t.Errorf("objects left: %v", got)
		}
		wantCode(t, "second Cancel", e.s.Cancel(ctx, "r", u.ID), oci.CodeBlobUploadUnknown)
		_, err := e.s.Append(ctx, "r", u.ID, 3, 1, strings.NewReader("d"))
		wantCode(t, "Append after Cancel", err, oci.CodeBlobUploadUnknown)
		_, err = e.s.Finish(ctx, "r", u.ID, digest.FromBytes([]byte("abc")), nil)
		wantCode(t, "Finish after Cancel", err, oci.CodeBlobUploadUnknown)
	})
}

func TestExpireUploads(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		const idle = 130 // more than one batch
		var ids []string
		for range idle {
			u, err := e.s.StartUpload(ctx, "r")
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, u.ID)
		}
		active, _ := e.s.StartUpload(ctx, "r")
		e.clock.Advance(50 * time.Minute)
		if _, err := e.s.Append(ctx, "r", active.ID, 0, 2, strings.NewReader("hi")); err != nil {
			t.Fatal(err)
		}
		if n, err := e.s.ExpireUploads(ctx); err != nil || n != 0 {
			t.Fatalf("ExpireUploads before the TTL = %d, %v; want 0", n, err)
		}
		e.clock.Advance(20 * time.Minute)
		n, err := e.s.ExpireUploads(ctx)
		if err != nil || n != idle {
			t.Fatalf("ExpireUploads = %d, %v; want %d", n, err, idle)
		}
		if diff := cmp.Diff([]string{"uploads/" + active.ID + "/data"}, objects(t, e.d)); diff != "" {
			t.Errorf("objects (-want +got):\n%s", diff)
		}
		_, err = e.s.Upload(ctx, "r", ids[0])
		wantCode(t, "expired session", err, oci.CodeBlobUploadUnknown)
		if _, err := e.s.Finish(ctx, "r", active.ID, digest.FromBytes([]byte("hi")), nil); err != nil {
			t.Errorf("Finish of the active session: %v", err)
		}
	})
}

func TestConcurrentFinishSameDigest(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		const rounds, sessions = 5, 4
		for round := range rounds {
			data := content(256<<10, uint64(100+round))
			d := digest.FromBytes(data)
			var ids []string
			for i := range sessions {
				u, err := e.s.StartUpload(ctx, fmt.Sprintf("repo%d", i))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.s.Append(ctx, u.Repository, u.ID, 0, -1, bytes.NewReader(data[:1000])); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, u.ID)
			}
			var wg sync.WaitGroup
			errs := make([]error, sessions)
			for i, id := range ids {
				wg.Go(func() {
					// Each on its own Store, as separate replicas would be.
					_, errs[i] = e.restart().Finish(ctx, fmt.Sprintf("repo%d", i), id, d, bytes.NewReader(data[1000:]))
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("round %d: Finish #%d: %v", round, i, err)
				}
			}
			for i := range sessions {
				if got := readBlob(t, e.s, fmt.Sprintf("repo%d", i), d); !bytes.Equal(got, data) {
					t.Errorf("round %d: repo%d content differs", round, i)
				}
			}
		}
		// One object per distinct blob, no session left.
		if got := objects(t, e.d); len(got) != rounds {
			t.Errorf("objects = %v, want %d", got, rounds)
		}
		if n := e.m.numUploads(); n != 0 {
			t.Errorf("%d sessions left", n)
		}
	})
}

func TestConcurrentAppendSameSession(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		u, _ := e.s.StartUpload(ctx, "r")
		a, b := content(100<<10, 20), content(100<<10, 21)
		var wg sync.WaitGroup
		var errA, errB error
		wg.Go(func() { _, errA = e.s.Append(ctx, "r", u.ID, 0, -1, bytes.NewReader(a)) })
		wg.Go(func() { _, errB = e.s.Append(ctx, "r", u.ID, 0, -1, bytes.NewReader(b)) })
		wg.Wait()
		var winner []byte
		switch {
		case errA == nil && errB != nil:
			winner = a
			wantCode(t, "losing Append", errB, oci.CodeRangeInvalid)
		case errB == nil && errA != nil:
			winner = b
			wantCode(t, "losing Append", errA, oci.CodeRangeInvalid)
		default:
			t.Fatalf("errA = %v, errB = %v; want exactly one to win", errA, errB)
		}
		if _, err := e.s.Finish(ctx, "r", u.ID, digest.FromBytes(winner), nil); err != nil {
			t.Fatalf("Finish with the winner's digest: %v", err)
		}
	})
}

func TestUploadsInOtherRepoUnknown(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		u, _ := e.s.StartUpload(ctx, "a")
		_, err := e.s.Finish(ctx, "b", u.ID, digest.FromBytes(nil), nil)
		wantCode(t, "Finish from another repo", err, oci.CodeBlobUploadUnknown)
		if _, err := e.s.Finish(ctx, "a", u.ID, digest.FromBytes(nil), nil); err != nil {
			t.Fatalf("Finish of an empty upload: %v", err)
		}
		if got, err := e.m.RepoBlob(ctx, "a", digest.FromBytes(nil)); err != nil || got.Size != 0 {
			t.Errorf("RepoBlob = %+v, %v", got, err)
		}
		if _, err := e.m.RepoBlob(ctx, "b", digest.FromBytes(nil)); !errors.Is(err, meta.ErrNotFound) {
			t.Errorf("blob linked to b: %v", err)
		}
	})
}

func TestSessionIDsUnique(t *testing.T) {
	forEachDriver(t, func(t *testing.T, e *env) {
		seen := map[string]bool{}
		for range 50 {
			u, err := e.s.StartUpload(context.Background(), "r")
			if err != nil {
				t.Fatal(err)
			}
			if seen[u.ID] || len(u.ID) != 32 {
				t.Fatalf("bad or repeated id %q", u.ID)
			}
			seen[u.ID] = true
		}
		if got := objects(t, e.d); len(got) != 50 || !slices.IsSorted(got) {
			t.Errorf("%d upload objects, want 50", len(got))
		}
	})
}
