package conformance

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Spec "Listing Tags": order, n, last, Link pagination.
func TestTagsList(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	repo := r.repo("tags")
	img := r.pushImage(t, repo, "", nil)
	pushed := []string{"v1", "v10", "v2", "latest", "a-tag", "alpha_1", "0.1", "B", "Zeta", "b2"}
	for _, tag := range pushed {
		r.putManifestOK(t, repo, tag, mtOCIManifest, img.Manifest)
	}
	_, all := r.tagList(t, repo, "")

	t.Run("all tags in lexical order", func(t *testing.T) {
		if diff := cmp.Diff(slices.Sorted(slices.Values(pushed)), slices.Sorted(slices.Values(all))); diff != "" {
			t.Errorf("tags (-pushed +listed):\n%s", diff)
		}
		if !sortedTags(all) {
			t.Errorf("tags %q are neither in lexical nor in ASCIIbetical order", all)
		}
	})
	for _, n := range []int{1, 2, 3, 4, len(pushed) - 1} {
		t.Run("n="+strconv.Itoa(n)+" following Link", func(t *testing.T) {
			t.Parallel()
			got := walkPages(t, r, "/v2/"+repo+"/tags/list?n="+strconv.Itoa(n), n, func(resp *response) []string {
				return decodeList(t, resp, "tags")
			})
			if diff := cmp.Diff(all, got); diff != "" {
				t.Errorf("tags over all pages (-all +paged):\n%s", diff)
			}
		})
	}
	for _, n := range []int{len(pushed), len(pushed) + 5, 10000} {
		t.Run("n="+strconv.Itoa(n)+" covers all", func(t *testing.T) {
			t.Parallel()
			resp, got := r.tagList(t, repo, "n="+strconv.Itoa(n))
			if diff := cmp.Diff(all, got); diff != "" {
				t.Errorf("(-all +got):\n%s", diff)
			}
			if link := nextLink(t, resp); link != "" {
				t.Errorf("Link %q with nothing left to list", link)
			}
		})
	}
	t.Run("n=0", func(t *testing.T) {
		t.Parallel()
		resp, _ := r.tagList(t, repo, "n=0")
		// "When n is zero, this endpoint MUST return an empty list, and MUST NOT include a Link header."
		wantRawList(t, resp, "tags", "[]")
		if len(resp.Header.Values("Link")) != 0 {
			t.Errorf("n=0 answered with Link %q", resp.Header.Values("Link"))
		}
	})
	for i, last := range all {
		t.Run("last="+last, func(t *testing.T) {
			t.Parallel()
			// "n is OPTIONAL" with last; "<tagname> will not be included".
			_, got := r.tagList(t, repo, "last="+url.QueryEscape(last))
			if diff := cmp.Diff(all[i+1:], got, emptyIsNil); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			_, got = r.tagList(t, repo, "n=2&last="+url.QueryEscape(last))
			if diff := cmp.Diff(all[i+1:min(i+3, len(all))], got, emptyIsNil); diff != "" {
				t.Errorf("with n=2 (-want +got):\n%s", diff)
			}
		})
	}
}

var emptyIsNil = cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })

// walkPages GETs first and follows Link rel="next", checking that each page
// holds n entries unless it is the last one, and returns all entries.
func walkPages(t *testing.T, r *registry, first string, n int, list func(*response) []string) []string {
	t.Helper()
	var all []string
	target := first
	for page := 0; target != ""; page++ {
		if page > 100 {
			t.Fatalf("more than 100 pages from %s", first)
		}
		resp := r.do(t, "GET", target, nil)
		wantStatus(t, resp, http.StatusOK)
		got := list(resp)
		target = nextLink(t, resp)
		// Fewer than n only on the last page or with a Link; a short last
		// page that is not the end shows as missing entries to the caller.
		if len(got) > n {
			t.Errorf("%s: %d entries, asked for %d", resp.what, len(got), n)
		}
		if target != "" {
			if len(got) == 0 {
				t.Fatalf("%s: an empty page with a Link", resp.what)
			}
			want, _ := url.Parse(first)
			if u, err := url.Parse(target); err != nil || u.Path != want.Path {
				t.Errorf("%s: Link target %q is not %s", resp.what, target, want.Path)
			}
		}
		all = append(all, got...)
	}
	return all
}

// decodeList decodes {"<field>": [...]} from a 200 body.
func decodeList(t *testing.T, resp *response, field string) []string {
	t.Helper()
	var body map[string]json.RawMessage
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatalf("%s: %v: %.300s", resp.what, err, resp.Body)
	}
	var list []string
	if raw, ok := body[field]; ok {
		if err := json.Unmarshal(raw, &list); err != nil {
			t.Fatalf("%s: %s: %v", resp.what, field, err)
		}
	}
	return list
}

