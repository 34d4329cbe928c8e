package conformance

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Spec "Determining Support": GET /v2/ answers 200; Berth sends the legacy
// Docker-Distribution-API-Version header as Docker clients expect.
func TestAPIVersion(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	for _, method := range []string{"GET", "HEAD"} {
		t.Run(method, func(t *testing.T) {
			resp := r.do(t, method, "/v2/", nil)
			wantStatus(t, resp, http.StatusOK)
			wantHeader(t, resp, "Docker-Distribution-API-Version", "registry/2.0")
		})
	}
}

// Spec "Pull": GET and HEAD of manifests and blobs that exist.
func TestPull(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	repo := r.repo("pull")
	img := r.pushImage(t, repo, "v1", nil)
	manifestRef := map[string]string{"tag": "v1", "digest": img.Digest}

	for _, by := range []string{"tag", "digest"} {
		path := "/v2/" + repo + "/manifests/" + manifestRef[by]
		t.Run("GET manifest by "+by, func(t *testing.T) {
			t.Parallel()
			resp := r.do(t, "GET", path, nil, "Accept", mtOCIManifest)
			wantStatus(t, resp, http.StatusOK)
			wantBody(t, resp, img.Manifest) // "byte-for-byte as stored"
			wantHeader(t, resp, "Content-Type", mtOCIManifest)
			wantDigestHeader(t, resp, img.Manifest, img.Digest)
			wantContentLength(t, resp, len(img.Manifest))
		})
		t.Run("HEAD manifest by "+by, func(t *testing.T) {
			t.Parallel()
			resp := r.do(t, "HEAD", path, nil, "Accept", mtOCIManifest)
			wantStatus(t, resp, http.StatusOK)
			wantHeader(t, resp, "Content-Type", mtOCIManifest)
			wantDigestHeader(t, resp, img.Manifest, img.Digest)
			wantContentLength(t, resp, len(img.Manifest))
			wantBody(t, resp, []byte{}) // net/http drops HEAD bodies; this guards the client side
		})
	}

	blobs := map[string][]byte{"config": img.Config, "layer": img.Layers[1]}
	for name, b := range blobs {
		path := "/v2/" + repo + "/blobs/" + sha256Of(b)
		t.Run("GET blob "+name, func(t *testing.T) {
			t.Parallel()
			resp := r.do(t, "GET", path, nil)
			wantStatus(t, resp, http.StatusOK)
			wantBody(t, resp, b)
			wantDigestHeader(t, resp, b, sha256Of(b))
			wantContentLength(t, resp, len(b))
		})
		t.Run("HEAD blob "+name, func(t *testing.T) {
			t.Parallel()
			resp := r.do(t, "HEAD", path, nil)
			wantStatus(t, resp, http.StatusOK)
			wantDigestHeader(t, resp, nil, sha256Of(b))
			wantContentLength(t, resp, len(b))
			wantBody(t, resp, []byte{})
		})
	}
}

// Spec "Range request support" (SHOULD, RFC 9110): Berth serves byte ranges
// of blobs with 206 and Content-Range, and 416 for unsatisfiable ranges.
func TestPullBlobRange(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	repo := r.repo("range")
	blob := randomBytes(1024)
	r.pushBlob(t, repo, mtOCILayer, blob)
	path := "/v2/" + repo + "/blobs/" + sha256Of(blob)

	tests := []struct {
		name, rng    string
		status       int
		contentRange string
		first, last  int // inclusive, for 206
	}{
		{"first bytes", "bytes=0-9", http.StatusPartialContent, "bytes 0-9/1024", 0, 9},
		{"middle", "bytes=100-199", http.StatusPartialContent, "bytes 100-199/1024", 100, 199},
		{"open end", "bytes=1000-", http.StatusPartialContent, "bytes 1000-1023/1024", 1000, 1023},
		{"suffix", "bytes=-24", http.StatusPartialContent, "bytes 1000-1023/1024", 1000, 1023},
		{"end past size", "bytes=1000-5000", http.StatusPartialContent, "bytes 1000-1023/1024", 1000, 1023},
		{"start at size", "bytes=1024-", http.StatusRequestedRangeNotSatisfiable, "bytes */1024", 0, 0},
		{"start past size", "bytes=2000-3000", http.StatusRequestedRangeNotSatisfiable, "bytes */1024", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp := r.do(t, "GET", path, nil, "Range", tc.rng)
			wantStatus(t, resp, tc.status)
			wantHeader(t, resp, "Content-Range", tc.contentRange)
			if tc.status == http.StatusPartialContent {
				wantBody(t, resp, blob[tc.first:tc.last+1])
				wantContentLength(t, resp, tc.last+1-tc.first)
			}
		})
	}
}

