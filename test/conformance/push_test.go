package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Spec "Pushing a blob monolithically": POST then PUT, and a single POST.
func TestPushBlobMonolithic(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	tests := []struct {
		name   string
		blob   []byte
		digest string
		single bool // single POST ?digest= instead of POST then PUT
	}{
		{name: "POST then PUT", blob: randomBytes(4096)},
		{name: "single POST", blob: randomBytes(4096), single: true},
		{name: "empty blob POST then PUT", blob: []byte{}},
		{name: "empty blob single POST", blob: []byte{}, single: true},
		{name: "sha512 digest", blob: randomBytes(1000), digest: "sha512"},
		{name: "sha512 digest single POST", blob: randomBytes(1000), digest: "sha512", single: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			repo := r.repo("mono")
			d := sha256Of(tc.blob)
			if tc.digest == "sha512" {
				d = sha512Of(tc.blob)
			}
			var resp *response
			if tc.single {
				resp = r.do(t, "POST", "/v2/"+repo+"/blobs/uploads/?digest="+d, tc.blob,
					"Content-Type", "application/octet-stream")
				// A registry without single-POST uploads SHOULD answer 202
				// and a Location for the PUT; Berth supports them.
				wantStatus(t, resp, http.StatusCreated)
			} else {
				resp = r.do(t, "POST", "/v2/"+repo+"/blobs/uploads/", nil)
				wantStatus(t, resp, http.StatusAccepted)
				resp = r.do(t, "PUT", withQuery(t, wantLocation(t, resp), "digest", d), tc.blob,
					"Content-Type", "application/octet-stream")
				wantStatus(t, resp, http.StatusCreated)
			}
			wantDigestHeader(t, resp, tc.blob, "")
			get := r.do(t, "GET", wantLocation(t, resp), nil) // "<blob-location> is a pullable blob URL"
			wantStatus(t, get, http.StatusOK)
			wantBody(t, get, tc.blob)
			get = r.do(t, "GET", "/v2/"+repo+"/blobs/"+d, nil)
			wantStatus(t, get, http.StatusOK)
			wantBody(t, get, tc.blob)
			wantDigestHeader(t, get, tc.blob, "")
		})
	}
}

// Spec "Pushing a blob in chunks": POST, PATCH with Content-Range, GET for
// the status, PUT to close, and 416 for chunks out of order.
func TestPushBlobChunked(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	blob := randomBytes(2500)

	t.Run("PATCH all chunks, PUT without body", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("chunked")
		loc := startUpload(t, r, repo)
		for _, c := range [][2]int{{0, 1000}, {1000, 2000}, {2000, 2500}} {
			loc = patchChunk(t, r, loc, blob, c[0], c[1])
			status := r.do(t, "GET", loc, nil)
			wantStatus(t, status, http.StatusNoContent)
			wantLocation(t, status)
			wantHeader(t, status, "Range", fmt.Sprintf("0-%d", c[1]-1))
			// Berth: the Docker-Upload-UUID header Docker clients read.
			if status.Header.Get("Docker-Upload-UUID") == "" {
				t.Errorf("%s: no Docker-Upload-UUID header", status.what)
			}
		}
		finish(t, r, repo, loc, blob, nil)
	})

	t.Run("final chunk in the PUT", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("chunked")
		loc := patchChunk(t, r, startUpload(t, r, repo), blob, 0, 1500)
		finish(t, r, repo, loc, blob, blob[1500:], "Content-Range", "1500-2499")
	})

	t.Run("single chunk", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("chunked")
		loc := patchChunk(t, r, startUpload(t, r, repo), blob, 0, len(blob))
		finish(t, r, repo, loc, blob, nil)
	})

	t.Run("out of order chunk is 416", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("chunked")
		first := startUpload(t, r, repo)
		resp := r.do(t, "PATCH", first, blob[500:1000], "Content-Type", "application/octet-stream",
			"Content-Range", "500-999")
		wantStatus(t, resp, http.StatusRequestedRangeNotSatisfiable) // "first chunk's range MUST begin with 0"
		wantSpecErrorBody(t, resp)

		loc := patchChunk(t, r, first, blob, 0, 1000)
		for _, rng := range [][2]int{{1500, 2000}, {500, 1500}, {0, 1000}} {
			resp := r.do(t, "PATCH", loc, blob[rng[0]:rng[1]], "Content-Type", "application/octet-stream",
				"Content-Range", fmt.Sprintf("%d-%d", rng[0], rng[1]-1))
			wantStatus(t, resp, http.StatusRequestedRangeNotSatisfiable)
			wantSpecErrorBody(t, resp)
		}
		// "A GET request may be used to retrieve the current valid offset."
		status := r.do(t, "GET", loc, nil)
		wantStatus(t, status, http.StatusNoContent)
		wantHeader(t, status, "Range", "0-999")
		loc = patchChunk(t, r, wantLocation(t, status), blob, 1000, 2500)
		finish(t, r, repo, loc, blob, nil)
	})

	t.Run("POST with Content-Length 0 then PUT with Content-Length 0", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("chunked")
		finish(t, r, repo, startUpload(t, r, repo), []byte{}, nil)
	})

	t.Run("session Location carries a UUID", func(t *testing.T) {
		t.Parallel()
		// "The <location> MUST contain a UUID representing a unique session
		// ID": 128 bits in hex, with or without the dashes of RFC 4122 form.
		loc := startUpload(t, r, r.repo("chunked"))
		if !uuidRE.MatchString(loc) {
			t.Errorf("upload Location %q holds no UUID", loc)
		}
	})

	t.Run("status of a fresh session", func(t *testing.T) {
		t.Parallel()
		loc := startUpload(t, r, r.repo("chunked"))
		resp := r.do(t, "GET", loc, nil)
		wantStatus(t, resp, http.StatusNoContent)
		wantLocation(t, resp)
	})
}

