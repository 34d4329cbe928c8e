package oci

import (
	_ "crypto/sha256" // register sha256 with go-digest
	_ "crypto/sha512" // register sha512 with go-digest
	"fmt"
	"regexp"
	"strings"

	"github.com/opencontainers/go-digest"
)

// MaxNameLength is the longest repository name accepted.
const MaxNameLength = 255

var (
	nameRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$`)
	tagRE  = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
)

// ValidateName checks a repository name against the spec's grammar.
// It returns CodeNameInvalid if the name is not valid.
func ValidateName(name string) error {
	if name == "" || len(name) > MaxNameLength || !nameRE.MatchString(name) {
		return CodeNameInvalid.WithDetail(map[string]string{"name": name})
	}
	return nil
}

// IsTag reports whether s is a valid tag.
func IsTag(s string) bool { return tagRE.MatchString(s) }

// ParseDigest parses a digest, accepting only the sha256 and sha512 algorithms.
// It returns CodeDigestInvalid otherwise.
func ParseDigest(s string) (digest.Digest, error) {
	d, err := digest.Parse(s)
	if err != nil {
		return "", CodeDigestInvalid.WithMessage("invalid digest %q: %v", s, err)
	}
	switch d.Algorithm() {
	case digest.SHA256, digest.SHA512:
		return d, nil
	}
	return "", CodeDigestInvalid.WithMessage("unsupported digest algorithm %q", d.Algorithm())
}

// Reference is the last path element of a manifest URL: a tag or a digest.
type Reference struct {
	Tag    string
	Digest digest.Digest
}

// ParseReference parses a manifest reference: a digest if it contains ':',
// a tag otherwise.
func ParseReference(s string) (Reference, error) {
	if strings.Contains(s, ":") {
		d, err := ParseDigest(s)
		if err != nil {
			return Reference{}, err
		}
		return Reference{Digest: d}, nil
	}
	if !IsTag(s) {
		return Reference{}, CodeManifestInvalid.WithMessage("invalid tag %q", s)
	}
	return Reference{Tag: s}, nil
}

// String returns the tag or digest.
func (r Reference) String() string {
	if r.Digest != "" {
		return r.Digest.String()
	}
	return r.Tag
}

// BlobPath returns a storage path fan-out for a digest: "sha256/ab/abcdef...".
// d should come from ParseDigest; BlobPath does not panic on other input, but
// the path it returns for it is not meaningful.
func BlobPath(d digest.Digest) string {
	alg, enc, _ := strings.Cut(string(d), ":")
	if len(enc) < 2 {
		return alg + "/" + enc
	}
	return fmt.Sprintf("%s/%s/%s", alg, enc[:2], enc)
}
