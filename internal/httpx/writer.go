package httpx

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// responseWriter records the status and counts the bytes written, while
// keeping the optional interfaces of the underlying writer usable:
// io.ReaderFrom (so io.Copy from an *os.File still reaches sendfile),
// http.Flusher, and Unwrap for http.ResponseController.
type responseWriter struct {
	w      http.ResponseWriter
	status int   // 0 until the header is written
	n      int64 // body bytes written
}

var (
	_ http.ResponseWriter = (*responseWriter)(nil)
	_ http.Flusher        = (*responseWriter)(nil)
	_ io.ReaderFrom       = (*responseWriter)(nil)
)

func (rw *responseWriter) Header() http.Header { return rw.w.Header() }

func (rw *responseWriter) WriteHeader(code int) {
	// 1xx responses other than 101 are informational: the real one follows.
	if rw.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		rw.status = code
	}
	rw.w.WriteHeader(code)
}

func (rw *responseWriter) Write(p []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rw.w.Write(p)
	rw.n += int64(n)
	return n, err
}

// ReadFrom hands src unchanged to the underlying writer's ReadFrom, so that
// the net/http server can splice or sendfile an *os.File to the socket.
func (rw *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	var (
		n   int64
		err error
	)
	if rf, ok := rw.w.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(writerOnly{rw.w}, src)
	}
	rw.n += n
	return n, err
}

// Flush implements http.Flusher; it does nothing if the underlying writer
// cannot flush.
func (rw *responseWriter) Flush() {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	_ = http.NewResponseController(rw.w).Flush()
}

// Hijack lets protocol upgrades through; the status is recorded as 101.
func (rw *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(rw.w).Hijack()
	if err == nil && rw.status == 0 {
		rw.status = http.StatusSwitchingProtocols
	}
	return c, brw, err
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.w }

// writerOnly hides every method but Write, so io.Copy cannot loop back into
// ReadFrom.
type writerOnly struct{ io.Writer }

// countingBody counts the request body bytes the handler actually reads.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}
