package api

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-oci/berth/internal/meta"
)

const appArtifacts = "/projects/team/repositories/app/artifacts"

func TestRepositoriesAPI(t *testing.T) {
	t.Parallel()
	e := newContentEnv(t, Options{})
	runStatus(t, e, []statusCase{
		{"anonymous", "GET", "/projects/team/repositories", "", http.StatusUnauthorized},
		{"outsider", "GET", "/projects/team/repositories", "", http.StatusNotFound},
		{"robot", "GET", "/projects/team/repositories", "", http.StatusNotFound},
		{"lguest", "GET", "/projects/team/repositories/app", "", http.StatusOK},
		{"lguest", "GET", "/projects/team/repositories/tools%252Fcli", "", http.StatusOK},
		{"lguest", "GET", "/projects/team/repositories/tools%2Fcli", "", http.StatusOK},
		{"lguest", "GET", "/projects/team/repositories/none", "", http.StatusNotFound},
		{"lguest", "GET", "/projects/team/repositories/Bad%20Name", "", http.StatusBadRequest},
		{"dev", "GET", "/projects/team/repositories?sort=size", "", http.StatusBadRequest},
		{"dev", "GET", "/projects/team/repositories?q=name%3D%5B1~2%5D", "", http.StatusBadRequest},
		{"dev", "PUT", "/projects/team/repositories/app", `{"description":"x"}`, http.StatusForbidden},
		{"dev", "DELETE", "/projects/team/repositories/app", "", http.StatusForbidden},
		{"guest", "PUT", "/projects/team/repositories/app", `{"description":`, http.StatusForbidden},
		{"maintainer", "PUT", "/projects/team/repositories/app", `{"description":`, http.StatusBadRequest},
		{"anonymous", "GET", "/projects/pub/repositories/web", "", http.StatusOK},
	})

	for _, c := range []struct {
		who, path string
		want      []string
	}{
		{"dev", "/projects/team/repositories", []string{"team/app", "team/tools/cli"}},
		{"dev", "/projects/team/repositories?q=name%3D~cli", []string{"team/tools/cli"}},
		{"dev", "/projects/team/repositories?q=name%3Dteam/app", []string{"team/app"}},
		{"dev", "/projects/team/repositories?sort=-update_time", []string{"team/tools/cli", "team/app"}},
		{"admin", "/repositories", []string{"pub/web", "team/app", "team/tools/cli"}},
		{"dev", "/repositories?q=name%3D~app", []string{"team/app"}},
		{"outsider", "/repositories", []string{"pub/web"}},
		{"anonymous", "/repositories", []string{"pub/web"}},
		{"robot", "/repositories", []string{"pub/web", "team/app", "team/tools/cli"}},
		{"admin", "/repositories?page_size=2&page=2", []string{"team/tools/cli"}},
	} {
		w := e.do(t, c.who, "GET", c.path, "")
		want(t, w, http.StatusOK)
		if d := cmp.Diff(c.want, names(t, w.Body.Bytes(), "name")); d != "" {
			t.Errorf("%s GET %s (-want +got):\n%s", c.who, c.path, d)
		}
	}
	w := e.do(t, "admin", "GET", "/repositories?page_size=2", "")
	if w.Header().Get("X-Total-Count") != "3" || !strings.Contains(w.Header().Get("Link"), `rel="next"`) {
		t.Errorf("headers = %v", w.Header())
	}
	rp := decode[map[string]any](t, e.do(t, "guest", "GET", "/projects/team/repositories/app", ""))
	wantKeys := []string{"artifact_count", "creation_time", "description", "id", "name", "project_id", "pull_count", "update_time"}
	if d := cmp.Diff(wantKeys, keys(rp)); d != "" {
		t.Errorf("repository keys (-want +got):\n%s", d)
	}
	if rp["artifact_count"] != float64(3) || rp["project_id"] != float64(e.team.ID) || rp["name"] != "team/app" {
		t.Errorf("repository = %v", rp)
	}

	t.Run("write", func(t *testing.T) {
		t.Parallel()
		e := newContentEnv(t, Options{})
		want(t, e.do(t, "maintainer", "PUT", "/projects/team/repositories/tools%252Fcli", `{"description":"the CLI"}`), http.StatusOK)
		got := decode[repositoryJSON](t, e.do(t, "guest", "GET", "/projects/team/repositories/tools%252Fcli", ""))
		if got.Description != "the CLI" {
			t.Errorf("description = %q", got.Description)
		}
		want(t, e.do(t, "maintainer", "DELETE", "/projects/team/repositories/app", ""), http.StatusOK)
		want(t, e.do(t, "maintainer", "GET", "/projects/team/repositories/app", ""), http.StatusNotFound)
		want(t, e.do(t, "maintainer", "DELETE", "/projects/team/repositories/app", ""), http.StatusNotFound)
		if _, err := e.store.GetManifest(t.Context(), "team/app", e.images["team/app:v1"]); err == nil {
			t.Error("manifest survived its repository")
		}
		trail := e.auditTrail(t, meta.AuditFilter{ResourceType: "repository"}, func(ev meta.AuditEvent) string {
			return ev.Username + " " + ev.Operation + " " + ev.Resource + " " + ev.Detail["artifacts"]
		})
		if d := cmp.Diff([]string{"maintainer delete team/app 5"}, trail); d != "" {
			t.Errorf("audit (-want +got):\n%s", d)
		}
	})
}

