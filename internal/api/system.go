package api

import (
	"context"
	"net/http"
	"time"

	"github.com/berth-oci/berth/internal/access"
)

func (a *API) systemRoutes() {
	a.handle("GET /systeminfo", "systeminfo", a.systemInfo)
	a.handle("GET /health", "health", a.health)
	a.handle("GET /ping", "ping", a.ping)
}

// systemInfoJSON is Harbor's GeneralInfo. Anonymous callers get only the
// fields a login page needs (the pointers left nil), as in Harbor.
type systemInfoJSON struct {
	AuthMode                    string  `json:"auth_mode"`
	PrimaryAuthMode             bool    `json:"primary_auth_mode"`
	SelfRegistration            bool    `json:"self_registration"`
	BannerMessage               string  `json:"banner_message"`
	HarborVersion               *string `json:"harbor_version,omitempty"`
	RegistryURL                 *string `json:"registry_url,omitempty"`
	ExternalURL                 *string `json:"external_url,omitempty"`
	ProjectCreationRestriction  *string `json:"project_creation_restriction,omitempty"`
	HasCARoot                   *bool   `json:"has_ca_root,omitempty"`
	ReadOnly                    *bool   `json:"read_only,omitempty"`
	WithNotary                  *bool   `json:"with_notary,omitempty"`
	WithChartmuseum             *bool   `json:"with_chartmuseum,omitempty"`
	NotificationEnable          *bool   `json:"notification_enable,omitempty"`
	RegistryStorageProviderName *string `json:"registry_storage_provider_name,omitempty"`
}

// systemInfo is GET /systeminfo: open to everyone, detailed for
// authenticated callers.
func (a *API) systemInfo(w http.ResponseWriter, r *http.Request) error {
	mode := a.opt.AuthMode
	if mode == "" {
		mode = "db_auth"
	}
	out := systemInfoJSON{AuthMode: mode, SelfRegistration: a.opt.SelfRegistration}
	if !caller(r).Anonymous() {
		host := a.opt.RegistryURL
		if host == "" {
			host = r.Host
		}
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		external := scheme + "://" + host
		version := a.opt.Version
		restriction := "adminonly"
		// Whether an ordinary user may create projects is the evaluator's
		// decision; ask it about one.
		someone := access.Principal{Kind: access.KindUser, Name: "someone"}
		if a.eval.Allowed(someone, access.ActionProjectCreate, access.Resource{}, a.now()) {
			restriction = "everyone"
		}
		no, yes := false, true
		storage := "filesystem"
		out.HarborVersion, out.RegistryURL, out.ExternalURL = &version, &host, &external
		out.ProjectCreationRestriction = &restriction
		out.HasCARoot, out.ReadOnly, out.WithNotary, out.WithChartmuseum = &no, &no, &no, &no
		out.NotificationEnable = &yes
		out.RegistryStorageProviderName = &storage
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type componentJSON struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

type healthJSON struct {
	Status     string          `json:"status"`
	Components []componentJSON `json:"components"`
}

// health is GET /health, Harbor's overall health: the API itself, the
// database (Ping, bounded to 5 seconds) and the registry, which runs in
// this process. Like Harbor it answers 200 and reports "unhealthy" in the
// body; /readyz is the probe for load balancers.
func (a *API) health(w http.ResponseWriter, r *http.Request) error {
	out := healthJSON{Status: "healthy", Components: []componentJSON{
		{Name: "core", Status: "healthy"},
		{Name: "database", Status: "healthy"},
		{Name: "registry", Status: "healthy"},
	}}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if err := a.store.Ping(ctx); err != nil {
		a.log.WarnContext(r.Context(), "health: database", "err", err)
		out.Status = "unhealthy"
		out.Components[1] = componentJSON{Name: "database", Status: "unhealthy", Error: "database unreachable"}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// ping is GET /ping: "Pong".
func (a *API) ping(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("Pong"))
	return err
}