// Spec "Pull": content that does not exist is 404, with the matching code.
func TestPullUnknown(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	repo := r.repo("unknown")
	r.pushImage(t, repo, "exists", nil)
	missing := sha256Of(randomBytes(32))
	noRepo := r.repo("never-pushed")

	tests := []struct {
		name, method, path string
		codes              []string
	}{
		{"GET manifest unknown tag", "GET", "/v2/" + repo + "/manifests/nope", []string{"MANIFEST_UNKNOWN"}},
		{"GET manifest unknown digest", "GET", "/v2/" + repo + "/manifests/" + missing, []string{"MANIFEST_UNKNOWN"}},
		{"HEAD manifest unknown tag", "HEAD", "/v2/" + repo + "/manifests/nope", nil},
		{"HEAD manifest unknown digest", "HEAD", "/v2/" + repo + "/manifests/" + missing, nil},
		{"GET blob unknown", "GET", "/v2/" + repo + "/blobs/" + missing, []string{"BLOB_UNKNOWN"}},
		{"HEAD blob unknown", "HEAD", "/v2/" + repo + "/blobs/" + missing, nil},
		// "An attempt to pull a nonexistent repository MUST return 404."
		{"GET manifest in unknown repository", "GET", "/v2/" + noRepo + "/manifests/latest", []string{"MANIFEST_UNKNOWN", "NAME_UNKNOWN"}},
		{"GET blob in unknown repository", "GET", "/v2/" + noRepo + "/blobs/" + missing, []string{"BLOB_UNKNOWN", "NAME_UNKNOWN"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantError(t, r.do(t, tc.method, tc.path, nil), http.StatusNotFound, tc.codes...)
		})
	}
}

// Spec "Repository name": <name> must match the grammar; Berth answers other
// names with 400 NAME_INVALID (404 NAME_UNKNOWN is accepted too: the name
// cannot exist).
func TestPullInvalidName(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	names := []string{
		"Upper/case",
		"-leading-separator",
		"trailing-separator-",
		"double..dot",
		"triple___underscore",
		"dot./slash",
		"sp%20ace",
	}
	endpoints := []string{"/manifests/latest", "/blobs/" + sha256Of(nil), "/tags/list"}
	for _, name := range names {
		for _, ep := range endpoints {
			t.Run(name+ep, func(t *testing.T) {
				t.Parallel()
				resp := r.do(t, "GET", "/v2/"+name+ep, nil)
				switch resp.StatusCode {
				case http.StatusBadRequest:
					wantError(t, resp, http.StatusBadRequest, "NAME_INVALID")
				default:
					wantError(t, resp, http.StatusNotFound, "NAME_UNKNOWN", "NAME_INVALID")
				}
			})
		}
	}
}

