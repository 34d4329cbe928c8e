package blob

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	_ "crypto/sha512" // register sha512 for digest.SHA512.Hash
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"github.com/berth-oci/berth/internal/oci"
	"github.com/opencontainers/go-digest"
)

// bufSize is the copy buffer: large enough that each write to the driver
// (and each fsync'd chunk) moves a useful amount of data.
const bufSize = 1 << 20

// pipeDepth is how many buffers a copy rotates through: one being read and
// written while the others wait to be hashed.
const pipeDepth = 3

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// copyHashed copies r into w and h together: every byte the writer accepted
// is hashed, and nothing else, so the hash always describes what is stored.
// Reading and writing run on the calling goroutine while hashing runs on
// another, so a large upload uses both the disk and a second core.
// If size >= 0, r must hold exactly size bytes (oci.CodeSizeInvalid
// otherwise; the bytes up to size are still written). It returns the number
// of bytes written.
func copyHashed(ctx context.Context, w io.Writer, h hash.Hash, r io.Reader, size int64) (int64, error) {
	src := r
	if size >= 0 {
		src = io.LimitReader(r, size)
	}
	free := make(chan *[]byte, pipeDepth)
	for range pipeDepth {
		free <- bufPool.Get().(*[]byte)
	}
	type chunk struct {
		buf *[]byte
		n   int
	}
	toHash := make(chan chunk, pipeDepth)
	hashed := make(chan struct{})
	go func() {
		defer close(hashed)
		for c := range toHash {
			h.Write((*c.buf)[:c.n])
			free <- c.buf
		}
	}()
	n, err := copyLoop(ctx, w, src, free, func(buf *[]byte, k int) { toHash <- chunk{buf, k} })
	close(toHash)
	<-hashed
	for range pipeDepth {
		bufPool.Put(<-free)
	}
	if err != nil {
		return n, err
	}
	if size >= 0 {
		if n < size {
			return n, oci.CodeSizeInvalid.WithMessage("received %d bytes, expected %d", n, size)
		}
		var one [1]byte
		if k, _ := io.ReadFull(r, one[:]); k > 0 {
			return n, oci.CodeSizeInvalid.WithMessage("received more than the %d bytes announced", size)
		}
	}
	return n, nil
}

// copyLoop reads src into buffers taken from free, writes each to w, and
// hands the written part to hash (which returns the buffer to free).
func copyLoop(ctx context.Context, w io.Writer, src io.Reader, free chan *[]byte, hash func(*[]byte, int)) (int64, error) {
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		bp := <-free
		m, rerr := fill(src, *bp)
		if m > 0 {
			wn, werr := w.Write((*bp)[:m])
			if wn > 0 {
				n += int64(wn)
				hash(bp, wn)
			} else {
				free <- bp
			}
			if werr != nil {
				return n, fmt.Errorf("write: %w", werr)
			}
			if wn != m {
				return n, fmt.Errorf("write: %w", io.ErrShortWrite)
			}
		} else {
			free <- bp
		}
		if errors.Is(rerr, io.EOF) {
			return n, nil
		}
		if rerr != nil {
			return n, fmt.Errorf("read request body: %w", rerr)
		}
	}
}

// fill reads into buf until it is full or r fails, returning r's error
// unchanged (io.EOF at the end of the stream).
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// hashN feeds exactly n bytes of r into h.
func hashN(h hash.Hash, r io.Reader, n int64) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	got, err := io.CopyBuffer(h, io.LimitReader(r, n), *bp)
	if err != nil {
		return err
	}
	if got != n {
		return fmt.Errorf("read %d bytes, expected %d: %w", got, n, io.ErrUnexpectedEOF)
	}
	return nil
}

// sessionAlgorithm is the digest algorithm upload sessions hash with; a
// sha512 digest is verified by re-reading the object once.
const sessionAlgorithm = digest.SHA256

func newSessionHash() hash.Hash { return sha256.New() }

// marshalHash returns the resumable state of h.
func marshalHash(h hash.Hash) ([]byte, error) {
	m, ok := h.(encoding.BinaryMarshaler)
	if !ok {
		return nil, fmt.Errorf("hash %T cannot save its state", h)
	}
	return m.MarshalBinary()
}

// unmarshalHash restores a session hash from its saved state.
func unmarshalHash(state []byte) (hash.Hash, error) {
	h := newSessionHash()
	u, ok := h.(encoding.BinaryUnmarshaler)
	if !ok {
		return nil, fmt.Errorf("hash %T cannot restore its state", h)
	}
	if err := u.UnmarshalBinary(state); err != nil {
		return nil, err
	}
	return h, nil
}

// checkDigest refuses digests Berth does not store (oci.CodeDigestInvalid).
func checkDigest(d digest.Digest) error {
	if err := d.Validate(); err != nil {
		return oci.CodeDigestInvalid.WithMessage("invalid digest %q: %v", d, err)
	}
	switch d.Algorithm() {
	case digest.SHA256, digest.SHA512:
		return nil
	}
	return oci.CodeDigestInvalid.WithMessage("unsupported digest algorithm %q", d.Algorithm())
}

// newID returns a random 128-bit hex session id.
func newID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics on failure)
	return hex.EncodeToString(b[:])
}

// keyedMutex serialises work on one upload session inside this process.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	mu   sync.Mutex
	refs int
}

// lock locks key and returns its unlock function.
func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = make(map[string]*keyedLock)
	}
	l := k.locks[key]
	if l == nil {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		k.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
