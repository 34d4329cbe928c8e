package password

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestLimiter(opt LimiterOptions) (*Limiter, *fakeClock) {
	clk := &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	opt.Now = clk.Now
	return NewLimiter(opt), clk
}

func TestLimiterBackoff(t *testing.T) {
	t.Parallel()
	l, clk := newTestLimiter(LimiterOptions{FreeFailures: 3, BaseDelay: time.Second, MaxDelay: 10 * time.Second})
	const user, ip = "alice", "192.0.2.7"

	// Free failures: no lockout.
	for i := range 3 {
		if d := l.Failure(user, ip); d != 0 {
			t.Fatalf("failure %d locked out for %v", i+1, d)
		}
		if _, ok := l.Allow(user, ip); !ok {
			t.Fatalf("denied after %d free failures", i+1)
		}
	}
	// Then 1s, 2s, 4s, 8s, 10s (cap), 10s.
	for i, want := range []time.Duration{1, 2, 4, 8, 10, 10} {
		want *= time.Second
		if d := l.Failure(user, ip); d != want {
			t.Fatalf("failure %d: lockout %v, want %v", i+4, d, want)
		}
		retry, ok := l.Allow(user, ip)
		if ok || retry != want {
			t.Fatalf("after failure %d: Allow = %v, %v; want %v, false", i+4, retry, ok, want)
		}
		clk.Advance(want - time.Millisecond)
		if retry, ok := l.Allow(user, ip); ok || retry != time.Millisecond {
			t.Fatalf("just before the lockout ends: Allow = %v, %v", retry, ok)
		}
		clk.Advance(time.Millisecond)
		if _, ok := l.Allow(user, ip); !ok {
			t.Fatalf("denied after the lockout of %v ended", want)
		}
	}

	// Other pairs are unaffected: same user elsewhere, other user here.
	if _, ok := l.Allow(user, "198.51.100.1"); !ok {
		t.Error("same user from another address is locked out")
	}
	if _, ok := l.Allow("bob", ip); !ok {
		t.Error("another user from the same address is locked out")
	}

	// Success resets the pair.
	l.Success(user, ip)
	if d := l.Failure(user, ip); d != 0 {
		t.Errorf("first failure after success locked out for %v", d)
	}
}

func TestLimiterForgets(t *testing.T) {
	t.Parallel()
	l, clk := newTestLimiter(LimiterOptions{FreeFailures: 1, MaxDelay: time.Minute, ForgetAfter: time.Hour})
	l.Failure("alice", "192.0.2.7")
	if d := l.Failure("alice", "192.0.2.7"); d != time.Second {
		t.Fatalf("lockout = %v, want 1s", d)
	}
	clk.Advance(time.Hour)
	if d := l.Failure("alice", "192.0.2.7"); d != 0 {
		t.Errorf("failure an hour later locked out for %v: old failures not forgotten", d)
	}
	clk.Advance(2 * time.Hour)
	l.Prune()
	if n := l.Len(); n != 0 {
		t.Errorf("Len after Prune = %d, want 0", n)
	}
}

func TestLimiterPerAddress(t *testing.T) {
	t.Parallel()
	l, _ := newTestLimiter(LimiterOptions{FreeFailures: 5, FreeFailuresPerAddress: 10})
	for i := range 10 {
		l.Failure(fmt.Sprintf("user%d", i), "192.0.2.7")
	}
	if _, ok := l.Allow("user99", "192.0.2.7"); !ok {
		t.Fatal("10 failures over 10 users are within FreeFailuresPerAddress")
	}
	l.Failure("user10", "192.0.2.7")
	if _, ok := l.Allow("user99", "192.0.2.7"); ok {
		t.Fatal("spraying 11 users must not be free")
	}
	if _, ok := l.Allow("user1", "192.0.2.8"); !ok {
		t.Error("another address is locked out")
	}
	// Success on one's own account does not reset the address.
	l.Success("user99", "192.0.2.7")
	if _, ok := l.Allow("user99", "192.0.2.7"); ok {
		t.Error("Success reset the per-address count")
	}

	off, _ := newTestLimiter(LimiterOptions{FreeFailures: 5, FreeFailuresPerAddress: -1})
	for i := range 100 {
		off.Failure(fmt.Sprintf("user%d", i), "192.0.2.7")
	}
	if _, ok := off.Allow("user99", "192.0.2.7"); !ok {
		t.Error("per-address limit applied although disabled")
	}
}

func TestLimiterAddressGrouping(t *testing.T) {
	t.Parallel()
	tests := []struct{ a, b string }{
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2:bbbb::2"}, // same /64
		{"192.0.2.7", "::ffff:192.0.2.7"},
		{"192.0.2.7", "192.0.2.7:4711"},
		{"[2001:db8::1]:443", "2001:db8::2"},
		{"fe80::1%eth0", "fe80::2"},
	}
	for _, tt := range tests {
		if normalizeAddr(tt.a) != normalizeAddr(tt.b) {
			t.Errorf("%q and %q are limited separately (%q vs %q)", tt.a, tt.b, normalizeAddr(tt.a), normalizeAddr(tt.b))
		}
	}
	if normalizeAddr("2001:db8:0:1::1") == normalizeAddr("2001:db8:0:2::1") {
		t.Error("different IPv6 /64s share a limit")
	}
	if normalizeAddr("192.0.2.7") == normalizeAddr("192.0.2.8") {
		t.Error("different IPv4 addresses share a limit")
	}
}

func TestLimiterBounded(t *testing.T) {
	t.Parallel()
	l, _ := newTestLimiter(LimiterOptions{MaxEntries: 100, FreeFailures: 1})
	for i := range 1000 {
		l.Failure("alice", fmt.Sprintf("10.0.%d.%d", i/256, i%256))
	}
	if n := l.Len(); n > 100 {
		t.Errorf("Len = %d, want at most MaxEntries 100", n)
	}
	// The most recent keys survive.
	if d := l.Failure("alice", "10.0.3.231"); d == 0 {
		t.Error("recently failing pair was evicted")
	}
}

func TestLimiterConcurrent(t *testing.T) {
	t.Parallel()
	l := NewLimiter(LimiterOptions{MaxEntries: 50})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				ip := fmt.Sprintf("10.0.%d.%d", g, i%20)
				l.Allow("u", ip)
				l.Failure("u", ip)
				if i%7 == 0 {
					l.Success("u", ip)
				}
			}
		})
	}
	wg.Wait()
	l.Prune()
	if l.Len() > 50 {
		t.Errorf("Len = %d > 50", l.Len())
	}
}
