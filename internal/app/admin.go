package app

import (
	"context"
	"fmt"

	"github.com/berth-oci/berth/internal/cli"
	"github.com/berth-oci/berth/internal/config"
	"github.com/berth-oci/berth/internal/meta/sqlstore"
)

// openAdminStore opens the metadata store for "berth admin" from the
// configuration serve would use: defaults, YAML file, BERTH_* variables,
// then --data. It lives here because only the composition root knows the
// configuration and the concrete store.
func openAdminStore(ctx context.Context, f cli.StoreFlags, getenv func(string) string) (cli.AdminStore, error) {
	cfg, err := config.Load(f.Config, getenv)
	if err != nil {
		return nil, err
	}
	if f.Data != "" {
		cfg = cfg.WithDataDir(f.Data)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return sqlstore.Open(ctx, cfg.Database.Driver, cfg.Database.DSN, nil)
}