// wantRawList checks that a JSON body's field is exactly raw (e.g. "[]": an
// empty list, not null or missing).
func wantRawList(t *testing.T, resp *response, field, raw string) {
	t.Helper()
	var body map[string]json.RawMessage
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		t.Fatalf("%s: %v: %.300s", resp.what, err, resp.Body)
	}
	if got := strings.Join(strings.Fields(string(body[field])), ""); got != raw {
		t.Errorf("%s: %s = %q, want %s", resp.what, field, body[field], raw)
	}
}

// Spec "Listing Tags": the edge cases of a repository's existence.
func TestTagsListRepositories(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	t.Run("unknown repository", func(t *testing.T) {
		t.Parallel()
		wantError(t, r.do(t, "GET", "/v2/"+r.repo("nobody")+"/tags/list", nil), http.StatusNotFound, "NAME_UNKNOWN")
	})
	t.Run("repository without tags", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("untagged")
		r.pushImage(t, repo, "", nil)
		// "The list of tags MAY be empty if there are no tags on the repository."
		resp, tags := r.tagList(t, repo, "")
		if len(tags) != 0 {
			t.Errorf("%s: tags %q, want none", resp.what, tags)
		}
	})
}

// Berth: /v2/_catalog as in the Docker Registry API (not part of the OCI
// spec): lexical order, n, last and Link.
func TestCatalog(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	prefix := r.repo("catalog")
	repos := []string{prefix + "/a", prefix + "/b", prefix + "/c"}
	for _, repo := range repos {
		r.pushImage(t, repo, "v1", nil)
	}
	list := func(resp *response) []string { return decodeList(t, resp, "repositories") }

	t.Run("all repositories", func(t *testing.T) {
		t.Parallel()
		all := walkPages(t, r, "/v2/_catalog?n=1000", 1000, list)
		var ours []string
		for _, repo := range all {
			if strings.HasPrefix(repo, prefix+"/") {
				ours = append(ours, repo)
			}
		}
		if diff := cmp.Diff(repos, ours); diff != "" {
			t.Errorf("catalog (-pushed +listed):\n%s", diff)
		}
		if !slices.IsSorted(all) {
			t.Errorf("catalog is not in lexical order")
		}
	})
	t.Run("n and last with Link", func(t *testing.T) {
		t.Parallel()
		resp := r.do(t, "GET", "/v2/_catalog?n=2&last="+url.QueryEscape(prefix), nil)
		wantStatus(t, resp, http.StatusOK)
		if diff := cmp.Diff(repos[:2], list(resp)); diff != "" {
			t.Errorf("first page (-want +got):\n%s", diff)
		}
		next := nextLink(t, resp)
		if next == "" {
			t.Fatalf("%s: no Link rel=\"next\" on a full page", resp.what)
		}
		resp = r.do(t, "GET", next, nil)
		wantStatus(t, resp, http.StatusOK)
		if got := list(resp); len(got) == 0 || got[0] != repos[2] {
			t.Errorf("%s: next page %q, want it to start with %q", resp.what, got, repos[2])
		}
	})
	t.Run("n=0", func(t *testing.T) {
		t.Parallel()
		resp := r.do(t, "GET", "/v2/_catalog?n=0", nil)
		wantStatus(t, resp, http.StatusOK)
		wantRawList(t, resp, "repositories", "[]")
		if len(resp.Header.Values("Link")) != 0 {
			t.Errorf("n=0 answered with Link %q", resp.Header.Values("Link"))
		}
	})
}

