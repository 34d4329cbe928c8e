package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// ProcMem is a process's resident memory as /proc/<pid>/status reports it.
type ProcMem struct {
	RSSKiB int64 `json:"vm_rss_kib"` // VmRSS: resident now
	HWMKiB int64 `json:"vm_hwm_kib"` // VmHWM: peak resident over the process's life
}

// readProcMem reads VmRSS and VmHWM of pid ("self" for the bench itself).
func readProcMem(pid string) (ProcMem, error) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return ProcMem{}, fmt.Errorf("read memory of pid %s: %w", pid, err)
	}
	var m ProcMem
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Bytes()
		var dst *int64
		switch {
		case bytes.HasPrefix(line, []byte("VmRSS:")):
			dst = &m.RSSKiB
		case bytes.HasPrefix(line, []byte("VmHWM:")):
			dst = &m.HWMKiB
		default:
			continue
		}
		f := bytes.Fields(line)
		if len(f) >= 2 {
			if v, err := strconv.ParseInt(string(f[1]), 10, 64); err == nil {
				*dst = v
			}
		}
	}
	return m, nil
}

// MemSample is the memory seen while one scenario ran.
type MemSample struct {
	ServerStartKiB  int64  `json:"server_start_rss_kib,omitempty"`
	ServerMaxKiB    int64  `json:"server_max_rss_kib,omitempty"`
	ServerEndKiB    int64  `json:"server_end_rss_kib,omitempty"`
	ServerHWMKiB    int64  `json:"server_hwm_kib,omitempty"`
	ClientMaxKiB    int64  `json:"client_max_rss_kib"`
	ClientHWMKiB    int64  `json:"client_hwm_kib"`
	Samples         int    `json:"samples"`
	ServerReadError string `json:"server_read_error,omitempty"`
}

// sampler polls VmRSS of the server (when pid > 0) and of the bench itself.
type sampler struct {
	pid  string
	stop chan struct{}
	done sync.WaitGroup
	mu   sync.Mutex
	s    MemSample
}

// startSampler starts polling every interval until stopSampler.
func startSampler(pid int, interval time.Duration) *sampler {
	sm := &sampler{stop: make(chan struct{})}
	if pid > 0 {
		sm.pid = strconv.Itoa(pid)
		if m, err := readProcMem(sm.pid); err == nil {
			sm.s.ServerStartKiB = m.RSSKiB
		}
	}
	sm.sample()
	sm.done.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-sm.stop:
				return
			case <-t.C:
				sm.sample()
			}
		}
	})
	return sm
}

func (sm *sampler) sample() {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	sm.s.Samples++
	if m, err := readProcMem("self"); err == nil {
		sm.s.ClientMaxKiB = max(sm.s.ClientMaxKiB, m.RSSKiB)
		sm.s.ClientHWMKiB = m.HWMKiB
	}
	if sm.pid == "" {
		return
	}
	m, err := readProcMem(sm.pid)
	if err != nil {
		sm.s.ServerReadError = err.Error()
		return
	}
	sm.s.ServerMaxKiB = max(sm.s.ServerMaxKiB, m.RSSKiB)
	sm.s.ServerEndKiB = m.RSSKiB
	sm.s.ServerHWMKiB = m.HWMKiB
}

// finish takes a last sample, stops polling and returns what was seen.
func (sm *sampler) finish() MemSample {
	close(sm.stop)
	sm.done.Wait()
	sm.sample()
	sm.mu.Lock()
	defer sm.mu.Unlock()
	return sm.s
}
