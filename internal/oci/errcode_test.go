package oci

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"testing"
)

func TestCodeStatus(t *testing.T) {
	t.Parallel()
	// Statuses from the OCI Distribution Spec endpoint table and Distribution's
	// errcode registry, where the OCI spec is silent.
	want := map[Code]int{
		CodeBlobUnknown:         http.StatusNotFound,
		CodeBlobUploadInvalid:   http.StatusBadRequest,
		CodeBlobUploadUnknown:   http.StatusNotFound,
		CodeDigestInvalid:       http.StatusBadRequest,
		CodeManifestBlobUnknown: http.StatusBadRequest,
		CodeManifestInvalid:     http.StatusBadRequest,
		CodeManifestUnknown:     http.StatusNotFound,
		CodeNameInvalid:         http.StatusBadRequest,
		CodeNameUnknown:         http.StatusNotFound,
		CodeSizeInvalid:         http.StatusBadRequest,
		CodeUnauthorized:        http.StatusUnauthorized,
		CodeDenied:              http.StatusForbidden,
		CodeUnsupported:         http.StatusMethodNotAllowed,
		CodeTooManyRequests:     http.StatusTooManyRequests,
		CodeRangeInvalid:        http.StatusRequestedRangeNotSatisfiable,
		CodeTagInvalid:          http.StatusBadRequest,
		CodeManifestTooLarge:    http.StatusRequestEntityTooLarge,
		CodeUnknown:             http.StatusInternalServerError,
		CodeUnavailable:         http.StatusServiceUnavailable,
		CodeMethodNotAllowed:    http.StatusMethodNotAllowed,
		CodePaginationInvalid:   http.StatusBadRequest,
	}
	if len(want) != len(codes) {
		t.Errorf("table has %d codes, test knows %d", len(codes), len(want))
	}
	// The spec: "containing only uppercase alphabetic characters and underscores".
	shape := regexp.MustCompile(`^[A-Z_]+$`)
	for c, status := range want {
		if got := c.Status(); got != status {
			t.Errorf("%s.Status() = %d, want %d", c, got, status)
		}
		if !shape.MatchString(string(c)) {
			t.Errorf("code %q is not uppercase letters and underscores", c)
		}
		if c.Message() == "" || c.Message() == "unknown error" && c != CodeUnknown {
			t.Errorf("%s has no message of its own: %q", c, c.Message())
		}
		if got, want := c.Error(), string(c)+": "+c.Message(); got != want {
			t.Errorf("%s.Error() = %q, want %q", c, got, want)
		}
	}
	// Messages of the OCI table, word for word.
	for c, msg := range map[Code]string{
		CodeBlobUnknown:         "blob unknown to registry",
		CodeBlobUploadInvalid:   "blob upload invalid",
		CodeBlobUploadUnknown:   "blob upload unknown to registry",
		CodeDigestInvalid:       "provided digest did not match uploaded content",
		CodeManifestBlobUnknown: "manifest references a manifest or blob unknown to registry",
		CodeManifestInvalid:     "manifest invalid",
		CodeManifestUnknown:     "manifest unknown to registry",
		CodeNameInvalid:         "invalid repository name",
		CodeNameUnknown:         "repository name not known to registry",
		CodeSizeInvalid:         "provided length did not match content length",
		CodeUnauthorized:        "authentication required",
		CodeDenied:              "requested access to the resource is denied",
		CodeUnsupported:         "the operation is unsupported",
		CodeTooManyRequests:     "too many requests",
	} {
		if c.Message() != msg {
			t.Errorf("%s.Message() = %q, want %q", c, c.Message(), msg)
		}
	}
	if got := Code("NOT_A_CODE").Status(); got != http.StatusInternalServerError {
		t.Errorf("unknown code status = %d, want 500", got)
	}
	if got := Code("NOT_A_CODE").Message(); got != "unknown error" {
		t.Errorf("unknown code message = %q", got)
	}
}

func TestErrorIs(t *testing.T) {
	t.Parallel()
	base := CodeBlobUnknown.WithDetail(map[string]string{"digest": "sha256:" + hex64})
	wrapped := fmt.Errorf("stat blob: %w", base)
	twice := fmt.Errorf("get: %w", wrapped)
	joined := errors.Join(errors.New("other"), base)
	for name, err := range map[string]error{"bare *Error": base, "wrapped": wrapped, "twice": twice, "joined": joined} {
		if !errors.Is(err, CodeBlobUnknown) {
			t.Errorf("%s: errors.Is(BLOB_UNKNOWN) = false", name)
		}
		if errors.Is(err, CodeManifestUnknown) {
			t.Errorf("%s: errors.Is(MANIFEST_UNKNOWN) = true", name)
		}
		var e *Error
		if !errors.As(err, &e) || e != base {
			t.Errorf("%s: errors.As did not find the *Error", name)
		}
	}
	// A bare Code is an error too.
	if err := fmt.Errorf("x: %w", CodeDenied); !errors.Is(err, CodeDenied) || errors.Is(err, CodeUnauthorized) {
		t.Errorf("bare code wrapped: Is mismatch")
	}
	var c Code
	if err := fmt.Errorf("x: %w", CodeDenied); !errors.As(err, &c) || c != CodeDenied {
		t.Errorf("errors.As(Code) = %q", c)
	}
	if errors.Is(base, errors.New("BLOB_UNKNOWN")) {
		t.Errorf("Is matched a non-Code error")
	}
}

