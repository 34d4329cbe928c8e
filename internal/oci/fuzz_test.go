package oci

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/opencontainers/go-digest"
)

func FuzzValidateName(f *testing.F) {
	for _, tc := range nameCases {
		f.Add(tc.name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateName(name)
		if err != nil {
			if !errors.Is(err, CodeNameInvalid) {
				t.Fatalf("ValidateName(%q) = %v, want NAME_INVALID", name, err)
			}
			return
		}
		if name == "" || len(name) > MaxNameLength {
			t.Fatalf("accepted %d-byte name %q", len(name), name)
		}
		// Each path component starts and ends with [a-z0-9] and holds only
		// [a-z0-9._-]; the grammar is checked again piecewise, without the regexp.
		for _, comp := range strings.Split(name, "/") {
			if comp == "" || !isLowerAlnum(comp[0]) || !isLowerAlnum(comp[len(comp)-1]) {
				t.Fatalf("accepted %q: bad component %q", name, comp)
			}
			for i := 0; i < len(comp); i++ {
				if c := comp[i]; !isLowerAlnum(c) && c != '.' && c != '_' && c != '-' {
					t.Fatalf("accepted %q: byte %q", name, c)
				}
			}
			if strings.Contains(comp, "..") || strings.Contains(comp, "___") || strings.Contains(comp, "._") || strings.Contains(comp, "_.") {
				t.Fatalf("accepted %q: separator run in %q", name, comp)
			}
		}
		if err := ValidateName(name); err != nil {
			t.Fatalf("ValidateName(%q) not stable: %v", name, err)
		}
	})
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func FuzzParseDigest(f *testing.F) {
	for _, tc := range digestCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDigest(s)
		if err != nil {
			if !errors.Is(err, CodeDigestInvalid) || d != "" {
				t.Fatalf("ParseDigest(%q) = %q, %v", s, d, err)
			}
			return
		}
		if d.String() != s || d.Validate() != nil {
			t.Fatalf("ParseDigest(%q) = %q", s, d)
		}
		wantLen := map[digest.Algorithm]int{digest.SHA256: 64, digest.SHA512: 128}[d.Algorithm()]
		enc := d.Encoded()
		if wantLen == 0 || len(enc) != wantLen || strings.Trim(enc, "0123456789abcdef") != "" {
			t.Fatalf("accepted %q", s)
		}
		if p := BlobPath(d); p != string(d.Algorithm())+"/"+enc[:2]+"/"+enc {
			t.Fatalf("BlobPath(%q) = %q", d, p)
		}
	})
}

func FuzzParseReference(f *testing.F) {
	for _, tc := range tagCases {
		f.Add(tc.tag)
	}
	for _, tc := range digestCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = BlobPath(digest.Digest(s)) // must not panic on anything
		r, err := ParseReference(s)
		if err != nil {
			if !errors.Is(err, CodeDigestInvalid) && !errors.Is(err, CodeManifestInvalid) {
				t.Fatalf("ParseReference(%q) error %v", s, err)
			}
			if r != (Reference{}) {
				t.Fatalf("ParseReference(%q) = %+v with error", s, r)
			}
			return
		}
		if (r.Tag == "") == (r.Digest == "") {
			t.Fatalf("ParseReference(%q) = %+v: want exactly one of tag, digest", s, r)
		}
		if r.String() != s {
			t.Fatalf("ParseReference(%q).String() = %q", s, r.String())
		}
		if r.Tag != "" && (!IsTag(r.Tag) || len(r.Tag) > 128 || strings.ContainsAny(r.Tag, ":/@")) {
			t.Fatalf("accepted tag %q", r.Tag)
		}
		if r.Digest != "" {
			if _, err := ParseDigest(r.Digest.String()); err != nil {
				t.Fatalf("accepted digest %q: %v", r.Digest, err)
			}
		}
		if again, err := ParseReference(r.String()); err != nil || again != r {
			t.Fatalf("round trip of %q = %+v, %v", s, again, err)
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	for _, tc := range manifestCases {
		f.Add(tc.ct, []byte(tc.body))
	}
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		m, err := ParseManifest(ct, body)
		if err != nil {
			if !errors.Is(err, CodeManifestInvalid) || m != nil {
				t.Fatalf("ParseManifest error = %v, manifest %v", err, m)
			}
			return
		}
		checkManifest(t, m)
		for _, b := range m.Blobs() {
			if isNonDistributable(b.MediaType) {
				t.Fatalf("Blobs() has a foreign layer %+v", b)
			}
		}
		// Written back out in canonical form, the manifest parses to itself,
		// with or without the media type in the Content-Type.
		canon := canonical(m)
		for _, ct := range []string{m.MediaType, ""} {
			again, err := ParseManifest(ct, canon)
			if err != nil {
				t.Fatalf("canonical form %s refused: %v", canon, err)
			}
			if diff := cmp.Diff(m, again, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("round trip (-first +again):\n%s", diff)
			}
		}
	})
}

// canonical marshals m as a manifest of its media type.
func canonical(m *Manifest) []byte {
	doc := map[string]any{"schemaVersion": 2, "mediaType": m.MediaType}
	if m.ArtifactType != "" {
		doc["artifactType"] = m.ArtifactType
	}
	if IsIndexMediaType(m.MediaType) {
		doc["manifests"] = append([]Descriptor{}, m.Manifests...)
	} else {
		doc["config"] = m.Config
		if m.Layers != nil {
			doc["layers"] = m.Layers
		}
	}
	if m.Subject != nil {
		doc["subject"] = m.Subject
	}
	if m.Annotations != nil {
		doc["annotations"] = m.Annotations
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return b
}
