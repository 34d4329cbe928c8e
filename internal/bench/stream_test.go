package bench

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"
	"testing/iotest"
)

func TestStreamDeterministicAcrossReadSizes(t *testing.T) {
	t.Parallel()
	const size = 1<<16 + 13 // not a multiple of 8
	want := NewStream(42, size).Bytes()
	for _, bufSize := range []int{1, 3, 7, 8, 9, 1000, 4096, 1 << 17} {
		got, err := io.ReadAll(&chunkReader{r: NewStream(42, size), n: bufSize})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("reads of %d bytes produce different content", bufSize)
		}
	}
	if err := iotest.TestReader(NewStream(42, size), want); err != nil {
		t.Fatal(err)
	}
}

// chunkReader reads from r at most n bytes at a time.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

func TestStreamReadAt(t *testing.T) {
	t.Parallel()
	s := NewStream(7, 1000)
	all := s.Bytes()
	for _, tt := range []struct{ off, n int }{{0, 1}, {1, 7}, {5, 16}, {8, 8}, {993, 7}, {500, 300}} {
		p := make([]byte, tt.n)
		n, err := s.ReadAt(p, int64(tt.off))
		if err != nil || n != tt.n {
			t.Fatalf("ReadAt(%d bytes, %d) = %d, %v", tt.n, tt.off, n, err)
		}
		if !bytes.Equal(p, all[tt.off:tt.off+tt.n]) {
			t.Errorf("ReadAt(%d bytes, %d) differs from the stream", tt.n, tt.off)
		}
	}
	p := make([]byte, 10)
	if n, err := s.ReadAt(p, 995); n != 5 || err != io.EOF { //nolint:errorlint // io.ReaderAt contract
		t.Errorf("ReadAt past the end = %d, %v; want 5, io.EOF", n, err)
	}
}

func TestStreamSeedsDiffer(t *testing.T) {
	t.Parallel()
	if bytes.Equal(NewStream(1, 64).Bytes(), NewStream(2, 64).Bytes()) {
		t.Fatal("seeds 1 and 2 give the same bytes")
	}
	if subSeed(1, kindImage, 0) == subSeed(1, kindImage, 1) || subSeed(1, kindImage, 0) == subSeed(2, kindImage, 0) {
		t.Fatal("subSeed collides")
	}
}

func TestStreamDigest(t *testing.T) {
	t.Parallel()
	s := NewStream(99, 3<<20+5)
	sum := sha256.Sum256(s.Bytes())
	want := "sha256:" + hex.EncodeToString(sum[:])
	got, err := s.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Digest() = %s, want %s", got, want)
	}
	// Digest must not move the read offset.
	if b, _ := io.ReadAll(s); len(b) != int(s.Size()) {
		t.Errorf("after Digest, Read gives %d bytes, want %d", len(b), s.Size())
	}
}

// TestStreamKnownAnswer pins the generator: the same seed and size must give
// the same blob in every version, so figures stay comparable across runs.
func TestStreamKnownAnswer(t *testing.T) {
	t.Parallel()
	got, err := NewStream(1, 1<<20).Digest()
	if err != nil {
		t.Fatal(err)
	}
	if want := "sha256:85b66b3a5816d686deb42f2d2473d9a7121ceb75c822b838f958c76ca86ed8ea"; got != want {
		t.Errorf("NewStream(1, 1MiB).Digest() = %s, want %s", got, want)
	}
}

func BenchmarkStreamRead(b *testing.B) {
	buf := make([]byte, 1<<20)
	s := NewStream(1, 1<<50)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := io.ReadFull(s, buf); err != nil {
			b.Fatal(err)
		}
	}
}
