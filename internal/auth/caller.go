package auth

import (
	"context"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/auth/token"
)

// Method says how a caller proved who they are.
type Method string

// Authentication methods.
const (
	MethodNone    Method = "anonymous" // no credentials
	MethodBasic   Method = "basic"     // HTTP basic: password, robot secret or personal access token
	MethodBearer  Method = "bearer"    // a token from the token service
	MethodAuthOff Method = "disabled"  // auth.disabled: everyone is a system admin
)

// Caller is who is making a request, as the authentication middleware
// established it. Handlers read it with CallerFrom and pass Principal to the
// access package.
type Caller struct {
	// Principal is what access decisions are made on.
	Principal access.Principal
	// UserID is the local user's id in the metadata store; 0 for anonymous
	// callers, robots, and htpasswd users without a store record.
	UserID int64
	// RobotID is the robot account's id; 0 unless Principal is a robot.
	RobotID int64
	// Method is how the caller authenticated.
	Method Method
	// Claims are the verified claims of a bearer token (Method ==
	// MethodBearer); requests carrying one are limited to its access claim.
	Claims *token.Claims
}

// Anonymous reports whether the caller presented no credentials.
func (c Caller) Anonymous() bool { return c.Principal.Kind == access.KindAnonymous }

// Kind returns "user", "robot" or "anonymous", as audit events record it.
func (c Caller) Kind() string { return c.Principal.Kind.String() }

type callerKey struct{}

type authState struct {
	caller Caller
	err    error
}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, &authState{caller: c})
}

// WithError returns ctx recording that the request's credentials were
// refused with err (wrapping ErrBadCredentials, ErrRateLimited or
// token.ErrInvalidToken). CallerFrom then gives an anonymous caller and
// ErrorFrom the error: handlers answer 401 rather than treat the request as
// anonymous.
func WithError(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, callerKey{}, &authState{err: err})
}

// CallerFrom returns the request's caller; anonymous when the middleware did
// not run or refused the credentials.
func CallerFrom(ctx context.Context) Caller {
	if s, ok := ctx.Value(callerKey{}).(*authState); ok && s.err == nil {
		return s.caller
	}
	return Caller{Method: MethodNone}
}

// ErrorFrom returns why the request's credentials were refused, or nil.
func ErrorFrom(ctx context.Context) error {
	if s, ok := ctx.Value(callerKey{}).(*authState); ok {
		return s.err
	}
	return nil
}
