package bench

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
)

// golden is the splitmix64 increment (2^64 / phi); golden2..4 are its
// multiples modulo 2^64.
const (
	golden  uint64 = 0x9E3779B97F4A7C15
	golden2 uint64 = 0x3C6EF372FE94F82A
	golden3 uint64 = 0xDAA66D2C7DDF743F
	golden4 uint64 = 0x78DDE6E5FD29F054
)

// Stream is a deterministic pseudo-random byte stream of a fixed size. Byte i
// depends only on the seed and i (the generator is counter based: splitmix64 of
// the 8-byte word index), so the same bytes come out whatever the read sizes,
// and any range can be produced on its own with ReadAt.
//
// A Stream holds no buffer; a 1 GiB blob costs nothing until it is read.
type Stream struct {
	seed uint64
	size int64
	off  int64
}

// NewStream returns a Stream of size bytes generated from seed.
func NewStream(seed uint64, size int64) *Stream {
	return &Stream{seed: seed, size: size}
}

// Size returns the total number of bytes in the stream.
func (s *Stream) Size() int64 { return s.size }

// word returns the 8-byte word at index i.
func (s *Stream) word(i uint64) uint64 { return mix64(s.seed + (i+1)*golden) }

// mix64 is the splitmix64 finalizer.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// fill writes the stream bytes starting at off into p; off+len(p) must not
// exceed the stream size.
func (s *Stream) fill(p []byte, off int64) {
	var tmp [8]byte
	// Leading partial word.
	if r := off % 8; r != 0 && len(p) > 0 {
		binary.LittleEndian.PutUint64(tmp[:], s.word(uint64(off/8)))
		n := copy(p, tmp[r:])
		p = p[n:]
		off += int64(n)
	}
	w := uint64(off / 8)
	// Unrolled by four: the multiplies of independent words overlap (~2x).
	z := s.seed + (w+1)*golden
	for len(p) >= 32 {
		_ = p[31]
		binary.LittleEndian.PutUint64(p[0:], mix64(z))
		binary.LittleEndian.PutUint64(p[8:], mix64(z+golden))
		binary.LittleEndian.PutUint64(p[16:], mix64(z+golden2))
		binary.LittleEndian.PutUint64(p[24:], mix64(z+golden3))
		z += golden4
		p = p[32:]
		w += 4
	}
	for len(p) >= 8 {
		binary.LittleEndian.PutUint64(p, s.word(w))
		p = p[8:]
		w++
	}
	if len(p) > 0 {
		binary.LittleEndian.PutUint64(tmp[:], s.word(w))
		copy(p, tmp[:])
	}
}

// Read implements io.Reader.
func (s *Stream) Read(p []byte) (int, error) {
	if s.off >= s.size {
		return 0, io.EOF
	}
	if rem := s.size - s.off; int64(len(p)) > rem {
		p = p[:rem]
	}
	s.fill(p, s.off)
	s.off += int64(len(p))
	return len(p), nil
}

// ReadAt implements io.ReaderAt.
func (s *Stream) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("bench: negative offset")
	}
	if off >= s.size {
		return 0, io.EOF
	}
	n := len(p)
	var err error
	if rem := s.size - off; int64(n) > rem {
		n, err = int(rem), io.EOF
	}
	s.fill(p[:n], off)
	return n, err
}

// Bytes returns the whole stream as a slice; only for small streams.
func (s *Stream) Bytes() []byte {
	b := make([]byte, s.size)
	s.fill(b, 0)
	return b
}

// Digest streams the whole content through sha256 once and returns its
// digest in "sha256:<hex>" form.
func (s *Stream) Digest() (string, error) {
	h := sha256.New()
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(h, io.NewSectionReader(s, 0, s.size), buf); err != nil {
		return "", fmt.Errorf("hash stream: %w", err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// sha256Digest returns the "sha256:<hex>" digest of b.
func sha256Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
