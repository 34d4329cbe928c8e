// Package bench is the benchmark client behind `berth bench`. It drives a
// registry's hot paths over the OCI Distribution API with a plain net/http
// client and reports throughput, request rates, latencies, list timings and,
// when given the server's pid, its resident memory.
//
// Everything it sends is generated: blobs come from a seeded counter-based
// pseudo-random stream (never held in memory), images and manifests are built
// from small pieces of the same stream. Every loop is bounded by a count or a
// duration, so a run always ends by itself.
package bench
