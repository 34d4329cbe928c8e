package httpx

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"
)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-Id"

// maxRequestIDLen bounds an id taken from the client.
const maxRequestIDLen = 128

// Middleware wraps next with, from the outside in: a request id (the client's
// X-Request-Id if it is short and printable, else a random one; echoed in the
// response and stored in the context), the access log line, the HTTP metrics
// (if m is not nil), and panic recovery (500 and an error log with the stack).
// A mutable route holder is installed in the context for SetRoute; requests
// whose handler does not set it are labelled RouteOther. Wrap log's handler
// with LogHandler for the access log line (and the handlers' own lines) to
// carry the request id.
func Middleware(next http.Handler, log *slog.Logger, m *Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		ri := &reqInfo{id: id}
		r = r.WithContext(withInfo(r.Context(), ri))
		var body *countingBody
		if r.Body != nil && r.Body != http.NoBody {
			body = &countingBody{ReadCloser: r.Body}
			r.Body = body
		}
		rw := &responseWriter{w: w}
		if m != nil {
			m.inFlight.Inc()
		}

		defer func() {
			p := recover()
			if p != nil && p != http.ErrAbortHandler {
				log.ErrorContext(r.Context(), "panic serving request",
					"method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if rw.status == 0 {
					rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
					rw.WriteHeader(http.StatusInternalServerError)
					_, _ = rw.Write([]byte("internal server error\n"))
				}
			}
			status := rw.status
			if status == 0 {
				status = http.StatusOK // the server sends 200 for an empty handler
			}
			if p == http.ErrAbortHandler {
				status = 499 // the response was cut short on purpose
			}
			var in int64
			if body != nil {
				in = body.n
			}
			d := time.Since(start)
			route := Route(r.Context())
			if m != nil {
				m.inFlight.Dec()
				m.observe(route, r.Method, status, d, in, rw.n)
			}
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelWarn
			}
			log.LogAttrs(r.Context(), level, "request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Int64("bytes_in", in),
				slog.Int64("bytes", rw.n),
				slog.Duration("duration", d),
				slog.String("remote", r.RemoteAddr),
			)
			if p == http.ErrAbortHandler {
				panic(p)
			}
		}()
		next.ServeHTTP(rw, r)
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// statusLabel keeps the status label to real HTTP codes.
func statusLabel(code int) string {
	if code < 100 || code > 999 {
		return "other"
	}
	return strconv.Itoa(code)
}
