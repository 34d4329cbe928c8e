package password

import (
	"container/list"
	"net/netip"
	"sync"
	"time"
)

// LimiterOptions configures a Limiter. Zero values take the documented
// defaults.
type LimiterOptions struct {
	// FreeFailures is how many failed logins a (username, address) pair may
	// make before backoff starts. Default 5.
	FreeFailures int
	// FreeFailuresPerAddress is the same for an address across all user
	// names, which stops one client spraying guesses over many accounts.
	// Default 50; negative disables the per-address limit.
	FreeFailuresPerAddress int
	// BaseDelay is the first lockout; each further failure doubles it.
	// Default 1s.
	BaseDelay time.Duration
	// MaxDelay caps the lockout. Default 5m.
	MaxDelay time.Duration
	// ForgetAfter is how long after its last failure a key's count is
	// dropped. Default 1h; never less than MaxDelay.
	ForgetAfter time.Duration
	// MaxEntries bounds memory: beyond it the least recently failed keys
	// are forgotten. Default 65536 (a few MiB).
	MaxEntries int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Limiter slows down password guessing. Callers ask Allow before checking a
// password, then report the outcome with Failure or Success. After
// FreeFailures failures for a (username, address) pair, or
// FreeFailuresPerAddress for an address, each further failure locks that key
// out for BaseDelay doubled per failure, up to MaxDelay. Locking out a pair
// rather than a user means an attacker elsewhere cannot lock a user out.
//
// Addresses are grouped: IPv4 per address, IPv6 per /64, since one host
// usually owns a whole /64. A Limiter is safe for concurrent use and its
// memory is bounded by MaxEntries.
type Limiter struct {
	opt LimiterOptions

	mu      sync.Mutex
	lru     *list.List // of *limitEntry, most recently failed first
	entries map[string]*list.Element
}

type limitEntry struct {
	key      string
	failures int
	last     time.Time // last failure
	until    time.Time // locked out until
}

// NewLimiter returns a Limiter with opt, defaults filled in.
func NewLimiter(opt LimiterOptions) *Limiter {
	if opt.FreeFailures <= 0 {
		opt.FreeFailures = 5
	}
	if opt.FreeFailuresPerAddress == 0 {
		opt.FreeFailuresPerAddress = 50
	}
	if opt.BaseDelay <= 0 {
		opt.BaseDelay = time.Second
	}
	if opt.MaxDelay <= 0 {
		opt.MaxDelay = 5 * time.Minute
	}
	if opt.ForgetAfter <= 0 {
		opt.ForgetAfter = time.Hour
	}
	opt.ForgetAfter = max(opt.ForgetAfter, opt.MaxDelay)
	if opt.MaxEntries <= 0 {
		opt.MaxEntries = 1 << 16
	}
	opt.MaxEntries = max(opt.MaxEntries, 2) // room for one pair and its address
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Limiter{opt: opt, lru: list.New(), entries: make(map[string]*list.Element)}
}

// Allow reports whether a login attempt for username from addr (an IP
// address, with or without a port) may proceed. When it may not, retryAfter
// is how long until it may, suitable for a Retry-After header.
func (l *Limiter) Allow(username, addr string) (retryAfter time.Duration, ok bool) {
	now := l.opt.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, key := range l.keys(username, addr) {
		if e := l.live(key, now); e != nil && now.Before(e.until) {
			retryAfter = max(retryAfter, e.until.Sub(now))
		}
	}
	return retryAfter, retryAfter == 0
}

// Failure records a failed login for username from addr and returns how
// long the pair or address is now locked out (zero if not).
func (l *Limiter) Failure(username, addr string) (retryAfter time.Duration) {
	now := l.opt.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := l.keys(username, addr)
	for i, key := range keys {
		free := l.opt.FreeFailures
		if i == 1 {
			free = l.opt.FreeFailuresPerAddress
		}
		e := l.live(key, now)
		if e == nil {
			e = &limitEntry{key: key}
			l.entries[key] = l.lru.PushFront(e)
		} else {
			l.lru.MoveToFront(l.entries[key])
		}
		e.failures++
		e.last = now
		if over := e.failures - free; over > 0 {
			e.until = now.Add(l.delay(over))
			retryAfter = max(retryAfter, l.delay(over))
		}
	}
	for l.lru.Len() > l.opt.MaxEntries {
		l.remove(l.lru.Back())
	}
	return retryAfter
}

// Success records a successful login, forgetting the pair's failures. The
// address's count stays, so logging in to one's own account between
// guesses at others does not reset it.
func (l *Limiter) Success(username, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.entries[pairKey(username, normalizeAddr(addr))]; ok {
		l.remove(el)
	}
}

// Prune drops entries idle for longer than ForgetAfter. The limiter is
// bounded without it; calling it from time to time just returns memory
// sooner.
func (l *Limiter) Prune() {
	now := l.opt.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for el := l.lru.Back(); el != nil; {
		prev := el.Prev()
		if now.Sub(el.Value.(*limitEntry).last) >= l.opt.ForgetAfter {
			l.remove(el)
		}
		el = prev
	}
}

// Len returns the number of keys being tracked.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// delay returns BaseDelay * 2^(over-1), capped at MaxDelay.
func (l *Limiter) delay(over int) time.Duration {
	d := l.opt.BaseDelay
	for i := 1; i < over && d < l.opt.MaxDelay; i++ {
		d *= 2
	}
	return min(d, l.opt.MaxDelay)
}

// live returns the entry for key, or nil if there is none or it has been
// idle long enough to forget (in which case it is removed).
func (l *Limiter) live(key string, now time.Time) *limitEntry {
	el, ok := l.entries[key]
	if !ok {
		return nil
	}
	e := el.Value.(*limitEntry)
	if now.Sub(e.last) >= l.opt.ForgetAfter {
		l.remove(el)
		return nil
	}
	return e
}

func (l *Limiter) remove(el *list.Element) {
	delete(l.entries, el.Value.(*limitEntry).key)
	l.lru.Remove(el)
}

// keys returns the pair key and, unless disabled, the address key.
func (l *Limiter) keys(username, addr string) []string {
	a := normalizeAddr(addr)
	if l.opt.FreeFailuresPerAddress < 0 {
		return []string{pairKey(username, a)}
	}
	return []string{pairKey(username, a), "a\x00" + a}
}

func pairKey(username, addr string) string { return "u\x00" + addr + "\x00" + username }

// normalizeAddr maps addr to the unit limits apply to: the IPv4 address or
// the IPv6 /64. Unparseable input is used as is.
func normalizeAddr(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		ap, perr := netip.ParseAddrPort(addr)
		if perr != nil {
			return addr
		}
		ip = ap.Addr()
	}
	ip = ip.WithZone("").Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
