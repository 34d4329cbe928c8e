package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/berth-oci/berth/internal/meta"
)

// Harbor's pagination: page from 1, page_size default 10, at most 100.
const (
	DefaultPageSize = 10
	MaxPageSize     = 100
)

// pageParams reads page and page_size; bad values are a 400.
func pageParams(r *http.Request) (page, size int, err error) {
	page, size = 1, DefaultPageSize
	q := r.URL.Query()
	if v := q.Get("page"); v != "" {
		if page, err = strconv.Atoi(v); err != nil || page < 1 {
			return 0, 0, badRequest("page must be a positive integer")
		}
	}
	if v := q.Get("page_size"); v != "" {
		if size, err = strconv.Atoi(v); err != nil || size < 1 {
			return 0, 0, badRequest("page_size must be a positive integer")
		}
		size = min(size, MaxPageSize)
	}
	return page, size, nil
}

// window converts page and size to a store window.
func window(page, size int) meta.Window {
	return meta.Window{Offset: (page - 1) * size, Limit: size}
}

// setPageHeaders writes X-Total-Count and, as Harbor does, a Link header
// with rel="prev" and rel="next" pages of the same request.
func setPageHeaders(w http.ResponseWriter, r *http.Request, page, size int, total int64) {
	w.Header().Set("X-Total-Count", strconv.FormatInt(total, 10))
	var links []string
	link := func(p int, rel string) string {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		q.Set("page_size", strconv.Itoa(size))
		u := url.URL{Path: r.URL.Path, RawQuery: q.Encode()}
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if int64(page)*int64(size) < total {
		links = append(links, link(page+1, "next"))
	}
	for i, l := range links {
		if i == 0 {
			w.Header().Set("Link", l)
		} else {
			w.Header().Set("Link", w.Header().Get("Link")+" , "+l)
		}
	}
}
