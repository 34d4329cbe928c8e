package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/berth-oci/berth/internal/meta"
)

// countsTimeout bounds the metadata query behind one scrape.
const countsTimeout = 5 * time.Second

// counter is the part of meta.Store the gauges need.
type counter interface {
	Counts(ctx context.Context) (meta.Counts, error)
}

// countsCollector turns meta.Store.Counts into gauges at scrape time, so the
// figures come from the source of truth and cost one query per scrape.
type countsCollector struct {
	ctx   context.Context
	src   counter
	log   *slog.Logger
	descs [5]*prometheus.Desc
}

func newCountsCollector(ctx context.Context, src counter, log *slog.Logger) *countsCollector {
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, nil) }
	return &countsCollector{ctx: ctx, src: src, log: log, descs: [5]*prometheus.Desc{
		d("berth_blobs", "Blobs stored (each digest once)."),
		d("berth_blob_bytes", "Bytes of stored blobs (each digest once)."),
		d("berth_manifests", "Manifests stored."),
		d("berth_repositories", "Repositories."),
		d("berth_uploads_active", "Open blob upload sessions."),
	}}
}

// Describe implements prometheus.Collector.
func (c *countsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector. If the metadata store fails, the
// scrape reports the error and still serves every other metric.
func (c *countsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(c.ctx, countsTimeout)
	defer cancel()
	n, err := c.src.Counts(ctx)
	if err != nil {
		c.log.Warn("metrics: count metadata", "err", err)
		for _, d := range c.descs {
			ch <- prometheus.NewInvalidMetric(d, err)
		}
		return
	}
	for i, v := range []int64{n.Blobs, n.BlobBytes, n.Manifests, n.Repositories, n.Uploads} {
		ch <- prometheus.MustNewConstMetric(c.descs[i], prometheus.GaugeValue, float64(v))
	}
}
