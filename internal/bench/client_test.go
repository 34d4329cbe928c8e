package bench

import (
	"net/url"
	"testing"
)

func TestParseLinkNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"none", nil, ""},
		{"distribution", []string{`</v2/_catalog?last=b&n=2>; rel="next"`}, "/v2/_catalog?last=b&n=2"},
		{"unquoted", []string{`</v2/r/tags/list?n=1&last=a>; rel=next`}, "/v2/r/tags/list?n=1&last=a"},
		{"absolute", []string{`<http://h:5000/v2/_catalog?last=x&n=10>;rel="next"`}, "http://h:5000/v2/_catalog?last=x&n=10"},
		{"prev first", []string{`</p?last=a>; rel="prev", </n?last=z>; rel="next"`}, "/n?last=z"},
		{"separate values", []string{`</p>; rel="prev"`, `</n>; rel="next"`}, "/n"},
		{"rel list", []string{`</n>; title="x"; rel="last next"`}, "/n"},
		{"case", []string{`</n>; REL="Next"`}, "/n"},
		{"only prev", []string{`</p>; rel="prev"`}, ""},
		{"malformed", []string{`</n; rel="next"`}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := parseLinkNext(tt.values); got != tt.want {
				t.Errorf("parseLinkNext(%q) = %q, want %q", tt.values, got, tt.want)
			}
		})
	}
}

func TestResolveLocation(t *testing.T) {
	t.Parallel()
	req, _ := url.Parse("http://127.0.0.1:5000/v2/a/b/blobs/uploads/")
	tests := []struct{ loc, want string }{
		{"/v2/a/b/blobs/uploads/123", "http://127.0.0.1:5000/v2/a/b/blobs/uploads/123"},
		{"http://127.0.0.1:5000/v2/a/b/blobs/uploads/u?_state=x%2By", "http://127.0.0.1:5000/v2/a/b/blobs/uploads/u?_state=x%2By"},
		{"https://other:443/up/1", "https://other:443/up/1"},
		{"456", "http://127.0.0.1:5000/v2/a/b/blobs/uploads/456"},
	}
	for _, tt := range tests {
		got, err := resolveLocation(req, tt.loc)
		if err != nil || got.String() != tt.want {
			t.Errorf("resolveLocation(%q) = %v, %v; want %s", tt.loc, got, err, tt.want)
		}
	}
	if _, err := resolveLocation(req, ""); err == nil {
		t.Error("resolveLocation(\"\") succeeded")
	}
}

func TestWithDigest(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"http://h/v2/r/blobs/uploads/1", "http://h/v2/r/blobs/uploads/1?digest=sha256%3Aab"},
		{"http://h/v2/r/blobs/uploads/1?_state=a%2Fb%3D", "http://h/v2/r/blobs/uploads/1?_state=a%2Fb%3D&digest=sha256%3Aab"},
	} {
		u, _ := url.Parse(tt.in)
		if got := withDigest(u, "sha256:ab").String(); got != tt.want {
			t.Errorf("withDigest(%s) = %s, want %s", tt.in, got, tt.want)
		}
		if u.String() != tt.in {
			t.Errorf("withDigest modified its argument: %s", u)
		}
	}
}

func TestSelectedScenarios(t *testing.T) {
	t.Parallel()
	cfg := config{only: " tags, push-mono "}
	got, err := cfg.selected()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].name != "push-mono" || got[1].name != "tags" {
		t.Errorf("selected() = %v, want push-mono, tags in run order", got)
	}
	cfg.only = "push-mono,nope"
	if _, err := cfg.selected(); err == nil {
		t.Error("unknown scenario accepted")
	}
}
