package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Media types the bench pushes.
const (
	mediaTypeManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaTypeConfig   = "application/vnd.oci.image.config.v1+json"
	mediaTypeLayer    = "application/vnd.oci.image.layer.v1.tar"
	manifestAccept    = mediaTypeManifest + ", application/vnd.oci.image.index.v1+json, " +
		"application/vnd.docker.distribution.manifest.v2+json"
)

// Monolithic upload modes.
const (
	monoPostPut = "post-put" // POST -> 202 Location, then PUT Location?digest= with the body
	monoSingle  = "single"   // POST ?digest= with the body, expecting 201
)

// ErrStatus reports an HTTP response whose status the bench did not expect.
var ErrStatus = errors.New("unexpected status")

// StatusError is an HTTP response with an unexpected status; it wraps ErrStatus.
type StatusError struct {
	Method string
	URL    string
	Status int
	Body   string // at most the first 512 bytes of the response body
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("%s %s: status %d", e.Method, e.URL, e.Status)
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Unwrap returns ErrStatus.
func (e *StatusError) Unwrap() error { return ErrStatus }

// client is a thin OCI Distribution client over one keep-alive transport.
type client struct {
	base     *url.URL
	hc       *http.Client
	user     string
	password string
}

// newClient returns a client for target whose transport keeps up to conns
// idle connections to the host.
func newClient(target string, conns int, insecure bool, userpass string) (*client, error) {
	u, err := url.Parse(strings.TrimRight(target, "/"))
	if err != nil {
		return nil, fmt.Errorf("parse target %q: %w", target, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("target %q: want http(s)://host[:port]", target)
	}
	tr := &http.Transport{
		Proxy: nil, // the bench talks to the target directly, never via an environment proxy
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:        conns + 16,
		MaxIdleConnsPerHost: conns + 16,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		DisableCompression:  true,
		WriteBufferSize:     256 << 10,
		ReadBufferSize:      256 << 10,
	}
	if insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // --insecure asks for it
	}
	c := &client{base: u, hc: &http.Client{Transport: tr}}
	if userpass != "" {
		user, pass, ok := strings.Cut(userpass, ":")
		if !ok {
			return nil, errors.New("--user: want USER:PASSWORD")
		}
		c.user, c.password = user, pass
	}
	return c, nil
}

// close releases idle connections.
func (c *client) close() { c.hc.CloseIdleConnections() }

// url returns the absolute URL for path (which starts with /v2/) and query.
func (c *client) url(path string, q url.Values) *url.URL {
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + path
	u.RawQuery = q.Encode()
	return &u
}

// newRequest builds a request with the client's credentials.
func (c *client) newRequest(ctx context.Context, method string, u *url.URL, body io.Reader, size int64) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("build %s request: %w", method, err)
	}
	if body != nil {
		req.ContentLength = size
		if size == 0 {
			req.Body = http.NoBody
		}
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.password)
	}
	return req, nil
}

// do sends req and checks the status against want. On success the caller
// owns resp.Body; on failure the body is drained and closed.
func (c *client) do(req *http.Request, want ...int) (*http.Response, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	for _, w := range want {
		if resp.StatusCode == w {
			return resp, nil
		}
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	drain(resp)
	return nil, &StatusError{Method: req.Method, URL: req.URL.Redacted(), Status: resp.StatusCode,
		Body: strings.TrimSpace(string(b))}
}

// drain reads a bounded remainder of the body so the connection can be
// reused, then closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
}

// resolveLocation resolves a Location header value, relative or absolute,
// against the URL of the request that returned it.
func resolveLocation(reqURL *url.URL, loc string) (*url.URL, error) {
	if loc == "" {
		return nil, errors.New("response has no Location header")
	}
	u, err := url.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("parse Location %q: %w", loc, err)
	}
	return reqURL.ResolveReference(u), nil
}

