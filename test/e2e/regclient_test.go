package e2e

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/regclient/regclient"
	"github.com/regclient/regclient/config"
	"github.com/regclient/regclient/scheme"
	"github.com/regclient/regclient/types/descriptor"
	"github.com/regclient/regclient/types/errs"
	"github.com/regclient/regclient/types/manifest"
	"github.com/regclient/regclient/types/mediatype"
	ociv1 "github.com/regclient/regclient/types/oci/v1"
	"github.com/regclient/regclient/types/ref"
)

func newRegClient(srv *server) *regclient.RegClient {
	return regclient.New(
		regclient.WithConfigHost(config.Host{Name: srv.addr, TLS: config.TLSDisabled, User: adminUser, Pass: adminPassword}),
		regclient.WithRetryLimit(2),
		regclient.WithRetryDelay(50*time.Millisecond, 500*time.Millisecond),
		regclient.WithSlog(slog.New(slog.DiscardHandler)),
		regclient.WithUserAgent("berth-e2e"),
	)
}

func rcRef(t testing.TB, srv *server, rest string) ref.Ref {
	t.Helper()
	r, err := ref.New(srv.addr + "/" + rest)
	if err != nil {
		t.Fatalf("regclient ref %q: %v", rest, err)
	}
	return r
}

// rcCheckBlobs gets every blob of an image manifest through regclient and hashes it.
func rcCheckBlobs(t testing.TB, ctx context.Context, rc *regclient.RegClient, r ref.Ref, m manifest.Manifest) {
	t.Helper()
	img, ok := m.(manifest.Imager)
	if !ok {
		t.Fatalf("%s: %T is not an image manifest", r.CommonName(), m)
	}
	layers, err := img.GetLayers()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.GetConfig()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range append(layers, cfg) {
		br, err := rc.BlobGet(ctx, r, d)
		if err != nil {
			t.Fatalf("BlobGet %s: %v", d.Digest, err)
		}
		got, err := hashOf(br)
		br.Close()
		if err != nil {
			t.Fatalf("BlobGet %s: read: %v", d.Digest, err)
		}
		if got != d.Digest.String() {
			t.Fatalf("BlobGet %s: content hashes to %s", d.Digest, got)
		}
	}
}

func TestRegclientCopyGetTagsDelete(t *testing.T) {
	srv := sharedServer(t)
	ctx := testCtx(t, 2*time.Minute)
	rc := newRegClient(srv)
	u := uniq(t)

	img, err := random.Image(300<<10, 3)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := random.Index(32<<10, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ggcrRef(t, srv, "rc/src-"+u+":img"), img, remoteOpts(ctx)...); err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ggcrRef(t, srv, "rc/src-"+u+":idx"), idx, remoteOpts(ctx)...); err != nil {
		t.Fatal(err)
	}
	imgDigest, _ := img.Digest()
	idxDigest, _ := idx.Digest()

	dst := "rc/dst-" + u
	for tag, want := range map[string]string{"img": imgDigest.String(), "idx": idxDigest.String()} {
		src, tgt := rcRef(t, srv, "rc/src-"+u+":"+tag), rcRef(t, srv, dst+":"+tag)
		if err := rc.ImageCopy(ctx, src, tgt); err != nil {
			t.Fatalf("ImageCopy %s -> %s: %v", src.CommonName(), tgt.CommonName(), err)
		}
		m, err := rc.ManifestGet(ctx, tgt)
		if err != nil {
			t.Fatalf("ManifestGet %s: %v", tgt.CommonName(), err)
		}
		if got := m.GetDescriptor().Digest.String(); got != want {
			t.Fatalf("ManifestGet %s: digest %s, want %s", tgt.CommonName(), got, want)
		}
		raw, _ := m.RawBody()
		if sha256Digest(raw) != want {
			t.Fatalf("ManifestGet %s: body hashes to %s", tgt.CommonName(), sha256Digest(raw))
		}
		if ix, ok := m.(manifest.Indexer); ok {
			children, err := ix.GetManifestList()
			if err != nil || len(children) != 2 {
				t.Fatalf("index children: %v (%v)", children, err)
			}
			for _, c := range children {
				cr := tgt.SetDigest(c.Digest.String())
				cm, err := rc.ManifestGet(ctx, cr)
				if err != nil {
					t.Fatalf("ManifestGet child %s: %v", c.Digest, err)
				}
				rcCheckBlobs(t, ctx, rc, cr, cm)
			}
		} else {
			rcCheckBlobs(t, ctx, rc, tgt, m)
		}
	}

	tl, err := rc.TagList(ctx, rcRef(t, srv, dst))
	if err != nil {
		t.Fatalf("TagList: %v", err)
	}
	tags, err := tl.GetTags()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"idx", "img"}, sortedCopy(tags)); diff != "" {
		t.Fatalf("TagList (-want +got):\n%s", diff)
	}

	del := rcRef(t, srv, dst+"@"+imgDigest.String())
	if err := rc.ManifestDelete(ctx, del); err != nil {
		t.Fatalf("ManifestDelete: %v", err)
	}
	if _, err := rc.ManifestHead(ctx, del); !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("ManifestHead after delete: %v, want not found", err)
	}
	// The source is untouched.
	if _, err := rc.ManifestHead(ctx, rcRef(t, srv, "rc/src-"+u+":img")); err != nil {
		t.Fatalf("ManifestHead source after deleting the copy: %v", err)
	}
}

