package password

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// ErrDuplicateUser reports an htpasswd user listed more than once; the first
// entry wins, as in Apache.
var ErrDuplicateUser = errors.New("duplicate user")

// maxHtpasswdSize bounds how much of an htpasswd file is read.
const maxHtpasswdSize = 32 << 20

// LineError describes an htpasswd line that was skipped.
type LineError struct {
	// Line is the 1-based line number.
	Line int
	// User is the user name on the line, if one could be read.
	User string
	// Err is the reason, e.g. wrapping ErrUnsupportedHash.
	Err error
}

// Error implements error.
func (e *LineError) Error() string {
	return fmt.Sprintf("htpasswd line %d (user %q): %v", e.Line, e.User, e.Err)
}

// Unwrap returns the reason.
func (e *LineError) Unwrap() error { return e.Err }

// ParseHtpasswd reads htpasswd content: "user:hash" lines, with blank lines
// and lines starting with '#' ignored. Only bcrypt entries (htpasswd -B) are
// accepted; lines with other schemes (MD5 $apr1$, {SHA}, crypt, SHA-crypt),
// malformed lines and repeated users are skipped and reported in skipped,
// each a *LineError. err is non-nil only if r cannot be read.
func ParseHtpasswd(r io.Reader) (users map[string]string, skipped []error, err error) {
	users = make(map[string]string)
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		switch {
		case !ok || user == "":
			skipped = append(skipped, &LineError{Line: n, Err: errors.New(`want "user:hash"`)})
			continue
		case users[user] != "":
			skipped = append(skipped, &LineError{Line: n, User: user, Err: ErrDuplicateUser})
			continue
		}
		if err := checkHtpasswdHash(hash); err != nil {
			skipped = append(skipped, &LineError{Line: n, User: user, Err: err})
			continue
		}
		users[user] = hash
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read htpasswd: %w", err)
	}
	return users, skipped, nil
}

func checkHtpasswdHash(hash string) error {
	if !isBcrypt(hash) {
		scheme := "crypt or plain text"
		for _, p := range []string{"$apr1$", "{SHA}", "$1$", "$5$", "$6$", "$argon2"} {
			if strings.HasPrefix(hash, p) {
				scheme = p
			}
		}
		return fmt.Errorf("%w %q: only bcrypt entries ($2y$, made by htpasswd -B) are accepted", ErrUnsupportedHash, scheme)
	}
	cost, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrMalformedHash, err)
	}
	if cost > maxBcryptCost {
		return fmt.Errorf("%w: bcrypt cost %d exceeds %d", ErrMalformedHash, cost, maxBcryptCost)
	}
	return nil
}

// Htpasswd is a read-only user source backed by an htpasswd file. It is
// safe for concurrent use; Reload swaps in new contents atomically.
type Htpasswd struct {
	path string

	reload sync.Mutex // serializes Reload

	mu      sync.RWMutex
	users   map[string][]byte
	skipped []error
	dummy   []byte // bcrypt hash checked for unknown users
	modTime time.Time
	size    int64
	sum     [sha256.Size]byte

	// verify is verifyBcrypt; tests replace it to observe the dummy path.
	verify func(hash []byte, secret string) (bool, error)
}

// OpenHtpasswd reads the htpasswd file at path. Skipped lines do not make it
// fail: they are available from Skipped, for the caller to log.
func OpenHtpasswd(path string) (*Htpasswd, error) {
	h := &Htpasswd{path: path, verify: verifyBcrypt}
	if _, err := h.Reload(); err != nil {
		return nil, err
	}
	return h, nil
}

// Reload re-reads the file if its size or modification time changed since
// the last read, and reports whether the set of entries changed. On error
// the previous contents stay in effect. It is cheap enough (one stat) to
// call before each authentication or from a ticker.
func (h *Htpasswd) Reload() (changed bool, err error) {
	h.reload.Lock()
	defer h.reload.Unlock()
	fi, err := os.Stat(h.path)
	if err != nil {
		return false, fmt.Errorf("htpasswd %s: %w", h.path, err)
	}
	h.mu.RLock()
	same := h.users != nil && fi.ModTime().Equal(h.modTime) && fi.Size() == h.size
	h.mu.RUnlock()
	if same {
		return false, nil
	}
	f, err := os.Open(h.path)
	if err != nil {
		return false, fmt.Errorf("htpasswd %s: %w", h.path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxHtpasswdSize+1))
	if err != nil {
		return false, fmt.Errorf("htpasswd %s: %w", h.path, err)
	}
	if len(data) > maxHtpasswdSize {
		return false, fmt.Errorf("htpasswd %s: larger than %d bytes", h.path, maxHtpasswdSize)
	}
	sum := sha256.Sum256(data)
	h.mu.RLock()
	same = h.users != nil && sum == h.sum
	h.mu.RUnlock()
	if same { // touched but identical
		h.mu.Lock()
		h.modTime, h.size = fi.ModTime(), fi.Size()
		h.mu.Unlock()
		return false, nil
	}
	parsed, skipped, err := ParseHtpasswd(bytes.NewReader(data))
	if err != nil {
		return false, fmt.Errorf("htpasswd %s: %w", h.path, err)
	}
	users := make(map[string][]byte, len(parsed))
	for u, hash := range parsed {
		users[u] = []byte(hash)
	}
	dummy, err := h.dummyFor(users)
	if err != nil {
		return false, fmt.Errorf("htpasswd %s: %w", h.path, err)
	}
	h.mu.Lock()
	h.users, h.skipped, h.dummy = users, skipped, dummy
	h.modTime, h.size, h.sum = fi.ModTime(), fi.Size(), sum
	h.mu.Unlock()
	return true, nil
}

// dummyFor returns a bcrypt hash of a random secret at the cost most entries
// use, so checking it takes as long as checking a real entry. It reuses the
// current dummy when the cost is unchanged.
func (h *Htpasswd) dummyFor(users map[string][]byte) ([]byte, error) {
	counts := map[int]int{}
	for _, hash := range users {
		if c, err := bcrypt.Cost(hash); err == nil {
			counts[c]++
		}
	}
	cost := bcrypt.DefaultCost
	for c, n := range counts {
		if n > counts[cost] || (n == counts[cost] && c > cost) {
			cost = c
		}
	}
	h.mu.RLock()
	cur := h.dummy
	h.mu.RUnlock()
	if cur != nil {
		if c, err := bcrypt.Cost(cur); err == nil && c == cost {
			return cur, nil
		}
	}
	return bcrypt.GenerateFromPassword([]byte(GenerateSecret()), cost)
}

// Authenticate reports whether username exists and password matches its
// entry. For an unknown user it checks a dummy hash of the same cost, so
// the time taken does not reveal whether the user exists.
func (h *Htpasswd) Authenticate(username, password string) bool {
	h.mu.RLock()
	hash, known := h.users[username]
	if !known {
		hash = h.dummy
	}
	h.mu.RUnlock()
	ok, err := h.verify(hash, password)
	return known && ok && err == nil
}

// Has reports whether username has an entry.
func (h *Htpasswd) Has(username string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	_, ok := h.users[username]
	return ok
}

// Users returns the user names with an entry, sorted.
func (h *Htpasswd) Users() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	names := make([]string, 0, len(h.users))
	for u := range h.users {
		names = append(names, u)
	}
	slices.Sort(names)
	return names
}

// Skipped returns the lines the last successful read skipped, each a
// *LineError, for the caller to log.
func (h *Htpasswd) Skipped() []error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return slices.Clone(h.skipped)
}