// withDigest returns a copy of u with digest=dgst appended to its query,
// keeping the rest of the query (such as Distribution's _state) byte for byte.
func withDigest(u *url.URL, dgst string) *url.URL {
	v := *u
	param := "digest=" + url.QueryEscape(dgst)
	if v.RawQuery == "" {
		v.RawQuery = param
	} else {
		v.RawQuery += "&" + param
	}
	return &v
}

// startUpload opens an upload session in repo and returns its location.
func (c *client) startUpload(ctx context.Context, repo string, q url.Values) (*url.URL, *http.Response, error) {
	u := c.url("/v2/"+repo+"/blobs/uploads/", q)
	req, err := c.newRequest(ctx, http.MethodPost, u, http.NoBody, 0)
	if err != nil {
		return nil, nil, err
	}
	resp, err := c.do(req, http.StatusAccepted, http.StatusCreated)
	if err != nil {
		return nil, nil, err
	}
	drain(resp)
	if resp.StatusCode == http.StatusCreated {
		return nil, resp, nil
	}
	loc, err := resolveLocation(req.URL, resp.Header.Get("Location"))
	if err != nil {
		return nil, nil, fmt.Errorf("POST %s: %w", u.Redacted(), err)
	}
	return loc, resp, nil
}

// putBlob uploads a blob in one request body: POST then PUT (monoPostPut) or
// a single POST ?digest= (monoSingle).
func (c *client) putBlob(ctx context.Context, repo, dgst string, body io.Reader, size int64, mode string) error {
	if mode == monoSingle {
		u := c.url("/v2/"+repo+"/blobs/uploads/", url.Values{"digest": {dgst}})
		req, err := c.newRequest(ctx, http.MethodPost, u, body, size)
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := c.do(req, http.StatusCreated)
		if err != nil {
			return fmt.Errorf("single-request upload (try --mono-mode=%s): %w", monoPostPut, err)
		}
		drain(resp)
		return nil
	}
	loc, _, err := c.startUpload(ctx, repo, nil)
	if err != nil {
		return err
	}
	return c.finishUpload(ctx, loc, dgst, body, size)
}

// finishUpload PUTs the last (or only) bytes of an upload with its digest.
func (c *client) finishUpload(ctx context.Context, loc *url.URL, dgst string, body io.Reader, size int64) error {
	if body == nil {
		body = http.NoBody
	}
	req, err := c.newRequest(ctx, http.MethodPut, withDigest(loc, dgst), body, size)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.do(req, http.StatusCreated)
	if err != nil {
		return err
	}
	drain(resp)
	if got := resp.Header.Get("Docker-Content-Digest"); got != "" && got != dgst {
		return fmt.Errorf("PUT upload: server reports digest %s, want %s", got, dgst)
	}
	return nil
}

// pushChunked uploads size bytes of r as PATCH requests of chunk bytes each,
// then closes the upload with an empty PUT. It returns the number of PATCHes.
func (c *client) pushChunked(ctx context.Context, repo, dgst string, r io.ReaderAt, size, chunk int64) (int, error) {
	loc, _, err := c.startUpload(ctx, repo, nil)
	if err != nil {
		return 0, err
	}
	n := 0
	for off := int64(0); off < size; off += chunk {
		end := min(off+chunk, size) - 1
		req, err := c.newRequest(ctx, http.MethodPatch, loc, io.NewSectionReader(r, off, end-off+1), end-off+1)
		if err != nil {
			return n, err
		}
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("Content-Range", strconv.FormatInt(off, 10)+"-"+strconv.FormatInt(end, 10))
		resp, err := c.do(req, http.StatusAccepted, http.StatusNoContent)
		if err != nil {
			return n, fmt.Errorf("chunk %d (bytes %d-%d): %w", n, off, end, err)
		}
		drain(resp)
		n++
		if h := resp.Header.Get("Location"); h != "" {
			if loc, err = resolveLocation(req.URL, h); err != nil {
				return n, err
			}
		}
	}
	return n, c.finishUpload(ctx, loc, dgst, nil, 0)
}

