package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Prefix is the path of the management API on a Berth server.
const Prefix = "/api/v2.0"

// PageSize is the page size list calls ask for: Harbor's maximum.
const PageSize = 100

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// Error is an error response of the API: the HTTP status and, when the body
// is in Harbor's shape, the first error's code and message.
type Error struct {
	Status  int    // HTTP status code
	Code    string // Harbor error code ("NOT_FOUND", "CONFLICT", ...); "" if the body had none
	Message string
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = strings.ToLower(http.StatusText(e.Status))
	}
	if e.Code != "" {
		return fmt.Sprintf("%s (HTTP %d %s)", msg, e.Status, e.Code)
	}
	return fmt.Sprintf("%s (HTTP %d)", msg, e.Status)
}

// StatusOf returns the HTTP status of err if it is (or wraps) an *Error,
// else 0.
func StatusOf(err error) int {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Status
	}
	return 0
}

// Client calls one Berth server's management API.
type Client struct {
	base     *url.URL // scheme://host[:port][/path], no trailing slash
	username string
	secret   string
	hc       *http.Client
}

// New returns a client for server (see ParseServer) that authenticates as
// username with secret (a password, robot secret or access token; both
// empty for anonymous calls). hc nil means http.DefaultClient.
func New(server, username, secret string, hc *http.Client) (*Client, error) {
	u, err := ParseServer(server)
	if err != nil {
		return nil, err
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: u, username: username, secret: secret, hc: hc}, nil
}

// Server returns the normalised server URL the client talks to.
func (c *Client) Server() string { return c.base.String() }

// ParseServer normalises a server address: a URL (http://host:port,
// https://host) or a bare host[:port], which means https, or http for a
// loopback host (localhost, 127.0.0.1, ::1) as Docker assumes. A trailing
// slash and a trailing /api/v2.0 are dropped.
func ParseServer(server string) (*url.URL, error) {
	s := strings.TrimSpace(server)
	if s == "" {
		return nil, errors.New("no server given")
	}
	if !strings.Contains(s, "://") {
		scheme := "https"
		if isLoopback(s) {
			scheme = "http"
		}
		s = scheme + "://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("server %q: %w", server, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("server %q: scheme must be http or https", server)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("server %q: no host", server)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("server %q: want scheme://host[:port] without credentials, query or fragment", server)
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), Prefix)
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// request is one API call. path is relative to Prefix and already escaped.
type request struct {
	method string
	path   string
	query  url.Values
	body   any // JSON-encoded when not nil
}

// do sends req and decodes a 2xx JSON body into out (when out is not nil
// and the body is not empty). Other statuses are returned as *Error.
func (c *Client) do(ctx context.Context, req request, out any) (http.Header, error) {
	u := c.base.String() + Prefix + req.path
	if len(req.query) > 0 {
		u += "?" + req.query.Encode()
	}
	var body io.Reader
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u, body)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(req.path, "/projects/") {
		// Every {project_name_or_id} this client sends is a name, even one
		// that looks like a number.
		hr.Header.Set("X-Is-Resource-Name", "true")
	}
	hr.Header.Set("Accept", "application/json")
	if req.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if c.username != "" || c.secret != "" {
		hr.SetBasicAuth(c.username, c.secret)
	}
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, decodeError(resp)
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return resp.Header, nil
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.Header, fmt.Errorf("%s %s: read response: %w", req.method, Prefix+req.path, err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return resp.Header, nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return resp.Header, fmt.Errorf("%s %s: decode response: %w", req.method, Prefix+req.path, err)
	}
	return resp.Header, nil
}

// decodeError turns a non-2xx response into an *Error, using the first
// entry of a Harbor error body when there is one.
func decodeError(resp *http.Response) error {
	e := &Error{Status: resp.StatusCode}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(b, &body) == nil && len(body.Errors) > 0 {
		e.Code, e.Message = body.Errors[0].Code, body.Errors[0].Message
	} else if s := strings.TrimSpace(string(b)); s != "" && len(s) < 200 && !strings.HasPrefix(s, "<") {
		e.Message = s
	}
	return e
}

// list reads every page of a list endpoint into a slice. It stops when
// X-Total-Count entries have been read, or at a short or empty page when
// the server sends no total.
// req.method is GET whatever it says; req.query must not hold page or
// page_size.
func list[T any](ctx context.Context, c *Client, req request) ([]T, error) {
	return listN[T](ctx, c, req, 0)
}

// listN is list stopping after the first limit entries (0: no limit); it
// asks for pages no larger than limit.
func listN[T any](ctx context.Context, c *Client, req request, limit int) ([]T, error) {
	all := []T{} // an empty list is [] in JSON output, not null
	query := req.query
	req.method = http.MethodGet
	size := PageSize
	if limit > 0 {
		size = min(size, limit)
	}
	for page := 1; ; page++ {
		req.query = url.Values{}
		for k, v := range query {
			req.query[k] = v
		}
		req.query.Set("page", strconv.Itoa(page))
		req.query.Set("page_size", strconv.Itoa(size))
		var batch []T
		h, err := c.do(ctx, req, &batch)
		if err != nil {
			return nil, err
		}
		all = append(all, batch...)
		total, terr := strconv.ParseInt(h.Get("X-Total-Count"), 10, 64)
		switch {
		case limit > 0 && len(all) >= limit:
			return all[:limit], nil
		case len(batch) == 0:
			return all, nil
		case terr == nil && int64(len(all)) >= total:
			return all, nil
		case terr != nil && len(batch) < size:
			return all, nil
		}
	}
}

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }

// repoSeg escapes a repository name inside its project as Harbor expects
// it: names containing '/' are URL-encoded twice ("a/b" -> "a%252Fb").
func repoSeg(name string) string { return url.PathEscape(url.PathEscape(name)) }
