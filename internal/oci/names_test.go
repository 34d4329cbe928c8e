package oci

import (
	"errors"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

const (
	hex64  = "6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"
	hex128 = hex64 + hex64
)

// nameCases is shared with FuzzValidateName as its seed corpus.
var nameCases = []struct {
	name string
	ok   bool
}{
	{"a", true},
	{"0", true},
	{"library/ubuntu", true},
	{"a/b/c", true},
	{"a/b/c/d/e/f/g", true},
	{"foo.bar", true},
	{"foo_bar", true},
	{"foo__bar", true},
	{"foo-bar", true},
	{"foo---bar", true},
	{"a0/b1-c2/d3.e4_f5__g6", true},
	{"x.y.z/1-2-3", true},
	{strings.Repeat("a", MaxNameLength), true},
	{strings.Repeat("a/", MaxNameLength/2) + "a", true}, // 255 with slashes

	{"", false},
	{strings.Repeat("a", MaxNameLength+1), false},
	{strings.Repeat("a/", MaxNameLength/2) + "ab", false}, // 256 with slashes
	{strings.Repeat("a", 1000), false},
	{"Foo", false},
	{"foo/Bar", false},
	{"UPPER", false},
	{"-foo", false},
	{"foo-", false},
	{".foo", false},
	{"foo.", false},
	{"_foo", false},
	{"foo_", false},
	{"__foo", false},
	{"foo__", false},
	{"foo..bar", false},
	{"foo___bar", false},
	{"foo._bar", false},
	{"foo-_bar", false},
	{"foo_-bar", false},
	{"foo/", false},
	{"/foo", false},
	{"foo//bar", false},
	{"foo/-bar", false},
	{"foo/.bar", false},
	{"a/../b", false},
	{"foo bar", false},
	{"foo:bar", false},
	{"foo@bar", false},
	{"foo\nbar", false},
	{"foo\n", false},
	{"caf\u00e9", false},
}

func TestValidateName(t *testing.T) {
	t.Parallel()
	for _, tc := range nameCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateName(tc.name)
			if tc.ok {
				if err != nil {
					t.Fatalf("ValidateName(%q) = %v, want nil", tc.name, err)
				}
				return
			}
			if !errors.Is(err, CodeNameInvalid) {
				t.Fatalf("ValidateName(%q) = %v, want NAME_INVALID", tc.name, err)
			}
		})
	}
}

var tagCases = []struct {
	tag string
	ok  bool
}{
	{"latest", true},
	{"v1.0.0", true},
	{"1.2-rc_3", true},
	{"_private", true},
	{"A", true},
	{"UPPER_lower.9-x", true},
	{"aA1bB90aA_aA9._-912921391239", true},
	{strings.Repeat("a", 128), true},
	{"_" + strings.Repeat(".", 127), true},

	{"", false},
	{strings.Repeat("a", 129), false},
	{".hidden", false},
	{"-dash", false},
	{"foo:bar", false},
	{"foo/bar", false},
	{"foo@bar", false},
	{"with space", false},
	{"latest\n", false},
	{"\u00fc", false},
}

func TestIsTag(t *testing.T) {
	t.Parallel()
	for _, tc := range tagCases {
		if got := IsTag(tc.tag); got != tc.ok {
			t.Errorf("IsTag(%q) = %v, want %v", tc.tag, got, tc.ok)
		}
	}
}

var digestCases = []struct {
	in string
	ok bool
}{
	{"sha256:" + hex64, true},
	{"sha512:" + hex128, true},
	{digest.FromString("berth").String(), true},

	{"", false},
	{"sha256", false},
	{"sha256:", false},
	{":" + hex64, false},
	{"sha256:" + strings.ToUpper(hex64), false},
	{"sha256:" + hex64[:63] + "A", false},
	{"SHA256:" + hex64, false},
	{"sha256:" + hex64[:63], false},
	{"sha256:" + hex64 + "0", false},
	{"sha256:" + hex128, false},
	{"sha512:" + hex64, false},
	{"sha512:" + strings.ToUpper(hex128), false},
	{"sha256:" + hex64[:62] + "zz", false},
	{"sha256:" + hex64 + "\n", false},
	{" sha256:" + hex64, false},
	{"sha256::" + hex64, false},
	{"sha384:" + hex64 + hex64[:32], false}, // valid, but not an algorithm Berth stores
	{"md5:d41d8cd98f00b204e9800998ecf8427e", false},
	{"multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8", false},
	{"sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", false},
}

func TestParseDigest(t *testing.T) {
	t.Parallel()
	for _, tc := range digestCases {
		d, err := ParseDigest(tc.in)
		if tc.ok {
			if err != nil || d.String() != tc.in {
				t.Errorf("ParseDigest(%q) = %q, %v; want it back, nil", tc.in, d, err)
			}
			continue
		}
		if !errors.Is(err, CodeDigestInvalid) || d != "" {
			t.Errorf("ParseDigest(%q) = %q, %v; want \"\", DIGEST_INVALID", tc.in, d, err)
		}
	}
}

func TestParseReference(t *testing.T) {
	t.Parallel()
	dg := "sha256:" + hex64
	tests := []struct {
		in      string
		want    Reference
		wantErr Code
	}{
		{in: "latest", want: Reference{Tag: "latest"}},
		{in: "v1.2.3", want: Reference{Tag: "v1.2.3"}},
		{in: strings.Repeat("t", 128), want: Reference{Tag: strings.Repeat("t", 128)}},
		{in: dg, want: Reference{Digest: digest.Digest(dg)}},
		{in: "sha512:" + hex128, want: Reference{Digest: digest.Digest("sha512:" + hex128)}},
		{in: "", wantErr: CodeManifestInvalid},
		{in: ".bad", wantErr: CodeManifestInvalid},
		{in: strings.Repeat("t", 129), wantErr: CodeManifestInvalid},
		{in: "sha256:" + strings.ToUpper(hex64), wantErr: CodeDigestInvalid},
		{in: "sha256:abc", wantErr: CodeDigestInvalid},
		{in: "latest:", wantErr: CodeDigestInvalid},
		{in: "md5:d41d8cd98f00b204e9800998ecf8427e", wantErr: CodeDigestInvalid},
	}
	for _, tc := range tests {
		got, err := ParseReference(tc.in)
		if tc.wantErr != "" {
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("ParseReference(%q) error = %v, want %s", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseReference(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if got.String() != tc.in {
			t.Errorf("ParseReference(%q).String() = %q", tc.in, got.String())
		}
	}
}

func TestBlobPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    digest.Digest
		want string
	}{
		{digest.Digest("sha256:" + hex64), "sha256/6c/" + hex64},
		{digest.Digest("sha512:" + hex128), "sha512/6c/" + hex128},
		// Not digests: BlobPath must not panic on them.
		{"", "/"},
		{"sha256:", "sha256/"},
		{"sha256:a", "sha256/a"},
		{"nocolon", "nocolon/"},
	}
	for _, tc := range tests {
		if got := BlobPath(tc.d); got != tc.want {
			t.Errorf("BlobPath(%q) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
