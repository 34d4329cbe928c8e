package distribution

import "testing"

func TestParsePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want route
		ok   bool
	}{
		{"/v2/", route{kind: "base"}, true},
		{"/v2", route{kind: "base"}, true},
		{"/v2/_catalog", route{kind: "catalog"}, true},
		{"/v2/a/tags/list", route{kind: "tags", name: "a"}, true},
		{"/v2/a/b/c/tags/list", route{kind: "tags", name: "a/b/c"}, true},
		{"/v2/a/manifests/latest", route{kind: "manifest", name: "a", ref: "latest"}, true},
		{"/v2/a/b/manifests/sha256:abc", route{kind: "manifest", name: "a/b", ref: "sha256:abc"}, true},
		{"/v2/a/blobs/sha256:abc", route{kind: "blob", name: "a", ref: "sha256:abc"}, true},
		{"/v2/a/blobs/uploads/", route{kind: "uploads", name: "a"}, true},
		{"/v2/a/blobs/uploads", route{kind: "uploads", name: "a"}, true},
		{"/v2/a/blobs/uploads/123", route{kind: "upload", name: "a", ref: "123"}, true},
		{"/v2/x/blobs/blobs/uploads/123", route{kind: "upload", name: "x/blobs", ref: "123"}, true},
		{"/v2/x/manifests/manifests/t", route{kind: "manifest", name: "x/manifests", ref: "t"}, true},
		{"/v2/x/blobs/uploads/blobs/sha256:1", route{kind: "blob", name: "x/blobs/uploads", ref: "sha256:1"}, true},
		{"/v2/a/referrers/sha256:abc", route{kind: "referrers", name: "a", ref: "sha256:abc"}, true},
		{"/v2/a", route{}, false},
		{"/v2/a/manifests/", route{}, false},
		{"/v2/manifests/x", route{}, false},
		{"/v2/a/unknown/x", route{}, false},
		{"/v3/a/tags/list", route{}, false},
	}
	for _, tt := range tests {
		got, ok := parsePath(tt.path)
		if ok != tt.ok || got != tt.want {
			t.Errorf("parsePath(%q) = %+v, %v; want %+v, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
}
