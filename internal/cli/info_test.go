package cli

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-oci/berth/internal/client"
)

func TestHealthSummary(t *testing.T) {
	t.Parallel()
	ok := func(name string) client.HealthComponent { return client.HealthComponent{Name: name, Status: "healthy"} }
	tests := []struct {
		name string
		h    client.Health
		want string
	}{
		{"healthy", client.Health{Status: "healthy", Components: []client.HealthComponent{ok("core"), ok("database"), ok("registry")}},
			"healthy (core, database, registry)"},
		{"no components", client.Health{Status: "healthy"}, "healthy"},
		{"one down", client.Health{Status: "unhealthy", Components: []client.HealthComponent{
			ok("core"), {Name: "database", Status: "unhealthy", Error: "database unreachable"}, ok("registry")}},
			"unhealthy: database unhealthy (database unreachable); core, registry healthy"},
		{"all down, no error text", client.Health{Status: "unhealthy", Components: []client.HealthComponent{{Name: "core"}}},
			"unhealthy: core unknown"},
		{"empty", client.Health{}, "unknown"},
	}
	for _, tt := range tests {
		if got := healthSummary(tt.h); got != tt.want {
			t.Errorf("%s: healthSummary = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestWriteInfo(t *testing.T) {
	t.Parallel()
	no := false
	healthy := client.Health{Status: "healthy", Components: []client.HealthComponent{{Name: "core", Status: "healthy"}}}
	tests := []struct {
		name string
		v    serverInfo
		want string
	}{
		{"logged in", serverInfo{Server: "https://reg.example.com", Health: healthy, SystemInfo: client.SystemInfo{
			AuthMode: "db_auth", HarborVersion: "v0.9.0", RegistryURL: "reg.example.com", ProjectCreationRestriction: "adminonly",
			ReadOnly: &no, RegistryStorageProviderName: "filesystem"}},
			"Server:            https://reg.example.com\n" +
				"Version:           v0.9.0\n" +
				"Registry:          reg.example.com\n" +
				"Auth mode:         db_auth\n" +
				"Self-registration: no\n" +
				"Project creation:  system admins only\n" +
				"Read-only:         no\n" +
				"Storage:           filesystem\n" +
				"Health:            healthy (core)\n"},
		{"anonymous", serverInfo{Server: "http://127.0.0.1:5000", Health: healthy, SystemInfo: client.SystemInfo{AuthMode: "oidc_auth", BannerMessage: "maintenance at 6"}},
			"Server:            http://127.0.0.1:5000\n" +
				"Auth mode:         oidc_auth\n" +
				"Self-registration: no\n" +
				"Banner:            maintenance at 6\n" +
				"Health:            healthy (core)\n" +
				"(log in to see the version and settings)\n"},
	}
	for _, tt := range tests {
		e, stdout, _ := testEnv("", nil)
		c := e.newCmd("info", "x", true)
		if err := writeInfo(c, tt.v); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, stdout.String()); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