// startUpload opens an upload session with an empty POST and returns its
// Location.
func startUpload(t *testing.T, r *registry, repo string) string {
	t.Helper()
	resp := r.do(t, "POST", "/v2/"+repo+"/blobs/uploads/", nil)
	wantStatus(t, resp, http.StatusAccepted)
	return wantLocation(t, resp)
}

// patchChunk uploads blob[from:to] and checks the 202 answer: a Location
// and Range: 0-<to-1>. It returns the new Location.
func patchChunk(t *testing.T, r *registry, loc string, blob []byte, from, to int) string {
	t.Helper()
	resp := r.do(t, "PATCH", loc, blob[from:to], "Content-Type", "application/octet-stream",
		"Content-Range", fmt.Sprintf("%d-%d", from, to-1))
	wantStatus(t, resp, http.StatusAccepted)
	wantHeader(t, resp, "Range", fmt.Sprintf("0-%d", to-1))
	return wantLocation(t, resp)
}

// finish closes an upload with PUT ?digest= (sending body, which may be nil)
// and checks that the blob is then pullable byte for byte.
func finish(t *testing.T, r *registry, repo, loc string, blob, body []byte, hdr ...string) {
	t.Helper()
	if body != nil {
		hdr = append(hdr, "Content-Type", "application/octet-stream")
	}
	d := sha256Of(blob)
	resp := r.do(t, "PUT", withQuery(t, loc, "digest", d), body, hdr...)
	wantStatus(t, resp, http.StatusCreated)
	wantDigestHeader(t, resp, blob, d)
	if loc := resp.Header.Get("Location"); loc == "" {
		t.Errorf("%s: 201 without a Location header", resp.what)
	} else {
		get := r.do(t, "GET", loc, nil)
		wantStatus(t, get, http.StatusOK)
		wantBody(t, get, blob)
	}
	head := r.do(t, "HEAD", "/v2/"+repo+"/blobs/"+d, nil)
	wantStatus(t, head, http.StatusOK)
	wantContentLength(t, head, len(blob))
}