func TestRegclientReferrers(t *testing.T) {
	srv := sharedServer(t)
	ctx := testCtx(t, 2*time.Minute)
	rc := newRegClient(srv)
	repo := "rc/referrers-" + uniq(t)

	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	subjRef := rcRef(t, srv, repo+":v1")
	if err := remote.Write(ggcrRef(t, srv, repo+":v1"), img, remoteOpts(ctx)...); err != nil {
		t.Fatal(err)
	}
	subj, err := rc.ManifestHead(ctx, subjRef, regclient.WithManifestRequireDigest())
	if err != nil {
		t.Fatalf("ManifestHead subject: %v", err)
	}
	sd := subj.GetDescriptor()
	subjDesc := descriptor.Descriptor{MediaType: sd.MediaType, Digest: sd.Digest, Size: sd.Size}

	put := func(artifactType string, payload []byte) string {
		t.Helper()
		base := rcRef(t, srv, repo)
		cfg := descriptor.Descriptor{MediaType: mediatype.OCI1Empty, Digest: descriptor.EmptyDigest, Size: int64(len(descriptor.EmptyData))}
		if _, err := rc.BlobPut(ctx, base, cfg, bytes.NewReader(descriptor.EmptyData)); err != nil {
			t.Fatalf("BlobPut config: %v", err)
		}
		layer, err := rc.BlobPut(ctx, base, descriptor.Descriptor{}, bytes.NewReader(payload))
		if err != nil {
			t.Fatalf("BlobPut payload: %v", err)
		}
		layer.MediaType = "application/octet-stream"
		m, err := manifest.New(manifest.WithOrig(ociv1.Manifest{
			Versioned:    ociv1.ManifestSchemaVersion,
			MediaType:    mediatype.OCI1Manifest,
			ArtifactType: artifactType,
			Config:       cfg,
			Layers:       []descriptor.Descriptor{layer},
			Subject:      &subjDesc,
		}))
		if err != nil {
			t.Fatal(err)
		}
		d := m.GetDescriptor().Digest.String()
		if err := rc.ManifestPut(ctx, base.SetDigest(d), m); err != nil {
			t.Fatalf("ManifestPut artifact %s: %v", artifactType, err)
		}
		return d
	}
	const sigType, attType = "application/vnd.berth.rc.signature", "application/vnd.berth.rc.attestation"
	sig := put(sigType, []byte("sig"))
	att := put(attType, []byte("attestation"))

	rl, err := rc.ReferrerList(ctx, subjRef)
	if err != nil {
		t.Fatalf("ReferrerList: %v", err)
	}
	got := map[string]string{}
	for _, d := range rl.Descriptors {
		got[d.Digest.String()] = d.ArtifactType
	}
	if diff := cmp.Diff(map[string]string{sig: sigType, att: attType}, got); diff != "" {
		t.Fatalf("ReferrerList (-want +got):\n%s", diff)
	}
	rl, err = rc.ReferrerList(ctx, subjRef, scheme.WithReferrerMatchOpt(descriptor.MatchOpt{ArtifactType: attType}))
	if err != nil {
		t.Fatalf("ReferrerList filtered: %v", err)
	}
	if len(rl.Descriptors) != 1 || rl.Descriptors[0].Digest.String() != att {
		t.Fatalf("ReferrerList filtered by %s: %+v", attType, rl.Descriptors)
	}
	// regclient used the Referrers API, not the tag fallback: no sha256-<hex> tag appeared.
	tl, err := rc.TagList(ctx, rcRef(t, srv, repo))
	if err != nil {
		t.Fatal(err)
	}
	tags, _ := tl.GetTags()
	if diff := cmp.Diff([]string{"v1"}, tags); diff != "" {
		t.Fatalf("tags (a fallback tag means the Referrers API was not used) (-want +got):\n%s", diff)
	}
}
