// Package artifact is the one write path for manifests, tags and referrers:
// it parses and validates manifests, checks that what they reference is
// present in the repository, and commits them through the metadata store,
// which enforces tag immutability and records tag history in the same
// transaction (see meta.ImmutableRules and meta.TagHistory).
package artifact

import (
	"context"
	"errors"
	"log/slog"

	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/oci"
	"github.com/opencontainers/go-digest"
)

// Service manages manifests and tags.
type Service struct {
	m   meta.Manifests
	log *slog.Logger
}

// New returns a Service.
func New(m meta.Manifests, log *slog.Logger) *Service {
	return &Service{m: m, log: log}
}

// Pushed describes a stored manifest.
type Pushed struct {
	Digest   digest.Digest
	Manifest *oci.Manifest
}

// PutManifest validates body and stores it in repo under ref (a tag or the
// body's digest). Errors are oci codes: MANIFEST_INVALID for a malformed
// manifest, DIGEST_INVALID when ref is a digest the body does not hash to,
// MANIFEST_BLOB_UNKNOWN when a blob or child manifest is not in repo,
// DENIED when ref is a tag an immutability rule protects and the body is
// not the manifest it already names. The store enforces immutability and
// records the tag history in the transaction that moves the tag.
func (s *Service) PutManifest(ctx context.Context, repo string, ref oci.Reference, contentType string, body []byte) (Pushed, error) {
	alg := digest.SHA256
	if ref.Digest != "" {
		alg = ref.Digest.Algorithm()
	}
	dgst := alg.FromBytes(body)
	if ref.Digest != "" && ref.Digest != dgst {
		return Pushed{}, oci.CodeDigestInvalid.WithMessage("manifest digest %s does not match reference %s", dgst, ref.Digest)
	}
	mf, err := oci.ParseManifest(contentType, body)
	if err != nil {
		return Pushed{}, err
	}
	rec := meta.Manifest{
		Repository:   repo,
		Digest:       dgst,
		MediaType:    mf.MediaType,
		ArtifactType: mf.ArtifactType,
		Size:         int64(len(body)),
		Payload:      body,
		Annotations:  mf.Annotations,
	}
	if mf.Subject != nil {
		rec.Subject = mf.Subject.Digest
	}
	// Repeats are fine: the store records each reference once.
	for _, b := range mf.Blobs() {
		rec.Blobs = append(rec.Blobs, b.Digest)
	}
	for _, c := range mf.Manifests {
		rec.Children = append(rec.Children, c.Digest)
	}
	if err := s.m.PutManifest(ctx, rec, ref.Tag); err != nil {
		var missing *meta.MissingReferenceError
		if errors.As(err, &missing) {
			return Pushed{}, oci.CodeManifestBlobUnknown.WithDetail(map[string]string{"digest": missing.Digest.String()})
		}
		return Pushed{}, denyImmutable(err)
	}
	return Pushed{Digest: dgst, Manifest: mf}, nil
}

// GetManifest returns the manifest ref names in repo, or MANIFEST_UNKNOWN.
func (s *Service) GetManifest(ctx context.Context, repo string, ref oci.Reference) (meta.Manifest, error) {
	var (
		m   meta.Manifest
		err error
	)
	if ref.Digest != "" {
		m, err = s.m.GetManifest(ctx, repo, ref.Digest)
	} else {
		m, err = s.m.ResolveTag(ctx, repo, ref.Tag)
	}
	if errors.Is(err, meta.ErrNotFound) {
		return meta.Manifest{}, oci.CodeManifestUnknown.WithDetail(map[string]string{"name": repo, "reference": ref.String()})
	}
	return m, err
}

// Delete removes a tag (ref is a tag) or a manifest and its tags (ref is a
// digest). MANIFEST_UNKNOWN if there is no such thing; DENIED if an
// immutability rule protects the tag (or one of the manifest's tags).
func (s *Service) Delete(ctx context.Context, repo string, ref oci.Reference) error {
	var err error
	if ref.Digest != "" {
		err = s.m.DeleteManifest(ctx, repo, ref.Digest)
	} else {
		err = s.m.DeleteTag(ctx, repo, ref.Tag)
	}
	if errors.Is(err, meta.ErrNotFound) {
		return oci.CodeManifestUnknown.WithDetail(map[string]string{"name": repo, "reference": ref.String()})
	}
	return denyImmutable(err)
}

// denyImmutable turns a store's refusal to move or delete an immutable tag
// into DENIED naming the tag and the rule, as Harbor answers; other errors
// pass through.
func denyImmutable(err error) error {
	var im *meta.ImmutableTagError
	if errors.As(err, &im) {
		return oci.CodeDenied.WithMessage("tag %s of %s is immutable (immutability rule %d of project %s): it cannot be overwritten or deleted",
			im.Tag, im.Repository, im.RuleID, meta.ProjectOf(im.Repository))
	}
	return err
}

// Tags lists repo's tags; NAME_UNKNOWN if the repository does not exist.
func (s *Service) Tags(ctx context.Context, repo string, p meta.Page) ([]string, error) {
	tags, err := s.m.ListTags(ctx, repo, p)
	if errors.Is(err, meta.ErrNotFound) {
		return nil, oci.CodeNameUnknown.WithDetail(map[string]string{"name": repo})
	}
	return tags, err
}

// Repositories lists repositories holding at least one manifest.
func (s *Service) Repositories(ctx context.Context, p meta.Page) ([]string, error) {
	return s.m.ListRepositories(ctx, p)
}

// Referrers lists the manifests in repo whose subject is d.
func (s *Service) Referrers(ctx context.Context, repo string, d digest.Digest, artifactType string) ([]meta.Descriptor, error) {
	return s.m.Referrers(ctx, repo, d, artifactType)
}