// Spec error codes for uploads: DIGEST_INVALID for wrong or malformed
// digests, BLOB_UPLOAD_UNKNOWN for sessions that do not exist.
func TestPushBlobErrors(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	blob := randomBytes(1000)
	wrong := sha256Of(randomBytes(1000))

	t.Run("digest mismatch on PUT", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("badput")
		resp := r.do(t, "PUT", withQuery(t, startUpload(t, r, repo), "digest", wrong), blob,
			"Content-Type", "application/octet-stream")
		wantError(t, resp, http.StatusBadRequest, "DIGEST_INVALID")
		for _, d := range []string{wrong, sha256Of(blob)} {
			wantStatus(t, r.do(t, "HEAD", "/v2/"+repo+"/blobs/"+d, nil), http.StatusNotFound)
		}
	})
	t.Run("digest mismatch on single POST", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("badpost")
		resp := r.do(t, "POST", "/v2/"+repo+"/blobs/uploads/?digest="+wrong, blob,
			"Content-Type", "application/octet-stream")
		wantError(t, resp, http.StatusBadRequest, "DIGEST_INVALID")
		wantStatus(t, r.do(t, "HEAD", "/v2/"+repo+"/blobs/"+wrong, nil), http.StatusNotFound)
	})
	t.Run("digest mismatch after chunks", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("badchunk")
		loc := patchChunk(t, r, startUpload(t, r, repo), blob, 0, len(blob))
		resp := r.do(t, "PUT", withQuery(t, loc, "digest", wrong), nil)
		wantError(t, resp, http.StatusBadRequest, "DIGEST_INVALID")
	})
	for _, bad := range []string{"notadigest", "sha256:xyz", "sha256:0123abc", "sha256:" + strings.Repeat("g", 64), "sha256"} {
		t.Run("invalid digest "+bad+" on PUT", func(t *testing.T) {
			t.Parallel()
			resp := r.do(t, "PUT", withQuery(t, startUpload(t, r, r.repo("baddigest")), "digest", bad), blob,
				"Content-Type", "application/octet-stream")
			wantError(t, resp, http.StatusBadRequest, "DIGEST_INVALID")
		})
		t.Run("invalid digest "+bad+" on single POST", func(t *testing.T) {
			t.Parallel()
			resp := r.do(t, "POST", withQuery(t, "/v2/"+r.repo("baddigest")+"/blobs/uploads/", "digest", bad), blob,
				"Content-Type", "application/octet-stream")
			wantError(t, resp, http.StatusBadRequest, "DIGEST_INVALID")
		})
	}
	t.Run("PUT without digest", func(t *testing.T) {
		t.Parallel()
		resp := r.do(t, "PUT", startUpload(t, r, r.repo("nodigest")), blob, "Content-Type", "application/octet-stream")
		// "The closing PUT request MUST include the <digest>".
		wantError(t, resp, http.StatusBadRequest, "DIGEST_INVALID", "BLOB_UPLOAD_INVALID")
	})
	t.Run("unknown session", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("nosession")
		r.pushBlob(t, repo, mtOCILayer, blob) // the repository exists; the session does not
		loc := "/v2/" + repo + "/blobs/uploads/" + fakeUUID()
		for _, tc := range []struct {
			method, target string
			body           []byte
			hdr            []string
		}{
			{"GET", loc, nil, nil},
			{"PATCH", loc, blob, []string{"Content-Range", "0-999", "Content-Type", "application/octet-stream"}},
			{"PUT", withQuery(t, loc, "digest", sha256Of(blob)), blob, []string{"Content-Type", "application/octet-stream"}},
			{"DELETE", loc, nil, nil},
		} {
			resp := r.do(t, tc.method, tc.target, tc.body, tc.hdr...)
			wantError(t, resp, http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
		}
	})
	t.Run("cancel upload", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("cancel")
		loc := patchChunk(t, r, startUpload(t, r, repo), blob, 0, 500)
		wantStatus(t, r.do(t, "DELETE", loc, nil), http.StatusNoContent)
		wantError(t, r.do(t, "GET", loc, nil), http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
		resp := r.do(t, "PUT", withQuery(t, loc, "digest", sha256Of(blob[:500])), nil)
		wantError(t, resp, http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
	})
	t.Run("session is gone once closed", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("closed")
		loc := startUpload(t, r, repo)
		resp := r.do(t, "PUT", withQuery(t, loc, "digest", sha256Of(blob)), blob, "Content-Type", "application/octet-stream")
		wantStatus(t, resp, http.StatusCreated)
		wantError(t, r.do(t, "GET", loc, nil), http.StatusNotFound, "BLOB_UPLOAD_UNKNOWN")
	})
}

var uuidRE = regexp.MustCompile(`[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}`)