func TestArtifactsRead(t *testing.T) {
	t.Parallel()
	e := newContentEnv(t, Options{})
	v1 := e.images["team/app:v1"].String()
	runStatus(t, e, []statusCase{
		{"anonymous", "GET", appArtifacts, "", http.StatusUnauthorized},
		{"outsider", "GET", appArtifacts, "", http.StatusNotFound},
		{"lguest", "GET", appArtifacts + "/v1", "", http.StatusOK},
		{"lguest", "GET", appArtifacts + "/" + v1, "", http.StatusOK},
		{"lguest", "GET", appArtifacts + "/nope", "", http.StatusNotFound},
		{"lguest", "GET", appArtifacts + "/sha256:1234", "", http.StatusBadRequest},
		{"lguest", "GET", appArtifacts + "/v1/additions/build_history", "", http.StatusOK},
		{"lguest", "GET", appArtifacts + "/latest/additions/build_history", "", http.StatusNotFound},
		{"lguest", "GET", appArtifacts + "?sort=size", "", http.StatusBadRequest},
		{"lguest", "GET", appArtifacts + "?q=tags%3D%5Ba~b%5D", "", http.StatusBadRequest},
		{"lguest", "GET", appArtifacts + "?q=digest%3Dnope", "", http.StatusBadRequest},
		{"lguest", "GET", appArtifacts + "?with_tag=maybe", "", http.StatusBadRequest},
		{"lguest", "GET", appArtifacts + "/v1/tags", "", http.StatusOK},
		{"anonymous", "GET", "/projects/pub/repositories/web/artifacts/latest", "", http.StatusOK},
	})

	tagsOf := func(a artifactJSON) []string {
		var out []string
		for _, t := range a.Tags {
			out = append(out, t.Name)
		}
		return out
	}
	for _, c := range []struct {
		query string
		want  []string // digests by image key
		total string
	}{
		{"", []string{"team/app:old", "team/app:v1", "team/app:latest"}, "3"},
		{"?sort=push_time", []string{"team/app:latest", "team/app:v1", "team/app:old"}, "3"},
		{"?q=tags%3Dv1", []string{"team/app:v1"}, "1"},
		{"?q=tags%3D~tab", []string{"team/app:v1"}, "1"},
		{"?q=tags%3D*", []string{"team/app:v1", "team/app:latest"}, "2"},
		{"?q=tags%3Dnil", []string{"team/app:old"}, "1"},
		{"?q=digest%3D" + e.images["team/app:amd64"].String(), []string{"team/app:amd64"}, "1"},
		{"?page_size=1&page=2", []string{"team/app:v1"}, "3"},
	} {
		w := e.do(t, "guest", "GET", appArtifacts+c.query, "")
		want(t, w, http.StatusOK)
		var wantDigests []string
		for _, k := range c.want {
			wantDigests = append(wantDigests, e.images[k].String())
		}
		if d := cmp.Diff(wantDigests, names(t, w.Body.Bytes(), "digest")); d != "" || w.Header().Get("X-Total-Count") != c.total {
			t.Errorf("GET artifacts%s: total %s (-want +got)\n%s", c.query, w.Header().Get("X-Total-Count"), d)
		}
	}

	// An image: Harbor's shape, tags, config attributes, build history link.
	w := e.do(t, "guest", "GET", appArtifacts+"/stable", "")
	raw := decode[map[string]any](t, w)
	wantKeys := []string{"accessories", "addition_links", "annotations", "artifact_type", "digest", "extra_attrs", "icon", "id",
		"labels", "manifest_media_type", "media_type", "project_id", "pull_count", "pull_time", "push_time", "references",
		"repository_id", "repository_name", "size", "tags", "type"}
	if d := cmp.Diff(wantKeys, keys(raw)); d != "" {
		t.Errorf("artifact keys (-want +got):\n%s", d)
	}
	img := decode[artifactJSON](t, w)
	if img.Type != "IMAGE" || img.MediaType != "application/vnd.oci.image.config.v1+json" ||
		img.ManifestMediaType != "application/vnd.oci.image.manifest.v1+json" || img.RepositoryName != "team/app" ||
		img.ProjectID != e.team.ID || img.Annotations["seed"] != "v1" || img.ExtraAttrs["architecture"] != "amd64" ||
		img.ExtraAttrs["author"] != "berth" || img.ExtraAttrs["config"] == nil || img.Size <= int64(len("layer v1")) {
		t.Errorf("image = %+v", img)
	}
	if d := cmp.Diff([]string{"stable", "v1"}, tagsOf(img)); d != "" {
		t.Errorf("tags (-want +got):\n%s", d)
	}
	if href := img.AdditionLinks["build_history"].Href; href != Prefix+appArtifacts+"/"+v1+"/additions/build_history" {
		t.Errorf("build_history link = %q", href)
	}
	if got := decode[artifactJSON](t, e.do(t, "guest", "GET", appArtifacts+"/v1?with_tag=false", "")); len(got.Tags) != 0 {
		t.Errorf("with_tag=false: tags %v", got.Tags)
	}

	// An index: references with platforms and child ids.
	idx := decode[artifactJSON](t, e.do(t, "guest", "GET", appArtifacts+"/latest", ""))
	if idx.Type != "IMAGE" || idx.MediaType != "application/vnd.oci.image.index.v1+json" || len(idx.References) != 2 {
		t.Fatalf("index = %+v", idx)
	}
	r0, r1 := idx.References[0], idx.References[1]
	if r0.ChildDigest != e.images["team/app:amd64"] || r0.Platform.Architecture != "amd64" || r0.ChildID == 0 ||
		r1.Platform.Variant != "v8" || r0.ParentID != idx.ID {
		t.Errorf("references = %+v %+v", r0, r1)
	}
	if len(idx.AdditionLinks) != 0 {
		t.Errorf("index addition links = %v", idx.AdditionLinks)
	}

	// Build history, as docker history shows it.
	hist := decode[[]historyJSON](t, e.do(t, "guest", "GET", appArtifacts+"/v1/additions/build_history", ""))
	if len(hist) != 2 || hist[0].CreatedBy != "ADD v1 /" || hist[0].Created == nil || !hist[1].EmptyLayer {
		t.Errorf("history = %+v", hist)
	}

	// Tags of one artifact.
	w = e.do(t, "guest", "GET", appArtifacts+"/v1/tags?q=name%3D~ab&page_size=5", "")
	want(t, w, http.StatusOK)
	if d := cmp.Diff([]string{"stable"}, names(t, w.Body.Bytes(), "name")); d != "" || w.Header().Get("X-Total-Count") != "1" {
		t.Errorf("tags (-want +got):\n%s", d)
	}
}