// Spec "Pulling manifests" and content negotiation: a manifest comes back
// with the Content-Type it was pushed with, for each of the four manifest
// kinds clients ask for.
func TestPullContentNegotiation(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	repo := r.repo("accept")
	oci := r.pushImage(t, repo, "oci", nil)

	layer := randomBytes(512)
	docker := manifest{
		SchemaVersion: 2,
		MediaType:     mtDockerV2,
		Config:        r.pushBlob(t, repo, mtDockerConfig, configJSON(t, [][]byte{layer})),
		Layers:        []descriptor{r.pushBlob(t, repo, mtDockerLayer, layer)},
	}
	dockerBody := mustJSON(t, docker)
	r.putManifestOK(t, repo, "docker", mtDockerV2, dockerBody)

	amd64 := &platform{Architecture: "amd64", OS: "linux"}
	ociIndex := mustJSON(t, index{SchemaVersion: 2, MediaType: mtOCIIndex, Manifests: []descriptor{
		{MediaType: mtOCIManifest, Digest: oci.Digest, Size: oci.Desc.Size, Platform: amd64},
	}})
	r.putManifestOK(t, repo, "index", mtOCIIndex, ociIndex)

	dockerDesc := describe(mtDockerV2, dockerBody)
	dockerDesc.Platform = amd64
	list := mustJSON(t, index{SchemaVersion: 2, MediaType: mtDockerList, Manifests: []descriptor{dockerDesc}})
	r.putManifestOK(t, repo, "list", mtDockerList, list)

	all := strings.Join([]string{mtOCIManifest, mtOCIIndex, mtDockerV2, mtDockerList}, ", ")
	kinds := []struct {
		tag, mediaType string
		body           []byte
	}{
		{"oci", mtOCIManifest, oci.Manifest},
		{"index", mtOCIIndex, ociIndex},
		{"docker", mtDockerV2, dockerBody},
		{"list", mtDockerList, list},
	}
	for _, k := range kinds {
		for _, accept := range []string{k.mediaType, all} {
			name := fmt.Sprintf("%s/accept %s", k.tag, accept)
			if accept == all {
				name = k.tag + "/accept all four"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				for _, method := range []string{"GET", "HEAD"} {
					resp := r.do(t, method, "/v2/"+repo+"/manifests/"+k.tag, nil, "Accept", accept)
					wantStatus(t, resp, http.StatusOK)
					wantHeader(t, resp, "Content-Type", k.mediaType)
					wantDigestHeader(t, resp, nil, sha256Of(k.body))
					wantContentLength(t, resp, len(k.body))
					if method == "GET" {
						wantBody(t, resp, k.body)
					}
				}
			})
		}
	}
}

// A method an endpoint does not serve is refused with 405 (or 404), never a
// server error; a JSON body has the spec's error shape.
func TestUnsupportedMethods(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	repo := r.repo("methods")
	img := r.pushImage(t, repo, "v1", nil)
	tests := []struct{ method, path string }{
		{"POST", "/v2/" + repo + "/manifests/v1"},
		{"PATCH", "/v2/" + repo + "/manifests/v1"},
		{"PUT", "/v2/" + repo + "/blobs/" + sha256Of(img.Config)},
		{"POST", "/v2/" + repo + "/blobs/" + sha256Of(img.Config)},
		{"PUT", "/v2/" + repo + "/tags/list"},
		{"DELETE", "/v2/" + repo + "/tags/list"},
		{"PUT", "/v2/" + repo + "/blobs/uploads/"},
		{"DELETE", "/v2/" + repo + "/referrers/" + img.Digest},
		{"POST", "/v2/_catalog"},
		{"BREW", "/v2/" + repo + "/manifests/v1"},
	}
	t.Run("refused", func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.method+" "+strings.Replace(tc.path, repo, "<repo>", 1), func(t *testing.T) {
				t.Parallel()
				resp := r.do(t, tc.method, tc.path, nil)
				wantStatus(t, resp, http.StatusMethodNotAllowed, http.StatusNotFound)
				wantSpecErrorBody(t, resp)
			})
		}
	})
	// The manifest is untouched by all of the above.
	wantStatus(t, r.do(t, "GET", "/v2/"+repo+"/manifests/v1", nil, "Accept", mtOCIManifest), http.StatusOK)
}