func fakeUUID() string {
	h := randHex(16)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

// Spec "Mounting a blob from another repository": 201 when the source has
// the blob, else 202 and an ordinary upload session.
func TestPushBlobMount(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	blob := randomBytes(3000)
	src := r.repo("mount-src")
	r.pushBlob(t, src, mtOCILayer, blob)
	d := sha256Of(blob)
	mount := func(t *testing.T, repo, query string) *response {
		return r.do(t, "POST", "/v2/"+repo+"/blobs/uploads/?"+query, nil)
	}

	t.Run("from a repository that has it", func(t *testing.T) {
		t.Parallel()
		dst := r.repo("mount-dst")
		resp := mount(t, dst, "mount="+d+"&from="+src)
		wantStatus(t, resp, http.StatusCreated)
		wantDigestHeader(t, resp, blob, d)
		get := r.do(t, "GET", wantLocation(t, resp), nil)
		wantStatus(t, get, http.StatusOK)
		wantBody(t, get, blob)
		wantStatus(t, r.do(t, "HEAD", "/v2/"+dst+"/blobs/"+d, nil), http.StatusOK)
	})
	fallbacks := map[string]string{
		"from a repository without it": "mount=" + d + "&from=" + r.repo("mount-empty"),
		"of an unknown blob":           "mount=" + sha256Of(randomBytes(10)) + "&from=" + src,
	}
	for name, query := range fallbacks {
		t.Run(name+" falls back to an upload", func(t *testing.T) {
			t.Parallel()
			dst := r.repo("mount-dst")
			resp := mount(t, dst, query)
			wantStatus(t, resp, http.StatusAccepted) // "unable to mount ... SHOULD return a 202"
			finish(t, r, dst, wantLocation(t, resp), blob, blob)
		})
	}
	t.Run("without from", func(t *testing.T) {
		t.Parallel()
		dst := r.repo("mount-dst")
		resp := mount(t, dst, "mount="+d)
		// The registry MAY treat from as optional and mount the blob if found.
		wantStatus(t, resp, http.StatusCreated, http.StatusAccepted)
		if resp.StatusCode == http.StatusCreated {
			wantStatus(t, r.do(t, "HEAD", "/v2/"+dst+"/blobs/"+d, nil), http.StatusOK)
			return
		}
		finish(t, r, dst, wantLocation(t, resp), blob, blob)
	})
}

// Spec "Pushing Manifests": PUT by tag and by digest, stored byte for byte.
func TestPushManifest(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)

	t.Run("by tag", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("mput")
		img := r.pushImageBlobs(t, repo, nil)
		r.putManifestStrict(t, repo, "v1", mtOCIManifest, img.Manifest)
		wantManifest(t, r, repo, "v1", mtOCIManifest, img.Manifest)
		wantManifest(t, r, repo, img.Digest, mtOCIManifest, img.Manifest)
		// The same manifest under a second tag.
		r.putManifestStrict(t, repo, "v2", mtOCIManifest, img.Manifest)
		wantManifest(t, r, repo, "v2", mtOCIManifest, img.Manifest)
	})
	t.Run("by digest", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("mput")
		img := r.pushImageBlobs(t, repo, nil)
		r.putManifestStrict(t, repo, img.Digest, mtOCIManifest, img.Manifest)
		wantManifest(t, r, repo, img.Digest, mtOCIManifest, img.Manifest)
	})
	t.Run("Location is pullable", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("mput")
		img := r.pushImageBlobs(t, repo, nil)
		resp := r.putManifestStrict(t, repo, "loc", mtOCIManifest, img.Manifest)
		get := r.do(t, "GET", wantLocation(t, resp), nil, "Accept", mtOCIManifest)
		wantStatus(t, get, http.StatusOK)
		wantBody(t, get, img.Manifest)
	})
	t.Run("exact bytes kept", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("mput")
		img := r.pushImageBlobs(t, repo, nil)
		var m manifest
		if err := json.Unmarshal(img.Manifest, &m); err != nil {
			t.Fatal(err)
		}
		odd, err := json.MarshalIndent(m, "", "\t")
		if err != nil {
			t.Fatal(err)
		}
		odd = append(odd, "\n\n"...)
		r.putManifestStrict(t, repo, "odd", mtOCIManifest, odd)
		wantManifest(t, r, repo, "odd", mtOCIManifest, odd)
		wantManifest(t, r, repo, sha256Of(odd), mtOCIManifest, odd)
	})
	t.Run("sha512 digest reference", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("mput")
		img := r.pushImageBlobs(t, repo, nil)
		var m manifest
		_ = json.Unmarshal(img.Manifest, &m)
		m.Annotations = map[string]string{"org.example.variant": "sha512"}
		body := mustJSON(t, m)
		// "Docker-Content-Digest ... MUST be equal to the client provided digest."
		r.putManifestStrict(t, repo, sha512Of(body), mtOCIManifest, body)
		wantManifest(t, r, repo, sha512Of(body), mtOCIManifest, body)
	})
	t.Run("nested repository a/b/c", func(t *testing.T) {
		t.Parallel()
		repo := r.repo("nested") + "/a/b/c"
		img := r.pushImage(t, repo, "v1", nil)
		wantManifest(t, r, repo, "v1", mtOCIManifest, img.Manifest)
		get := r.do(t, "GET", "/v2/"+repo+"/blobs/"+sha256Of(img.Layers[0]), nil)
		wantStatus(t, get, http.StatusOK)
		wantBody(t, get, img.Layers[0])
		_, tags := r.tagList(t, repo, "")
		if !slices.Equal(tags, []string{"v1"}) {
			t.Errorf("tags of %s = %q, want [v1]", repo, tags)
		}
	})
}

