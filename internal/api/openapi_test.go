package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/getkin/kin-openapi/openapi3"
)

// loadOpenAPI serves /openapi.json from an API and loads it.
func loadOpenAPI(t *testing.T) (*API, *openapi3.T) {
	t.Helper()
	a := New(Deps{}, Options{})
	if a.openapiErr != nil {
		t.Fatalf("fragments do not merge: %v", a.openapiErr)
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, httptest.NewRequest(http.MethodGet, Prefix+"/openapi.json", nil))
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET openapi.json: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	doc, err := openapi3.NewLoader().LoadFromData(w.Body.Bytes())
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return a, doc
}

// TestOpenAPIValid checks that the merged document is valid OpenAPI 3.0,
// every $ref resolving.
func TestOpenAPIValid(t *testing.T) {
	t.Parallel()
	_, doc := loadOpenAPI(t)
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("invalid OpenAPI document: %v", err)
	}
	ids := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
			} else if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %s used by %s and %s %s", op.OperationID, prev, method, path)
			}
			ids[op.OperationID] = method + " " + path
		}
	}
}

var wildcardRE = regexp.MustCompile(`\{[^}]*\}`)

// normalise replaces wildcard names, so "/users/{user_id}" in the document
// matches the route "/users/{id}" (and "{name...}" matches "{name}").
func normalise(method, path string) string {
	return strings.ToUpper(method) + " " + wildcardRE.ReplaceAllString(path, "{}")
}

// TestOpenAPIMatchesRoutes checks that every registered route, whichever
// file registers it, is documented and every documented operation is a
// route.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	a, doc := loadOpenAPI(t)
	routes := map[string]bool{}
	for _, r := range a.Routes() {
		method, path, _ := cutPattern(r)
		routes[normalise(method, path)] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[normalise(method, path)] = true
		}
	}
	for r := range routes {
		if !documented[r] {
			t.Errorf("route %s is not in the OpenAPI document", r)
		}
	}
	for op := range documented {
		if !routes[op] {
			t.Errorf("OpenAPI operation %s is not a registered route", op)
		}
	}
	if len(routes) < 20 {
		t.Errorf("only %d routes registered", len(routes))
	}
}

func TestOpenAPIMergeErrors(t *testing.T) {
	t.Parallel()
	base := "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a: {}\ncomponents:\n  schemas:\n    A: {type: string}\n"
	for _, c := range []struct {
		name, frag, want string
	}{
		{"duplicate path", "paths:\n  /a: {}\n", `path "/a" is defined twice`},
		{"duplicate schema", "components:\n  schemas:\n    A: {type: integer}\n", `component schemas "A" is defined twice`},
		{"other key", "info: {title: x}\n", `only paths and components`},
		{"not a mapping", "paths: [1]\n", "not a mapping"},
		{"bad yaml", "paths: {\n", "openapi/x.yaml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"openapi/base.yaml": {Data: []byte(base)},
				"openapi/x.yaml":    {Data: []byte(c.frag)},
			}
			_, err := buildOpenAPI(fsys)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
	fsys := fstest.MapFS{
		"openapi/base.yaml": {Data: []byte(base)},
		"openapi/x.yaml":    {Data: []byte("paths:\n  /b: {}\ncomponents:\n  responses:\n    R: {description: r}\n")},
	}
	b, err := buildOpenAPI(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"/a"`, `"/b"`, `"R"`, `"A"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("merged document lacks %s: %s", want, b)
		}
	}
	if _, err := buildOpenAPI(fstest.MapFS{"openapi/x.yaml": {Data: []byte("paths: {}")}}); err == nil {
		t.Error("no base fragment: no error")
	}
}
