package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/berth-oci/berth/internal/client"
)

const infoSynopsis = `berth info

Shows the server's version, registry address, settings and health
(GET /api/v2.0/systeminfo and /health). Anonymous callers see only the
authentication mode and the health. The exit code is 1 when the server
reports itself unhealthy.`

// serverInfo is what berth info shows.
type serverInfo struct {
	Server     string            `json:"server"`
	SystemInfo client.SystemInfo `json:"systeminfo"`
	Health     client.Health     `json:"health"`
}

// Info is "berth info": a summary of the server.
func Info(ctx context.Context, e *Env, args []string) int {
	c := e.newCmd("info", infoSynopsis, true)
	api, _, code, ok := c.connect(args, 0, 0)
	if !ok {
		return code
	}
	v := serverInfo{Server: api.Server()}
	var err error
	if v.SystemInfo, err = api.SystemInfo(ctx); err != nil {
		return c.fail(err)
	}
	if v.Health, err = api.Health(ctx); err != nil {
		return c.fail(err)
	}
	if c.output == "json" {
		code = c.show(v, nil)
	} else {
		code = c.done(writeInfo(c, v))
	}
	if code == exitOK && v.Health.Status != "healthy" {
		return c.fail(fmt.Errorf("the server reports itself %s", orUnknown(v.Health.Status)))
	}
	return code
}

// writeInfo writes the summary of berth info: one "Key: value" line per
// field the server reported.
func writeInfo(c *cmd, v serverInfo) error {
	w := tabwriter.NewWriter(c.Stdout, 0, 4, 1, ' ', 0)
	line := func(k, val string) {
		if val != "" {
			fmt.Fprintf(w, "%s:\t%s\n", k, val)
		}
	}
	si := v.SystemInfo
	line("Server", v.Server)
	line("Version", si.HarborVersion)
	line("Registry", si.RegistryURL)
	line("Auth mode", si.AuthMode)
	line("Self-registration", yesNo(si.SelfRegistration))
	line("Project creation", creationRestriction(si.ProjectCreationRestriction))
	if si.ReadOnly != nil {
		line("Read-only", yesNo(*si.ReadOnly))
	}
	line("Storage", si.RegistryStorageProviderName)
	line("Banner", si.BannerMessage)
	line("Health", healthSummary(v.Health))
	if si.HarborVersion == "" {
		fmt.Fprintln(w, "(log in to see the version and settings)")
	}
	return w.Flush()
}

// healthSummary is "healthy (core, database, registry)", or the unhealthy
// components with their errors first: "unhealthy: database unhealthy
// (database unreachable); core, registry healthy".
func healthSummary(h client.Health) string {
	var good, bad []string
	for _, comp := range h.Components {
		switch {
		case comp.Status == "healthy":
			good = append(good, comp.Name)
		case comp.Error != "":
			bad = append(bad, fmt.Sprintf("%s %s (%s)", comp.Name, orUnknown(comp.Status), comp.Error))
		default:
			bad = append(bad, comp.Name+" "+orUnknown(comp.Status))
		}
	}
	s := orUnknown(h.Status)
	if len(bad) > 0 {
		s += ": " + strings.Join(bad, "; ")
		if len(good) > 0 {
			s += "; " + strings.Join(good, ", ") + " healthy"
		}
		return s
	}
	if len(good) > 0 {
		s += " (" + strings.Join(good, ", ") + ")"
	}
	return s
}

// creationRestriction explains Harbor's project_creation_restriction.
func creationRestriction(r string) string {
	switch r {
	case "adminonly":
		return "system admins only"
	case "everyone":
		return "every user"
	}
	return r
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