// wantManifest GETs a manifest and checks body, Content-Type and digest.
func wantManifest(t *testing.T, r *registry, repo, ref, mediaType string, body []byte) {
	t.Helper()
	resp := r.do(t, "GET", "/v2/"+repo+"/manifests/"+ref, nil, "Accept", mediaType)
	wantStatus(t, resp, http.StatusOK)
	wantBody(t, resp, body)
	wantHeader(t, resp, "Content-Type", mediaType)
	want := sha256Of(body)
	if strings.HasPrefix(ref, "sha512:") {
		want = ""
	}
	wantDigestHeader(t, resp, body, want)
}

// Spec "Push": manifests the registry refuses, and what is left afterwards.
func TestPushManifestRefused(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	repo := r.repo("mrefuse")
	img := r.pushImage(t, repo, "base", nil)
	var base manifest
	if err := json.Unmarshal(img.Manifest, &base); err != nil {
		t.Fatal(err)
	}
	unknown := describe(mtOCILayer, randomBytes(100))
	withLayer := base
	withLayer.Layers = append(slices.Clone(base.Layers), unknown)
	withConfig := base
	withConfig.Config = describe(mtOCIConfig, randomBytes(100))
	fresh := base
	fresh.Annotations = map[string]string{"org.example.fresh": randHex(8)}
	childless := index{SchemaVersion: 2, MediaType: mtOCIIndex, Manifests: []descriptor{
		img.Desc, describe(mtOCIManifest, randomBytes(300)),
	}}

	tests := []struct {
		name, mediaType string
		body            []byte
		ref             string // "" puts by the body's digest
		status          []int
		codes           []string
	}{
		// "the registry MUST return one or more MANIFEST_BLOB_UNKNOWN errors".
		// Berth rejects such manifests (the spec lets a registry accept them).
		{"unknown layer", mtOCIManifest, mustJSON(t, withLayer), "t1", []int{400}, []string{"MANIFEST_BLOB_UNKNOWN"}},
		{"unknown config", mtOCIManifest, mustJSON(t, withConfig), "t2", []int{400}, []string{"MANIFEST_BLOB_UNKNOWN"}},
		{"index with unknown child", mtOCIIndex, mustJSON(t, childless), "t3", []int{400}, []string{"MANIFEST_BLOB_UNKNOWN"}},
		{"not JSON", mtOCIManifest, []byte("this is not a manifest"), "t4", []int{400}, []string{"MANIFEST_INVALID"}},
		{"truncated JSON", mtOCIManifest, img.Manifest[:len(img.Manifest)/2], "t5", []int{400}, []string{"MANIFEST_INVALID"}},
		{"empty body", mtOCIManifest, []byte{}, "t6", []int{400}, []string{"MANIFEST_INVALID"}},
		{"wrong field types", mtOCIManifest, []byte(`{"schemaVersion":2,"mediaType":"` + mtOCIManifest + `","config":"nope","layers":{}}`), "t7", []int{400}, []string{"MANIFEST_INVALID"}},
		{"digest reference does not match", mtOCIManifest, mustJSON(t, fresh), sha256Of([]byte("other")), []int{400}, []string{"DIGEST_INVALID"}},
		// Berth refuses Docker schema1 (the spec only names it as legacy).
		{"Docker schema1 signed", mtSchema1JWS, schema1(t, img), "t8", []int{400, 415}, []string{"MANIFEST_INVALID", "UNSUPPORTED"}},
		{"Docker schema1 unsigned", mtSchema1, schema1(t, img), "t9", []int{400, 415}, []string{"MANIFEST_INVALID", "UNSUPPORTED"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp := r.putManifest(t, repo, tc.ref, tc.mediaType, tc.body)
			wantStatus(t, resp, tc.status...)
			if resp.StatusCode == http.StatusBadRequest {
				wantError(t, resp, http.StatusBadRequest, tc.codes...)
			} else {
				wantSpecErrorBody(t, resp)
			}
			wantNoManifest(t, r, repo, tc.ref, tc.body)
		})
	}
}