func TestArtifactsWrite(t *testing.T) {
	t.Parallel()
	runFresh(t, []statusCase{
		{"dev", "POST", appArtifacts + "/v1/tags", `{"name":"v2"}`, http.StatusForbidden},
		{"robot", "POST", appArtifacts + "/v1/tags", `{"name":"v2"}`, http.StatusNotFound},
		{"maintainer", "POST", appArtifacts + "/v1/tags", `{"name":"bad tag"}`, http.StatusBadRequest},
		{"maintainer", "POST", appArtifacts + "/v1/tags", `{"name":`, http.StatusBadRequest},
		{"maintainer", "POST", appArtifacts + "/v1/tags", `{"name":"latest"}`, http.StatusConflict},
		{"maintainer", "POST", appArtifacts + "/nope/tags", `{"name":"v2"}`, http.StatusNotFound},
		{"maintainer", "POST", appArtifacts + "/v1/tags", `{"name":"v2"}`, http.StatusCreated},
		{"dev", "DELETE", appArtifacts + "/v1/tags/stable", "", http.StatusForbidden},
		{"maintainer", "DELETE", appArtifacts + "/v1/tags/latest", "", http.StatusNotFound},
		{"maintainer", "DELETE", appArtifacts + "/v1/tags/stable", "", http.StatusOK},
		{"dev", "DELETE", appArtifacts + "/v1", "", http.StatusForbidden},
		{"anonymous", "DELETE", appArtifacts + "/v1", "", http.StatusUnauthorized},
		{"maintainer", "DELETE", appArtifacts + "/nope", "", http.StatusNotFound},
		{"maintainer", "DELETE", appArtifacts + "/v1", "", http.StatusOK},
	})

	t.Run("tag lifecycle", func(t *testing.T) {
		t.Parallel()
		e := newContentEnv(t, Options{})
		w := e.do(t, "maintainer", "POST", appArtifacts+"/v1/tags", `{"name":"v2"}`)
		want(t, w, http.StatusCreated)
		if loc := w.Header().Get("Location"); loc != Prefix+appArtifacts+"/v1/tags/v2" {
			t.Errorf("Location = %q", loc)
		}
		got := decode[artifactJSON](t, e.do(t, "guest", "GET", appArtifacts+"/v2", ""))
		if got.Digest != e.images["team/app:v1"] {
			t.Errorf("v2 -> %s", got.Digest)
		}
		want(t, e.do(t, "maintainer", "DELETE", appArtifacts+"/v1/tags/v2", ""), http.StatusOK)
		want(t, e.do(t, "guest", "GET", appArtifacts+"/v2", ""), http.StatusNotFound)
		want(t, e.do(t, "maintainer", "DELETE", appArtifacts+"/v1", ""), http.StatusOK)
		want(t, e.do(t, "guest", "GET", appArtifacts+"/"+e.images["team/app:v1"].String(), ""), http.StatusNotFound)
		want(t, e.do(t, "guest", "GET", appArtifacts+"/stable", ""), http.StatusNotFound)
		trail := e.auditTrail(t, meta.AuditFilter{Project: "team"}, func(ev meta.AuditEvent) string {
			return ev.Username + " " + ev.Operation + " " + ev.ResourceType + " " + ev.Resource + " " + ev.Detail["tags"]
		})
		v1 := e.images["team/app:v1"].String()
		wantTrail := []string{
			"maintainer delete artifact team/app@" + v1 + " stable,v1",
			"maintainer delete tag team/app:v2 ",
			"maintainer tag tag team/app:v2 ",
		}
		if d := cmp.Diff(wantTrail, trail); d != "" {
			t.Errorf("audit (-want +got):\n%s", d)
		}
	})
}
