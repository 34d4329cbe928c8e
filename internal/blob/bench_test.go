package blob_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/berth-oci/berth/internal/blob"
	"github.com/opencontainers/go-digest"
)

const benchBlobSize = 64 << 20

// benchBlobs returns a fresh blob for each iteration (so every Put really
// publishes rather than deduplicating), computing digests off the clock.
func benchBlob(b *testing.B, data []byte, i int) digest.Digest {
	b.StopTimer()
	defer b.StartTimer()
	binary.LittleEndian.PutUint64(data, uint64(i)+1)
	return digest.FromBytes(data)
}

// BenchmarkPut measures a monolithic 64 MiB upload: stream, hash, fsync,
// publish (rename + directory fsync on the filesystem driver).
func BenchmarkPut(b *testing.B) {
	for _, dr := range drivers {
		if dr.name != "filesystem" && testing.Short() {
			continue
		}
		b.Run(dr.name, func(b *testing.B) {
			s := blob.New(dr.new(b), newFakeMeta(), nil, blob.Options{})
			data := content(benchBlobSize, 42)
			ctx := context.Background()
			b.SetBytes(benchBlobSize)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d := benchBlob(b, data, i)
				if _, err := s.Put(ctx, "bench", d, benchBlobSize, bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkChunked measures a 64 MiB upload in 8 MiB PATCH chunks, each
// fsync'd and saved with its hash state, then finished.
func BenchmarkChunked(b *testing.B) {
	const chunk = 8 << 20
	dr := drivers[0] // filesystem
	b.Run(fmt.Sprintf("%s/chunk=8MiB", dr.name), func(b *testing.B) {
		s := blob.New(dr.new(b), newFakeMeta(), nil, blob.Options{})
		data := content(benchBlobSize, 43)
		ctx := context.Background()
		b.SetBytes(benchBlobSize)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			d := benchBlob(b, data, i)
			u, err := s.StartUpload(ctx, "bench")
			if err != nil {
				b.Fatal(err)
			}
			for off := 0; off < benchBlobSize; off += chunk {
				if _, err := s.Append(ctx, "bench", u.ID, int64(off), chunk, bytes.NewReader(data[off:off+chunk])); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := s.Finish(ctx, "bench", u.ID, d, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}