// wantNoManifest checks that neither ref nor the body's digest resolves.
func wantNoManifest(t *testing.T, r *registry, repo, ref string, body []byte) {
	t.Helper()
	for _, ref := range []string{ref, sha256Of(body)} {
		resp := r.do(t, "GET", "/v2/"+repo+"/manifests/"+ref, nil, "Accept", "*/*")
		wantError(t, resp, http.StatusNotFound, "MANIFEST_UNKNOWN")
	}
}

// schema1 is a Docker schema1 manifest for img's layers (unsigned; a signed
// one only adds a "signatures" member).
func schema1(t *testing.T, img image) []byte {
	t.Helper()
	var layers []map[string]string
	var history []map[string]string
	for _, l := range img.Layers {
		layers = append(layers, map[string]string{"blobSum": sha256Of(l)})
		history = append(history, map[string]string{"v1Compatibility": `{"id":"` + randHex(32) + `"}`})
	}
	return mustJSON(t, map[string]any{
		"schemaVersion": 1, "name": "x", "tag": "t", "architecture": "amd64",
		"fsLayers": layers, "history": history,
	})
}

// Spec: "A registry SHOULD enforce some limit on the maximum manifest size
// ... respond ... with 413 Payload Too Large" and "SHOULD expect to ...
// support manifest pushes of at least 4 megabytes". Berth's limit is 4 MiB.
func TestPushManifestSize(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	repo := r.repo("msize")
	img := r.pushImage(t, repo, "base", nil)
	sized := func(n int) []byte {
		var m manifest
		if err := json.Unmarshal(img.Manifest, &m); err != nil {
			t.Fatal(err)
		}
		m.Annotations = map[string]string{"org.example.pad": ""}
		pad := n - len(mustJSON(t, m))
		m.Annotations["org.example.pad"] = strings.Repeat("a", pad)
		b := mustJSON(t, m)
		if len(b) != n {
			t.Fatalf("padded manifest is %d bytes, want %d", len(b), n)
		}
		return b
	}

	t.Run("4 MB accepted", func(t *testing.T) {
		t.Parallel()
		body := sized(4_000_000)
		r.putManifestOK(t, repo, "big", mtOCIManifest, body)
		wantManifest(t, r, repo, "big", mtOCIManifest, body)
	})
	t.Run("over 4 MiB refused with 413", func(t *testing.T) {
		t.Parallel()
		body := sized(4<<20 + 1)
		for _, ref := range []string{"huge", ""} {
			resp := r.putManifest(t, repo, ref, mtOCIManifest, body)
			wantStatus(t, resp, http.StatusRequestEntityTooLarge)
			wantSpecErrorBody(t, resp)
		}
		wantNoManifest(t, r, repo, "huge", body)
		_, tags := r.tagList(t, repo, "")
		if slices.Contains(tags, "huge") {
			t.Errorf("tag list %q holds the refused tag", tags)
		}
	})
}

// Spec "Pushing Manifests with Subject": a registry with the referrers API
// MUST answer OCI-Subject, and MUST accept a subject that does not exist yet.
func TestPushManifestSubject(t *testing.T) {
	t.Parallel()
	r := newRegistry(t)
	repo := r.repo("subject")
	subject := r.pushImage(t, repo, "v1", nil)
	missing := describe(mtOCIManifest, randomBytes(200))

	for name, s := range map[string]descriptor{"existing subject": subject.Desc, "subject not pushed yet": missing} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, resp := r.pushArtifact(t, repo, s, "application/vnd.example.test", "", nil)
			wantHeader(t, resp, "OCI-Subject", s.Digest)
		})
	}
	t.Run("index with subject", func(t *testing.T) {
		t.Parallel()
		body := mustJSON(t, index{SchemaVersion: 2, MediaType: mtOCIIndex, ArtifactType: "application/vnd.example.idx",
			Manifests: []descriptor{subject.Desc}, Subject: &subject.Desc})
		resp := r.putManifestStrict(t, repo, "", mtOCIIndex, body)
		wantHeader(t, resp, "OCI-Subject", subject.Digest)
	})
}
