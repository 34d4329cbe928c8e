package conformance

import (
	"net/http"
	"testing"
)

// Spec "Content Management": delete tags, manifests and blobs (202), and
// what answers 404 afterwards. Berth enables all three deletions.
func TestDeleteTag(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	repo := r.repo("deltag")
	img := r.pushImage(t, repo, "keep", nil)
	r.putManifestOK(t, repo, "drop", mtOCIManifest, img.Manifest)

	wantStatus(t, r.do(t, "DELETE", "/v2/"+repo+"/manifests/drop", nil), http.StatusAccepted)
	// "Once deleted, a GET to /v2/<name>/manifests/<tag> will return a 404."
	wantError(t, r.do(t, "GET", "/v2/"+repo+"/manifests/drop", nil, "Accept", mtOCIManifest), http.StatusNotFound, "MANIFEST_UNKNOWN")
	// Only the tag went: the manifest and its other tag stay.
	wantManifest(t, r, repo, "keep", mtOCIManifest, img.Manifest)
	wantManifest(t, r, repo, img.Digest, mtOCIManifest, img.Manifest)
	if _, tags := r.tagList(t, repo, ""); len(tags) != 1 || tags[0] != "keep" {
		t.Errorf("tags after deleting drop = %q, want [keep]", tags)
	}
	wantError(t, r.do(t, "DELETE", "/v2/"+repo+"/manifests/drop", nil), http.StatusNotFound, "MANIFEST_UNKNOWN")
}

func TestDeleteManifest(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	repo := r.repo("delmanifest")
	img := r.pushImage(t, repo, "a", nil)
	r.putManifestOK(t, repo, "b", mtOCIManifest, img.Manifest)
	survivor := r.pushImage(t, repo, "c", nil)

	wantStatus(t, r.do(t, "DELETE", "/v2/"+repo+"/manifests/"+img.Digest, nil), http.StatusAccepted)
	// "a GET to /v2/<name>/manifests/<digest> and any tag pointing to that
	// digest will return a 404."
	for _, ref := range []string{img.Digest, "a", "b"} {
		for _, method := range []string{"GET", "HEAD"} {
			resp := r.do(t, method, "/v2/"+repo+"/manifests/"+ref, nil, "Accept", mtOCIManifest)
			wantError(t, resp, http.StatusNotFound, "MANIFEST_UNKNOWN")
		}
	}
	wantManifest(t, r, repo, "c", mtOCIManifest, survivor.Manifest)
	if _, tags := r.tagList(t, repo, ""); len(tags) != 1 || tags[0] != "c" {
		t.Errorf("tags after deleting the manifest = %q, want [c]", tags)
	}
	wantError(t, r.do(t, "DELETE", "/v2/"+repo+"/manifests/"+img.Digest, nil), http.StatusNotFound, "MANIFEST_UNKNOWN")
}

func TestDeleteLastManifest(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	repo := r.repo("dellast")
	img := r.pushImage(t, repo, "only", nil)
	wantStatus(t, r.do(t, "DELETE", "/v2/"+repo+"/manifests/"+img.Digest, nil), http.StatusAccepted)
	// The repository may be gone (404 NAME_UNKNOWN) or empty (200, no tags).
	resp := r.do(t, "GET", "/v2/"+repo+"/tags/list", nil)
	if resp.StatusCode == http.StatusNotFound {
		wantError(t, resp, http.StatusNotFound, "NAME_UNKNOWN")
		return
	}
	if _, tags := r.tagList(t, repo, ""); len(tags) != 0 {
		t.Errorf("tags after deleting the only manifest = %q, want none", tags)
	}
}

func TestDeleteBlob(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	repo := r.repo("delblob")
	blob := randomBytes(777)
	d := r.pushBlob(t, repo, mtOCILayer, blob).Digest

	wantStatus(t, r.do(t, "DELETE", "/v2/"+repo+"/blobs/"+d, nil), http.StatusAccepted)
	wantStatus(t, r.do(t, "HEAD", "/v2/"+repo+"/blobs/"+d, nil), http.StatusNotFound)
	wantError(t, r.do(t, "GET", "/v2/"+repo+"/blobs/"+d, nil), http.StatusNotFound, "BLOB_UNKNOWN")
	// "If the blob is not found, a 404 Not Found code MUST be returned."
	wantError(t, r.do(t, "DELETE", "/v2/"+repo+"/blobs/"+d, nil), http.StatusNotFound, "BLOB_UNKNOWN")
	// The same content can be pushed again.
	r.pushBlob(t, repo, mtOCILayer, blob)
	get := r.do(t, "GET", "/v2/"+repo+"/blobs/"+d, nil)
	wantStatus(t, get, http.StatusOK)
	wantBody(t, get, blob)
}

func TestDeleteUnknown(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	repo := r.repo("delunknown")
	r.pushImage(t, repo, "v1", nil)
	missing := sha256Of(randomBytes(16))
	noRepo := r.repo("never-pushed")
	tests := []struct {
		name, path string
		codes      []string
	}{
		{"manifest by digest", "/v2/" + repo + "/manifests/" + missing, []string{"MANIFEST_UNKNOWN"}},
		{"tag", "/v2/" + repo + "/manifests/nope", []string{"MANIFEST_UNKNOWN"}},
		{"blob", "/v2/" + repo + "/blobs/" + missing, []string{"BLOB_UNKNOWN"}},
		// "If the repository does not exist, the response MUST return 404."
		{"manifest in unknown repository", "/v2/" + noRepo + "/manifests/" + missing, []string{"MANIFEST_UNKNOWN", "NAME_UNKNOWN"}},
		{"blob in unknown repository", "/v2/" + noRepo + "/blobs/" + missing, []string{"BLOB_UNKNOWN", "NAME_UNKNOWN"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantError(t, r.do(t, "DELETE", tc.path, nil), http.StatusNotFound, tc.codes...)
		})
	}
}

// Deleting a referrer takes it out of its subject's referrers list.
func TestDeleteReferrer(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	repo := r.repo("delref")
	subject := r.pushImage(t, repo, "v1", nil)
	keep, _ := r.pushArtifact(t, repo, subject.Desc, "application/vnd.example.keep", "", nil)
	drop, _ := r.pushArtifact(t, repo, subject.Desc, "application/vnd.example.drop", "", nil)
	_, got := referrers(t, r, repo, subject.Digest, "")
	wantDescriptors(t, got, keep, drop)

	wantStatus(t, r.do(t, "DELETE", "/v2/"+repo+"/manifests/"+drop.Digest, nil), http.StatusAccepted)
	_, got = referrers(t, r, repo, subject.Digest, "")
	wantDescriptors(t, got, keep)
}
