package oci

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Code is an OCI Distribution error code such as BLOB_UNKNOWN. A Code is
// itself an error, so services can return it bare or wrapped with detail via
// WithDetail / WithMessage, and callers test it with errors.Is.
type Code string

// The error codes of the OCI Distribution Spec v1.1, plus the few extra codes
// Docker's registry API defines and clients understand.
const (
	CodeBlobUnknown         Code = "BLOB_UNKNOWN"
	CodeBlobUploadInvalid   Code = "BLOB_UPLOAD_INVALID"
	CodeBlobUploadUnknown   Code = "BLOB_UPLOAD_UNKNOWN"
	CodeDigestInvalid       Code = "DIGEST_INVALID"
	CodeManifestBlobUnknown Code = "MANIFEST_BLOB_UNKNOWN"
	CodeManifestInvalid     Code = "MANIFEST_INVALID"
	CodeManifestUnknown     Code = "MANIFEST_UNKNOWN"
	CodeNameInvalid         Code = "NAME_INVALID"
	CodeNameUnknown         Code = "NAME_UNKNOWN"
	CodeSizeInvalid         Code = "SIZE_INVALID"
	CodeUnauthorized        Code = "UNAUTHORIZED"
	CodeDenied              Code = "DENIED"
	CodeUnsupported         Code = "UNSUPPORTED"
	CodeTooManyRequests     Code = "TOOMANYREQUESTS"
	// Codes outside the OCI table that Distribution and Docker clients use.
	CodeRangeInvalid      Code = "RANGE_INVALID"
	CodeTagInvalid        Code = "TAG_INVALID"
	CodeManifestTooLarge  Code = "MANIFEST_TOO_LARGE"
	CodeUnknown           Code = "UNKNOWN"
	CodeUnavailable       Code = "UNAVAILABLE"
	CodeMethodNotAllowed  Code = "METHOD_NOT_ALLOWED"
	CodePaginationInvalid Code = "PAGINATION_NUMBER_INVALID"
)

type codeInfo struct {
	status  int
	message string
	wire    Code // the spec code sent to clients, when the code itself is not one
}

// codes is the one table mapping each code to its HTTP status and default
// message, after the OCI Distribution Spec's error code table.
var codes = map[Code]codeInfo{
	CodeBlobUnknown:         {http.StatusNotFound, "blob unknown to registry", ""},
	CodeBlobUploadInvalid:   {http.StatusBadRequest, "blob upload invalid", ""},
	CodeBlobUploadUnknown:   {http.StatusNotFound, "blob upload unknown to registry", ""},
	CodeDigestInvalid:       {http.StatusBadRequest, "provided digest did not match uploaded content", ""},
	CodeManifestBlobUnknown: {http.StatusBadRequest, "manifest references a manifest or blob unknown to registry", ""},
	CodeManifestInvalid:     {http.StatusBadRequest, "manifest invalid", ""},
	CodeManifestUnknown:     {http.StatusNotFound, "manifest unknown to registry", ""},
	CodeNameInvalid:         {http.StatusBadRequest, "invalid repository name", ""},
	CodeNameUnknown:         {http.StatusNotFound, "repository name not known to registry", ""},
	CodeSizeInvalid:         {http.StatusBadRequest, "provided length did not match content length", ""},
	CodeUnauthorized:        {http.StatusUnauthorized, "authentication required", ""},
	CodeDenied:              {http.StatusForbidden, "requested access to the resource is denied", ""},
	CodeUnsupported:         {http.StatusMethodNotAllowed, "the operation is unsupported", ""},
	CodeTooManyRequests:     {http.StatusTooManyRequests, "too many requests", ""},
	CodeRangeInvalid:        {http.StatusRequestedRangeNotSatisfiable, "invalid content range", CodeBlobUploadInvalid},
	CodeTagInvalid:          {http.StatusBadRequest, "invalid tag", CodeManifestInvalid},
	CodeManifestTooLarge:    {http.StatusRequestEntityTooLarge, "manifest too large", CodeManifestInvalid},
	CodeUnknown:             {http.StatusInternalServerError, "unknown error", ""},
	CodeUnavailable:         {http.StatusServiceUnavailable, "service unavailable", ""},
	CodeMethodNotAllowed:    {http.StatusMethodNotAllowed, "the operation is unsupported", CodeUnsupported},
	CodePaginationInvalid:   {http.StatusBadRequest, "invalid number of results requested", CodeUnsupported},
}

// Error implements error.
func (c Code) Error() string { return string(c) + ": " + c.Message() }

// Status returns the HTTP status the spec gives the code (500 if unknown).
func (c Code) Status() int {
	if i, ok := codes[c]; ok {
		return i.status
	}
	return http.StatusInternalServerError
}

// Wire returns the code sent to clients: the code itself when it is in the
// OCI table, else the spec code that stands for it (RANGE_INVALID is sent as
// BLOB_UPLOAD_INVALID with status 416, for example). Internal codes keep
// errors.Is precise; clients only ever see spec codes.
func (c Code) Wire() Code {
	if i, ok := codes[c]; ok && i.wire != "" {
		return i.wire
	}
	return c
}

// Message returns the code's default human-readable message.
func (c Code) Message() string {
	if i, ok := codes[c]; ok {
		return i.message
	}
	return "unknown error"
}

// WithDetail returns an *Error with the code's default message and detail.
func (c Code) WithDetail(detail any) *Error {
	return &Error{Code: c, Message: c.Message(), Detail: detail}
}

// WithMessage returns an *Error with a specific message.
func (c Code) WithMessage(format string, args ...any) *Error {
	return &Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

// Error is one entry of an OCI error response body: {"code","message","detail"}.
// HTTPStatus, when non-zero, overrides the code's status (for example 416 for
// an out-of-order chunk, which the spec answers with BLOB_UPLOAD_INVALID).
type Error struct {
	Code       Code   `json:"code"`
	Message    string `json:"message"`
	Detail     any    `json:"detail,omitempty"`
	HTTPStatus int    `json:"-"`
}

// Error implements error.
func (e *Error) Error() string {
	if e.Detail != nil {
		return fmt.Sprintf("%s: %s (%v)", string(e.Code), e.Message, e.Detail)
	}
	return string(e.Code) + ": " + e.Message
}

// MarshalJSON renders the error with its wire code.
func (e *Error) MarshalJSON() ([]byte, error) {
	type wire struct {
		Code    Code   `json:"code"`
		Message string `json:"message"`
		Detail  any    `json:"detail,omitempty"`
	}
	return json.Marshal(wire{Code: e.Code.Wire(), Message: e.Message, Detail: e.Detail})
}

// Is reports whether target is the same Code, so errors.Is(err, CodeX) works.
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

// Status returns the HTTP status for the error.
func (e *Error) Status() int {
	if e.HTTPStatus != 0 {
		return e.HTTPStatus
	}
	return e.Code.Status()
}

// WithStatus returns a copy of e answered with the given HTTP status.
func (e *Error) WithStatus(status int) *Error {
	c := *e
	c.HTTPStatus = status
	return &c
}
