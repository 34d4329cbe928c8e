package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/berth-oci/berth/internal/meta"
)

// Harbor's error codes, as its API writes them in {"errors":[{"code",...}]}.
const (
	CodeBadRequest       = "BAD_REQUEST"
	CodeUnauthorized     = "UNAUTHORIZED"
	CodeForbidden        = "FORBIDDEN"
	CodeNotFound         = "NOT_FOUND"
	CodeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	CodeConflict         = "CONFLICT"
	CodePrecondition     = "PRECONDITION"
	CodeTooManyRequests  = "TOO_MANY_REQUESTS"
	CodeInternal         = "UNKNOWN"
)

// Error is an API error with its HTTP status and Harbor error code.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func newError(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// badRequest is the common 400.
func badRequest(format string, args ...any) *Error {
	return newError(http.StatusBadRequest, CodeBadRequest, format, args...)
}

// notFound is the common 404.
func notFound(format string, args ...any) *Error {
	return newError(http.StatusNotFound, CodeNotFound, format, args...)
}

// conflict is the common 409.
func conflict(format string, args ...any) *Error {
	return newError(http.StatusConflict, CodeConflict, format, args...)
}

// storeError maps the metadata store's sentinels to API errors, naming
// what was being looked for; other errors pass through (500).
func storeError(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, meta.ErrImmutable):
		return immutableError(err)
	case errors.Is(err, meta.ErrNotFound):
		return notFound("%s not found", what)
	case errors.Is(err, meta.ErrConflict):
		return conflict("%s conflicts with an existing one", what)
	case errors.Is(err, meta.ErrInvalid):
		return badRequest("invalid %s", what)
	}
	return err
}

type errorBody struct {
	Errors []*Error `json:"errors"`
}

// writeError renders err as Harbor does. Errors that are not *Error are
// logged and answered 500 without internal detail.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if !errors.As(err, &e) {
		if ctxErr := r.Context().Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return // the client went away
		}
		a.log.ErrorContext(r.Context(), "api internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		e = newError(http.StatusInternalServerError, CodeInternal, "internal server error")
	}
	if e.Status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="berth"`)
	}
	writeJSON(w, e.Status, errorBody{Errors: []*Error{e}})
}

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"errors":[{"code":"UNKNOWN","message":"encode response"}]}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// MaxBodySize bounds a JSON request body.
const MaxBodySize = 1 << 20

// decodeJSON reads a JSON request body into v, refusing unknown fields'
// types, trailing data and bodies over MaxBodySize with a 400.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodySize))
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return newError(http.StatusRequestEntityTooLarge, CodeBadRequest, "request body over %d bytes", MaxBodySize)
		}
		return badRequest("invalid JSON body: %v", err)
	}
	if dec.More() {
		return badRequest("invalid JSON body: trailing data")
	}
	return nil
}