func TestErrorBuilders(t *testing.T) {
	t.Parallel()
	t.Run("WithDetail", func(t *testing.T) {
		e := CodeNameUnknown.WithDetail(map[string]string{"name": "a/b"})
		if e.Code != CodeNameUnknown || e.Message != CodeNameUnknown.Message() || e.Status() != http.StatusNotFound {
			t.Fatalf("WithDetail = %+v", e)
		}
		if got, want := e.Error(), "NAME_UNKNOWN: repository name not known to registry (map[name:a/b])"; got != want {
			t.Errorf("Error() = %q, want %q", got, want)
		}
		b, _ := json.Marshal(e)
		if got, want := string(b), `{"code":"NAME_UNKNOWN","message":"repository name not known to registry","detail":{"name":"a/b"}}`; got != want {
			t.Errorf("JSON = %s, want %s", got, want)
		}
	})
	t.Run("WithMessage", func(t *testing.T) {
		e := CodeSizeInvalid.WithMessage("got %d, want %d", 1, 2)
		if e.Message != "got 1, want 2" || e.Detail != nil || e.Status() != http.StatusBadRequest {
			t.Fatalf("WithMessage = %+v", e)
		}
		if got := e.Error(); got != "SIZE_INVALID: got 1, want 2" {
			t.Errorf("Error() = %q", got)
		}
		b, _ := json.Marshal(e)
		if got, want := string(b), `{"code":"SIZE_INVALID","message":"got 1, want 2"}`; got != want {
			t.Errorf("JSON = %s, want %s (no detail, no status)", got, want)
		}
		if m := CodeUnknown.WithMessage("%s", "100%"); m.Message != "100%" {
			t.Errorf("WithMessage(%%s) = %q", m.Message)
		}
	})
	t.Run("WithStatus", func(t *testing.T) {
		e := CodeBlobUploadInvalid.WithMessage("out of order")
		s := e.WithStatus(http.StatusRequestedRangeNotSatisfiable)
		if s == e || e.HTTPStatus != 0 || e.Status() != http.StatusBadRequest {
			t.Fatalf("WithStatus changed the original: %+v", e)
		}
		if s.Status() != http.StatusRequestedRangeNotSatisfiable || s.Code != CodeBlobUploadInvalid || s.Message != "out of order" {
			t.Fatalf("WithStatus = %+v", s)
		}
		if !errors.Is(fmt.Errorf("w: %w", s), CodeBlobUploadInvalid) {
			t.Errorf("WithStatus copy lost its code")
		}
		if back := s.WithStatus(0); back.Status() != http.StatusBadRequest {
			t.Errorf("WithStatus(0) = %d, want the code's status", back.Status())
		}
	})
}

func TestWire(t *testing.T) {
	t.Parallel()
	spec := map[Code]bool{
		CodeBlobUnknown: true, CodeBlobUploadInvalid: true, CodeBlobUploadUnknown: true, CodeDigestInvalid: true,
		CodeManifestBlobUnknown: true, CodeManifestInvalid: true, CodeManifestUnknown: true, CodeNameInvalid: true,
		CodeNameUnknown: true, CodeSizeInvalid: true, CodeUnauthorized: true, CodeDenied: true,
		CodeUnsupported: true, CodeTooManyRequests: true,
	}
	for c := range codes {
		w := c.Wire()
		if spec[c] && w != c {
			t.Errorf("%s.Wire() = %s, want itself", c, w)
		}
		if w.Wire() != w {
			t.Errorf("%s.Wire() = %s, which is not a wire code", c, w)
		}
	}
	for c, want := range map[Code]Code{
		CodeRangeInvalid:     CodeBlobUploadInvalid,
		CodeTagInvalid:       CodeManifestInvalid,
		CodeManifestTooLarge: CodeManifestInvalid,
		CodeMethodNotAllowed: CodeUnsupported,
		Code("NOT_IN_TABLE"): Code("NOT_IN_TABLE"),
	} {
		if got := c.Wire(); got != want {
			t.Errorf("%s.Wire() = %s, want %s", c, got, want)
		}
	}
	// On the wire the code changes; status and errors.Is stay with the internal code.
	e := CodeRangeInvalid.WithMessage("chunk out of order")
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"code":"BLOB_UPLOAD_INVALID","message":"chunk out of order"}`; got != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
	if e.Status() != http.StatusRequestedRangeNotSatisfiable || !errors.Is(e, CodeRangeInvalid) || errors.Is(e, CodeBlobUploadInvalid) {
		t.Errorf("internal code lost: status %d", e.Status())
	}
}
