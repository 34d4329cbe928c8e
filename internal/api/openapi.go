package api

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"slices"

	"gopkg.in/yaml.v3"
)

// openapiFS holds the fragments of the OpenAPI document: base.yaml (the
// document itself, with shared components) and one fragment per group of
// routes adding its paths and components.
//
//go:embed openapi/*.yaml
var openapiFS embed.FS

// baseFragment is the fragment the others are merged into.
const baseFragment = "openapi/base.yaml"

// buildOpenAPI merges the embedded fragments into one JSON document. A
// fragment may hold only paths and components; a path, or a component of
// any kind, defined twice is an error.
func buildOpenAPI(fsys fs.FS) ([]byte, error) {
	names, err := fs.Glob(fsys, "openapi/*.yaml")
	if err != nil {
		return nil, err
	}
	if !slices.Contains(names, baseFragment) {
		return nil, fmt.Errorf("openapi: %s missing", baseFragment)
	}
	doc, err := readFragment(fsys, baseFragment)
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if name == baseFragment {
			continue
		}
		frag, err := readFragment(fsys, name)
		if err != nil {
			return nil, err
		}
		if err := mergeFragment(doc, frag, name); err != nil {
			return nil, err
		}
	}
	return json.Marshal(doc)
}

func readFragment(fsys fs.FS, name string) (map[string]any, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	doc := map[string]any{}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("openapi: %s: %w", name, err)
	}
	return doc, nil
}

// mergeFragment adds frag's paths and components to doc.
func mergeFragment(doc, frag map[string]any, name string) error {
	for key, v := range frag {
		switch key {
		case "paths":
			if err := mergeMap(doc, "paths", v, name+": path"); err != nil {
				return err
			}
		case "components":
			kinds, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("openapi: %s: components is not a mapping", name)
			}
			comps, _ := doc["components"].(map[string]any)
			if comps == nil {
				comps = map[string]any{}
				doc["components"] = comps
			}
			for kind, defs := range kinds {
				if err := mergeMap(comps, kind, defs, name+": component "+kind); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("openapi: %s: a fragment may hold only paths and components, not %q", name, key)
		}
	}
	return nil
}

// mergeMap adds the entries of src (a mapping) to the mapping dst[key],
// refusing duplicates.
func mergeMap(dst map[string]any, key string, src any, what string) error {
	add, ok := src.(map[string]any)
	if !ok {
		return fmt.Errorf("openapi: %s: not a mapping", what)
	}
	into, _ := dst[key].(map[string]any)
	if into == nil {
		into = map[string]any{}
		dst[key] = into
	}
	for k, v := range add {
		if _, dup := into[k]; dup {
			return fmt.Errorf("openapi: %s %q is defined twice", what, k)
		}
		into[k] = v
	}
	return nil
}

// openapi serves the OpenAPI document of this API.
func (a *API) openapi(w http.ResponseWriter, r *http.Request) error {
	if a.openapiErr != nil {
		return a.openapiErr
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, err := w.Write(a.openapiDoc)
	return err
}
