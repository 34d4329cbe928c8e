package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// blobData is one small blob with its digest.
type blobData struct {
	digest string
	data   []byte
}

// image is a small generated OCI image: a config, layers and the manifest.
type image struct {
	blobs    []blobData // config first, then layers
	manifest []byte
	digest   string // of the manifest
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int    `json:"size"`
}

type ociManifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        descriptor   `json:"config"`
	Layers        []descriptor `json:"layers"`
}

// buildImage generates a distinct image from seed with layers of the given
// sizes. The layers are opaque pseudo-random bytes: registries do not look
// inside them.
func buildImage(seed uint64, layerSizes ...int) image {
	var img image
	layers := make([]descriptor, 0, len(layerSizes))
	diffIDs := make([]string, 0, len(layerSizes))
	for i, n := range layerSizes {
		data := NewStream(subSeed(seed, uint64(i)), int64(n)).Bytes()
		d := sha256Digest(data)
		img.blobs = append(img.blobs, blobData{digest: d, data: data})
		layers = append(layers, descriptor{MediaType: mediaTypeLayer, Digest: d, Size: n})
		diffIDs = append(diffIDs, d)
	}
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
		"config":       map[string]any{"Labels": map[string]string{"dev.berth.bench.seed": strconv.FormatUint(seed, 10)}},
	})
	cd := sha256Digest(cfg)
	img.blobs = append([]blobData{{digest: cd, data: cfg}}, img.blobs...)
	img.manifest, _ = json.Marshal(ociManifest{
		SchemaVersion: 2,
		MediaType:     mediaTypeManifest,
		Config:        descriptor{MediaType: mediaTypeConfig, Digest: cd, Size: len(cfg)},
		Layers:        layers,
	})
	img.digest = sha256Digest(img.manifest)
	return img
}

// pushImage uploads the image's blobs and PUTs its manifest under tag.
func (r *runner) pushImage(ctx context.Context, repo, tag string, img image) error {
	for _, b := range img.blobs {
		if err := r.c.putBlob(ctx, repo, b.digest, bytes.NewReader(b.data), int64(len(b.data)), r.cfg.monoMode); err != nil {
			return fmt.Errorf("push blob %s to %s: %w", b.digest, repo, err)
		}
	}
	if err := r.c.putManifest(ctx, repo, tag, img.manifest); err != nil {
		return fmt.Errorf("push manifest %s:%s: %w", repo, tag, err)
	}
	return nil
}

// forEach calls fn for i in [0, n) from workers goroutines and returns the
// first error; after an error or cancellation no new calls start.
func forEach(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for range min(workers, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

func (r *runner) images(ctx context.Context) (*Result, error) {
	res := &Result{}
	repo := r.repo("images")
	n := r.cfg.images
	lat := make([]time.Duration, n)
	r.logf("pushing %d images to %s with %d workers", n, repo, r.cfg.workers)
	start := time.Now()
	err := forEach(ctx, n, r.cfg.workers, func(ctx context.Context, i int) error {
		// Built inside the timed loop on purpose: generation is ~10µs and keeps
		// memory flat; a real client also has its bytes ready before pushing.
		img := buildImage(subSeed(r.cfg.seed, kindImage, uint64(i)), 3<<10, 5<<10)
		t := time.Now()
		err := r.pushImage(ctx, repo, fmt.Sprintf("img-%06d", i), img)
		lat[i] = time.Since(t)
		return err
	})
	elapsed := time.Since(start)
	if err != nil {
		return res, err
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	reqs := 3*2 + 1
	if r.cfg.monoMode == monoSingle {
		reqs = 3 + 1
	}
	res.add("rate", float64(n)/elapsed.Seconds(), "images/s")
	res.add("requests", float64(n*reqs)/elapsed.Seconds(), "req/s")
	res.add("total", elapsed.Seconds(), "s")
	res.add("per-image p50", ms(percentile(lat, 50)), "ms")
	res.add("per-image p99", ms(percentile(lat, 99)), "ms")
	res.note("%d images (config + 3KiB + 5KiB layers + manifest, %d requests each) by %d workers",
		n, reqs, r.cfg.workers)
	return res, nil
}