// mountBlob asks the registry to mount dgst from repo from into repo. It
// reports whether the mount happened; when it did not, the blob is uploaded
// from content instead.
func (c *client) mountBlob(ctx context.Context, repo, from, dgst string, content []byte) (bool, error) {
	loc, _, err := c.startUpload(ctx, repo, url.Values{"mount": {dgst}, "from": {from}})
	if err != nil {
		return false, err
	}
	if loc == nil {
		return true, nil // 201 Created: mounted
	}
	return false, c.finishUpload(ctx, loc, dgst, bytes.NewReader(content), int64(len(content)))
}

// putManifest PUTs an OCI image manifest under ref.
func (c *client) putManifest(ctx context.Context, repo, ref string, body []byte) error {
	u := c.url("/v2/"+repo+"/manifests/"+ref, nil)
	req, err := c.newRequest(ctx, http.MethodPut, u, bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mediaTypeManifest)
	resp, err := c.do(req, http.StatusCreated)
	if err != nil {
		return err
	}
	drain(resp)
	return nil
}

// blobExists reports whether HEAD of the blob answers 200.
func (c *client) blobExists(ctx context.Context, repo, dgst string) (bool, error) {
	req, err := c.newRequest(ctx, http.MethodHead, c.url("/v2/"+repo+"/blobs/"+dgst, nil), nil, 0)
	if err != nil {
		return false, err
	}
	resp, err := c.do(req, http.StatusOK, http.StatusNotFound)
	if err != nil {
		return false, err
	}
	drain(resp)
	return resp.StatusCode == http.StatusOK, nil
}

// listPage is one page of a tags or catalog listing.
type listPage struct {
	Entries []string
	Next    *url.URL // from the Link rel="next" header, nil if none
}

// getList GETs one page of a listing at u; key is "tags" or "repositories".
func (c *client) getList(ctx context.Context, u *url.URL, key string) (listPage, error) {
	req, err := c.newRequest(ctx, http.MethodGet, u, nil, 0)
	if err != nil {
		return listPage{}, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.do(req, http.StatusOK)
	if err != nil {
		return listPage{}, err
	}
	defer drain(resp)
	var body map[string]json.RawMessage
	if err := json.NewDecoder(io.LimitReader(resp.Body, 256<<20)).Decode(&body); err != nil {
		return listPage{}, fmt.Errorf("decode %s: %w", u.Redacted(), err)
	}
	var p listPage
	if raw, ok := body[key]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &p.Entries); err != nil {
			return listPage{}, fmt.Errorf("decode %s %q: %w", u.Redacted(), key, err)
		}
	}
	if next := parseLinkNext(resp.Header.Values("Link")); next != "" {
		if p.Next, err = resolveLocation(req.URL, next); err != nil {
			return listPage{}, err
		}
	}
	return p, nil
}

// parseLinkNext returns the target of the first rel="next" link in the Link
// header values (RFC 8288: `<url>; rel="next", <url2>; rel="prev"`), or "".
func parseLinkNext(values []string) string {
	for _, v := range values {
		for len(v) > 0 {
			lt := strings.IndexByte(v, '<')
			if lt < 0 {
				break
			}
			gt := strings.IndexByte(v[lt:], '>')
			if gt < 0 {
				break
			}
			target := v[lt+1 : lt+gt]
			rest := v[lt+gt+1:]
			params := rest
			if i := strings.IndexByte(rest, '<'); i >= 0 {
				params, rest = rest[:i], rest[i:]
			} else {
				rest = ""
			}
			for _, p := range strings.Split(params, ";") {
				name, val, ok := strings.Cut(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(p), ",")), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
					continue
				}
				for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(val), `"`)) {
					if strings.EqualFold(rel, "next") {
						return target
					}
				}
			}
			v = rest
		}
	}
	return ""
}
