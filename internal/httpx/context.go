package httpx

import (
	"context"
	"log/slog"
	"sync"
)

// RouteOther is the route label of requests whose handler did not call SetRoute.
const RouteOther = "other"

type ctxKey struct{}

// reqInfo is what the middleware puts in the request context. The route is
// mutable so that a handler deep in the chain can name it for the middleware.
type reqInfo struct {
	id    string
	mu    sync.Mutex
	route string
}

func withInfo(ctx context.Context, ri *reqInfo) context.Context {
	return context.WithValue(ctx, ctxKey{}, ri)
}

func info(ctx context.Context) *reqInfo {
	ri, _ := ctx.Value(ctxKey{}).(*reqInfo)
	return ri
}

// SetRoute names the route serving the request whose context is ctx, for the
// route label of the HTTP metrics ("blob_get", "manifest_put", ...). The name
// must come from a small fixed set, never from the path. It does nothing if
// ctx did not come through the Middleware.
func SetRoute(ctx context.Context, name string) {
	ri := info(ctx)
	if ri == nil {
		return
	}
	ri.mu.Lock()
	ri.route = name
	ri.mu.Unlock()
}

// Route returns the route name set with SetRoute, or RouteOther.
func Route(ctx context.Context) string {
	ri := info(ctx)
	if ri == nil {
		return RouteOther
	}
	ri.mu.Lock()
	defer ri.mu.Unlock()
	if ri.route == "" {
		return RouteOther
	}
	return ri.route
}

// RequestID returns the id of the request whose context is ctx, or "".
func RequestID(ctx context.Context) string {
	if ri := info(ctx); ri != nil {
		return ri.id
	}
	return ""
}

// LogHandler wraps h so that every record logged with a request's context
// (log.InfoContext(r.Context(), ...)) carries that request's id as
// "request_id".
func LogHandler(h slog.Handler) slog.Handler {
	return logHandler{h}
}

type logHandler struct{ slog.Handler }

func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return l.Handler.Handle(ctx, r)
}

func (l logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{l.Handler.WithAttrs(attrs)}
}

func (l logHandler) WithGroup(name string) slog.Handler {
	return logHandler{l.Handler.WithGroup(name)}
}
