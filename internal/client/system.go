package client

import (
	"context"
	"net/http"
)

// SystemInfo is the server's general information (Harbor's GeneralInfo).
// Anonymous callers get only AuthMode, SelfRegistration and
// BannerMessage; the rest stays empty.
type SystemInfo struct {
	AuthMode                    string `json:"auth_mode"`
	SelfRegistration            bool   `json:"self_registration"`
	BannerMessage               string `json:"banner_message,omitempty"`
	HarborVersion               string `json:"harbor_version,omitempty"` // Berth's version
	RegistryURL                 string `json:"registry_url,omitempty"`
	ExternalURL                 string `json:"external_url,omitempty"`
	ProjectCreationRestriction  string `json:"project_creation_restriction,omitempty"` // "adminonly" or "everyone"
	ReadOnly                    *bool  `json:"read_only,omitempty"`
	RegistryStorageProviderName string `json:"registry_storage_provider_name,omitempty"`
}

// Health is the server's overall health and that of its components.
type Health struct {
	Status     string            `json:"status"` // "healthy" or "unhealthy"
	Components []HealthComponent `json:"components"`
}

// HealthComponent is the health of one part of the server.
type HealthComponent struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// SystemInfo returns the server's general information.
func (c *Client) SystemInfo(ctx context.Context) (SystemInfo, error) {
	var out SystemInfo
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/systeminfo"}, &out)
	return out, err
}

// Health returns the server's health. An unhealthy server answers it too:
// the error is only for a failed call.
func (c *Client) Health(ctx context.Context) (Health, error) {
	var out Health
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/health"}, &out)
	return out, err
}
