package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Content kinds, mixed into the run seed so every object is distinct.
const (
	kindMonoBlob uint64 = iota + 1
	kindChunkedBlob
	kindImage
	kindManifestImage
	kindListImage
)

// subSeed derives a seed for one object from the run seed and its coordinates.
func subSeed(seed uint64, parts ...uint64) uint64 {
	z := mix64(seed + golden)
	for _, p := range parts {
		z = mix64(z ^ mix64(p+golden))
	}
	return z
}

// bigBlob returns the --blob-size stream for seed and its digest, hashing it
// once (untimed) per run.
func (r *runner) bigBlob(seed uint64) (*Stream, string, error) {
	s := NewStream(seed, int64(r.cfg.blobSize))
	if d, ok := r.bigDigests[seed]; ok {
		return s, d, nil
	}
	start := time.Now()
	d, err := s.Digest()
	if err != nil {
		return nil, "", err
	}
	r.logf("hashed %s blob in %s: %s", r.cfg.blobSize, time.Since(start).Round(time.Millisecond), d)
	r.bigDigests[seed] = d
	return s, d, nil
}

func (r *runner) pushMono(ctx context.Context) (*Result, error) {
	res := &Result{}
	s, dgst, err := r.bigBlob(subSeed(r.cfg.seed, kindMonoBlob))
	if err != nil {
		return res, err
	}
	repo := r.repo("blob")
	r.logf("pushing %s to %s (%s)", r.cfg.blobSize, repo, r.cfg.monoMode)
	start := time.Now()
	if err := r.c.putBlob(ctx, repo, dgst, io.NewSectionReader(s, 0, s.Size()), s.Size(), r.cfg.monoMode); err != nil {
		return res, err
	}
	res.addThroughput("", s.Size(), time.Since(start))
	res.note("%s blob %s via %s", r.cfg.blobSize, dgst, r.cfg.monoMode)
	return res, nil
}

func (r *runner) pushChunked(ctx context.Context) (*Result, error) {
	res := &Result{}
	s, dgst, err := r.bigBlob(subSeed(r.cfg.seed, kindChunkedBlob))
	if err != nil {
		return res, err
	}
	repo := r.repo("blob")
	r.logf("pushing %s to %s in %s chunks", r.cfg.blobSize, repo, r.cfg.chunkSize)
	start := time.Now()
	n, err := r.c.pushChunked(ctx, repo, dgst, s, s.Size(), int64(r.cfg.chunkSize))
	if err != nil {
		return res, err
	}
	res.addThroughput("", s.Size(), time.Since(start))
	res.add("chunks", float64(n), "PATCH")
	res.note("%s blob %s in %s chunks", r.cfg.blobSize, dgst, r.cfg.chunkSize)
	return res, nil
}

func (r *runner) pull(ctx context.Context) (*Result, error) {
	res := &Result{}
	s, dgst, err := r.bigBlob(subSeed(r.cfg.seed, kindMonoBlob))
	if err != nil {
		return res, err
	}
	repo := r.repo("blob")
	ok, err := r.c.blobExists(ctx, repo, dgst)
	if err != nil {
		return res, err
	}
	if !ok {
		r.logf("blob not on the server yet: pushing it first (untimed)")
		if err := r.c.putBlob(ctx, repo, dgst, io.NewSectionReader(s, 0, s.Size()), s.Size(), r.cfg.monoMode); err != nil {
			return res, fmt.Errorf("setup push: %w", err)
		}
		res.note("blob pushed first (untimed)")
	}

	r.logf("pulling %s from %s", r.cfg.blobSize, repo)
	req, err := r.c.newRequest(ctx, http.MethodGet, r.c.url("/v2/"+repo+"/blobs/"+dgst, nil), nil, 0)
	if err != nil {
		return res, err
	}
	start := time.Now()
	resp, err := r.c.do(req, http.StatusOK)
	if err != nil {
		return res, err
	}
	ttfb := time.Since(start)
	h := sha256.New()
	n, err := io.CopyBuffer(h, resp.Body, make([]byte, 1<<20))
	_ = resp.Body.Close()
	elapsed := time.Since(start)
	if err != nil {
		return res, fmt.Errorf("read blob after %d bytes: %w", n, err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != dgst || n != s.Size() {
		return res, fmt.Errorf("pulled %d bytes with digest %s, want %d bytes %s", n, got, s.Size(), dgst)
	}
	res.addThroughput("", n, elapsed)
	res.add("time to first byte", ms(ttfb), "ms")
	res.note("digest verified while streaming (%s)", dgst)

	okRanges, err := r.checkRanges(ctx, repo, dgst, s)
	res.add("ranged GETs verified", float64(okRanges), "of 3")
	if err != nil {
		return res, fmt.Errorf("ranged GET: %w", err)
	}
	return res, nil
}

// checkRanges GETs three byte ranges of the blob (start, middle, end) and
// compares them with the stream. It returns how many matched.
func (r *runner) checkRanges(ctx context.Context, repo, dgst string, s *Stream) (int, error) {
	size := s.Size()
	mid := size / 2
	ranges := [][2]int64{
		{0, min(1023, size-1)},
		{mid, min(mid+65535, size-1)},
		{max(size-100, 0), size - 1},
	}
	okCount := 0
	for _, rg := range ranges {
		req, err := r.c.newRequest(ctx, http.MethodGet, r.c.url("/v2/"+repo+"/blobs/"+dgst, nil), nil, 0)
		if err != nil {
			return okCount, err
		}
		req.Header.Set("Range", "bytes="+strconv.FormatInt(rg[0], 10)+"-"+strconv.FormatInt(rg[1], 10))
		resp, err := r.c.do(req, http.StatusPartialContent)
		if err != nil {
			return okCount, err
		}
		want := make([]byte, rg[1]-rg[0]+1)
		if _, err := s.ReadAt(want, rg[0]); err != nil && !errors.Is(err, io.EOF) {
			drain(resp)
			return okCount, err
		}
		got, err := io.ReadAll(io.LimitReader(resp.Body, int64(len(want))+1))
		drain(resp)
		if err != nil {
			return okCount, fmt.Errorf("read range %d-%d: %w", rg[0], rg[1], err)
		}
		if !bytes.Equal(got, want) {
			return okCount, fmt.Errorf("range %d-%d: got %d bytes that differ from the blob", rg[0], rg[1], len(got))
		}
		wantCR := fmt.Sprintf("bytes %d-%d/%d", rg[0], rg[1], size)
		if cr := resp.Header.Get("Content-Range"); cr != wantCR {
			return okCount, fmt.Errorf("range %d-%d: Content-Range %q, want %q", rg[0], rg[1], cr, wantCR)
		}
		okCount++
	}
	return okCount, nil
}
