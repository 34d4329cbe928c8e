package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Summary is the whole report; --json prints it as is.
type Summary struct {
	Target   string            `json:"target"`
	Seed     uint64            `json:"seed"`
	Started  time.Time         `json:"started"`
	Settings map[string]string `json:"settings"`
	Results  []Result          `json:"results"`
	Server   *ProcMem          `json:"server_memory,omitempty"` // at the end of the run, with --pid
	Client   *ProcMem          `json:"client_memory,omitempty"` // the bench process at the end of the run
}

// Result is what one scenario measured.
type Result struct {
	Scenario string     `json:"scenario"`
	Metrics  []Metric   `json:"metrics"`
	Notes    []string   `json:"notes,omitempty"`
	Error    string     `json:"error,omitempty"`
	Seconds  float64    `json:"seconds"` // wall time, setup included
	Memory   *MemSample `json:"memory,omitempty"`
}

// Metric is one named measurement with its unit.
type Metric struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
}

func (r *Result) add(name string, v float64, unit string) {
	r.Metrics = append(r.Metrics, Metric{Name: name, Value: v, Unit: unit})
}

func (r *Result) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// addThroughput records bytes moved in d as MB/s (10^6 bytes) and MiB/s.
func (r *Result) addThroughput(prefix string, n int64, d time.Duration) {
	s := d.Seconds()
	r.add(prefix+"throughput", float64(n)/1e6/s, "MB/s")
	r.add(prefix+"throughput", float64(n)/(1<<20)/s, "MiB/s")
	r.add(prefix+"time", s, "s")
}

func writeJSON(w io.Writer, s *Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

func writeTable(w io.Writer, s *Summary) error {
	fmt.Fprintf(w, "berth bench against %s (seed %d)\n", s.Target, s.Seed)
	keys := make([]string, 0, len(s.Settings))
	for k := range s.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+s.Settings[k])
	}
	fmt.Fprintf(w, "settings: %s\n\n", strings.Join(parts, " "))

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tMETRIC\tVALUE\tUNIT")
	for _, r := range s.Results {
		for _, m := range r.Metrics {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Scenario, m.Name, formatValue(m.Value), m.Unit)
		}
		if mem := r.Memory; mem != nil {
			if mem.ServerMaxKiB > 0 {
				fmt.Fprintf(tw, "%s\tserver RSS start/max/end\t%s / %s / %s\tMiB\n", r.Scenario,
					kibToMiB(mem.ServerStartKiB), kibToMiB(mem.ServerMaxKiB), kibToMiB(mem.ServerEndKiB))
				fmt.Fprintf(tw, "%s\tserver VmHWM (lifetime peak)\t%s\tMiB\n", r.Scenario, kibToMiB(mem.ServerHWMKiB))
			}
			fmt.Fprintf(tw, "%s\tbench RSS max sampled\t%s\tMiB\n", r.Scenario, kibToMiB(mem.ClientMaxKiB))
		}
		fmt.Fprintf(tw, "%s\twall time (setup included)\t%s\ts\n", r.Scenario, formatValue(r.Seconds))
		if r.Error != "" {
			fmt.Fprintf(tw, "%s\tFAILED (see below)\t\t\n", r.Scenario)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	first := true
	for _, r := range s.Results {
		lines := r.Notes
		if r.Error != "" {
			lines = append(slices.Clip(lines), "FAILED: "+r.Error)
		}
		for _, n := range lines {
			if first {
				fmt.Fprintf(w, "\nnotes:\n")
				first = false
			}
			fmt.Fprintf(w, "  %s: %s\n", r.Scenario, n)
		}
	}
	if s.Server != nil {
		fmt.Fprintf(w, "\nserver at end: VmRSS %s MiB, VmHWM %s MiB\n", kibToMiB(s.Server.RSSKiB), kibToMiB(s.Server.HWMKiB))
	}
	if s.Client != nil {
		fmt.Fprintf(w, "bench at end:  VmRSS %s MiB, VmHWM %s MiB\n", kibToMiB(s.Client.RSSKiB), kibToMiB(s.Client.HWMKiB))
	}
	return nil
}

func kibToMiB(k int64) string { return strconv.FormatFloat(float64(k)/1024, 'f', 1, 64) }

// formatValue prints integers as such and other values with precision
// suited to their magnitude.
func formatValue(v float64) string {
	switch a := math.Abs(v); {
	case v == math.Trunc(v) && a < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

// percentile returns the p-th percentile (0..100) of sorted durations, by
// nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// ms converts a duration to float milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// median returns the median of ds (which it sorts).
func median(ds []time.Duration) time.Duration {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return percentile(ds, 50)
}