// Spec "Listing Referrers": an image index of the manifests whose subject is
// the digest, with artifactType and annotations; the artifactType filter;
// 200 and an empty index when there are none; 400 for a bad digest.
func TestReferrers(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	repo := r.repo("referrers")
	subject := r.pushImage(t, repo, "v1", nil)
	other := r.pushImage(t, repo, "v2", nil)

	const sbomType = "application/vnd.example.sbom.v1"
	sbom, _ := r.pushArtifact(t, repo, subject.Desc, sbomType, "",
		map[string]string{"org.example.sbom.format": "json", "org.opencontainers.image.created": "2024-01-01T00:00:00Z"})
	// No artifactType: the referrers API reports the config's mediaType.
	sig, _ := r.pushArtifact(t, repo, subject.Desc, "", "application/vnd.example.sig.config.v1+json",
		map[string]string{"org.example.signature.fingerprint": "abcd"})
	sbomIndex := r.pushReferrerIndex(t, repo, subject, "application/vnd.example.bundle.v1")
	plainIndex := r.pushReferrerIndex(t, repo, subject, "") // artifactType MUST be omitted
	r.pushArtifact(t, repo, other.Desc, sbomType, "", nil)  // refers to another manifest
	// Same subject digest, other repository: "in the same <name> namespace" only.
	r.pushArtifact(t, r.repo("referrers-elsewhere"), subject.Desc, sbomType, "", nil)

	t.Run("all referrers", func(t *testing.T) {
		t.Parallel()
		_, got := referrers(t, r, repo, subject.Digest, "")
		wantDescriptors(t, got, sbom, sig, sbomIndex, plainIndex)
	})
	t.Run("artifactType filter", func(t *testing.T) {
		t.Parallel()
		resp, got := referrers(t, r, repo, subject.Digest, sbomType)
		wantHeader(t, resp, "OCI-Filters-Applied", "artifactType")
		wantDescriptors(t, got, sbom)
	})
	t.Run("artifactType filter from a config mediaType", func(t *testing.T) {
		t.Parallel()
		resp, got := referrers(t, r, repo, subject.Digest, sig.ArtifactType)
		wantHeader(t, resp, "OCI-Filters-Applied", "artifactType")
		wantDescriptors(t, got, sig)
	})
	t.Run("artifactType filter without a match", func(t *testing.T) {
		t.Parallel()
		resp, got := referrers(t, r, repo, subject.Digest, "application/vnd.example.none")
		wantHeader(t, resp, "OCI-Filters-Applied", "artifactType")
		wantDescriptors(t, got)
		wantRawList(t, resp, "manifests", "[]")
	})
	t.Run("no referrers", func(t *testing.T) {
		t.Parallel()
		for _, d := range []string{sha256Of(randomBytes(8)), sha256Of(subject.Config)} {
			resp, got := referrers(t, r, repo, d, "")
			wantDescriptors(t, got)
			wantRawList(t, resp, "manifests", "[]")
		}
	})
	t.Run("referrer pushed before its subject", func(t *testing.T) {
		t.Parallel()
		missing := describe(mtOCIManifest, randomBytes(100))
		early, _ := r.pushArtifact(t, repo, missing, "application/vnd.example.early", "", nil)
		_, got := referrers(t, r, repo, missing.Digest, "")
		wantDescriptors(t, got, early)
	})
	for _, bad := range []string{"sha256:xyz", "notadigest", "sha256:" + strings.Repeat("0", 10)} {
		t.Run("invalid digest "+bad, func(t *testing.T) {
			t.Parallel()
			resp := r.do(t, "GET", "/v2/"+repo+"/referrers/"+bad, nil)
			wantStatus(t, resp, http.StatusBadRequest)
			wantSpecErrorBody(t, resp)
		})
	}
}

// pushReferrerIndex puts an image index that lists and refers to subject.
func (r *registry) pushReferrerIndex(t *testing.T, repo string, subject image, artifactType string) descriptor {
	t.Helper()
	ann := map[string]string{"org.example.index": randHex(4)}
	body := mustJSON(t, index{SchemaVersion: 2, MediaType: mtOCIIndex, ArtifactType: artifactType,
		Manifests: []descriptor{subject.Desc}, Subject: &subject.Desc, Annotations: ann})
	r.putManifestOK(t, repo, "", mtOCIIndex, body)
	d := describe(mtOCIIndex, body)
	d.ArtifactType = artifactType
	d.Annotations = ann
	return d
}

// referrers GETs the referrers of digest (following Link pages) and checks
// that each page is an OCI image index.
func referrers(t *testing.T, r *registry, repo, digest, artifactType string) (*response, []descriptor) {
	t.Helper()
	target := "/v2/" + repo + "/referrers/" + digest
	if artifactType != "" {
		target += "?artifactType=" + url.QueryEscape(artifactType)
	}
	var first *response
	var all []descriptor
	for page := 0; target != ""; page++ {
		if page > 100 {
			t.Fatalf("more than 100 pages of referrers")
		}
		resp := r.do(t, "GET", target, nil)
		wantStatus(t, resp, http.StatusOK) // never 404 for a registry with the API
		wantHeader(t, resp, "Content-Type", mtOCIIndex)
		var idx index
		if err := json.Unmarshal(resp.Body, &idx); err != nil {
			t.Fatalf("%s: not an image index: %v: %.300s", resp.what, err, resp.Body)
		}
		if idx.SchemaVersion != 2 || idx.MediaType != mtOCIIndex {
			t.Errorf("%s: schemaVersion %d mediaType %q, want 2 and %s", resp.what, idx.SchemaVersion, idx.MediaType, mtOCIIndex)
		}
		if first == nil {
			first = resp
		}
		all = append(all, idx.Manifests...)
		target = nextLink(t, resp)
	}
	return first, all
}

// wantDescriptors compares referrers descriptors, in any order.
func wantDescriptors(t *testing.T, got []descriptor, want ...descriptor) {
	t.Helper()
	byDigest := func(a, b descriptor) int { return strings.Compare(a.Digest, b.Digest) }
	got, want = slices.SortedFunc(slices.Values(got), byDigest), slices.SortedFunc(slices.Values(want), byDigest)
	if diff := cmp.Diff(want, got, emptyMapIsNil); diff != "" {
		t.Errorf("referrers (-want +got):\n%s\ngot:%s", diff, fmtDescs(got))
	}
}

var emptyMapIsNil = cmp.Comparer(func(a, b map[string]string) bool { return len(a) == 0 && len(b) == 0 || cmp.Equal(a, b) })
