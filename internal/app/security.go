package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/berth-oci/berth/internal/access"
	"github.com/berth-oci/berth/internal/auth"
	"github.com/berth-oci/berth/internal/auth/password"
	"github.com/berth-oci/berth/internal/auth/token"
	"github.com/berth-oci/berth/internal/config"
	"github.com/berth-oci/berth/internal/distribution"
	"github.com/berth-oci/berth/internal/meta"
	"github.com/berth-oci/berth/internal/project"
)

// AdminUser is the system administrator created on first start.
const AdminUser = "admin"

// security is the authentication and authorization wiring.
type security struct {
	eval     *access.Evaluator
	authn    *auth.Authenticator
	tokens   *auth.TokenServer
	guard    *distribution.Guard
	projects *project.Cache
	htpasswd *password.Htpasswd
	keys     *token.KeySet
}

func newSecurity(cfg config.Config, store meta.Store, log *slog.Logger) (*security, error) {
	a := cfg.Auth
	sec := &security{
		eval: access.New(access.Options{
			DenyAnonymous:       !a.AnonymousPull,
			UsersCreateProjects: a.ProjectCreation == "everyone",
		}),
		projects: project.NewCache(store, 0),
	}
	keys, err := token.LoadOrCreate(a.Token.KeysDir)
	if err != nil {
		return nil, fmt.Errorf("token signing keys: %w", err)
	}
	sec.keys = keys
	issuer, err := token.NewIssuer(keys, token.IssuerOptions{Issuer: a.Token.Issuer, Service: a.Token.Service, TTL: a.Token.TTL})
	if err != nil {
		return nil, err
	}
	verifier, err := token.NewVerifier(keys, token.VerifierOptions{Issuer: a.Token.Issuer, Service: a.Token.Service})
	if err != nil {
		return nil, err
	}
	if a.Htpasswd != "" {
		if sec.htpasswd, err = password.OpenHtpasswd(a.Htpasswd); err != nil {
			return nil, fmt.Errorf("auth.htpasswd: %w", err)
		}
		for _, e := range sec.htpasswd.Skipped() {
			log.Warn("htpasswd: skipped line", "file", a.Htpasswd, "err", e)
		}
	}
	// The web UI's session key sits beside the token keys, which replicas
	// already share; the key loader ignores the file.
	sessions, err := auth.LoadOrCreateSessionKey(filepath.Join(a.Token.KeysDir, "session.hmac"), 0)
	if err != nil {
		return nil, err
	}
	sec.authn = auth.New(store, log.With("component", "auth"), auth.Options{
		Disabled: a.Disabled,
		Htpasswd: sec.htpasswd,
		Verifier: verifier,
		Sessions: sessions,
	})
	sec.tokens = auth.NewTokenServer(sec.authn, sec.eval, issuer, verifier, sec.projects, a.Token.Service, log.With("component", "token"))
	sec.guard = distribution.NewGuard(sec.eval, sec.projects, sec.authn, log.With("component", "guard"), distribution.GuardOptions{
		Challenge:          a.Challenge,
		Realm:              a.Token.Realm,
		Service:            a.Token.Service,
		AutoCreateProjects: a.AutoCreateProjects,
	})
	if a.Disabled {
		log.Warn("authentication is DISABLED (auth.disabled): every client may read, write and delete everything")
	}
	return sec, nil
}

// bootstrap creates what a fresh installation needs: the public "library"
// project and the "admin" system administrator. Both are idempotent and
// safe when several replicas start at once.
func bootstrap(ctx context.Context, cfg config.Config, store meta.Store, log *slog.Logger) error {
	if _, created, err := store.EnsureProject(ctx, meta.LibraryProject, true); err != nil {
		return fmt.Errorf("create project %s: %w", meta.LibraryProject, err)
	} else if created {
		log.Info("created public project", "project", meta.LibraryProject)
	}
	if _, err := store.GetUserByName(ctx, AdminUser); err == nil {
		return nil
	} else if !errors.Is(err, meta.ErrNotFound) {
		return fmt.Errorf("look up %s: %w", AdminUser, err)
	}
	secret, generated := cfg.Auth.AdminPassword, false
	if secret == "" {
		secret, generated = password.GenerateSecret()[:24], true
	}
	hash, err := password.Hash(secret)
	if err != nil {
		return err
	}
	_, err = store.CreateUser(ctx, meta.User{
		Username: AdminUser, PasswordHash: hash, Sysadmin: true, Source: meta.SourceLocal,
		Realname: "Berth administrator", Comment: "created on first start",
	})
	switch {
	case errors.Is(err, meta.ErrConflict):
		return nil // another replica won the race
	case err != nil:
		return fmt.Errorf("create %s: %w", AdminUser, err)
	}
	if generated {
		log.Warn("created system administrator with a generated password; it is shown only this once: log in and change it, or set BERTH_ADMIN_PASSWORD before the first start",
			"username", AdminUser, "password", secret)
	} else {
		log.Info("created system administrator", "username", AdminUser)
	}
	return nil
}

// reloadKeys re-reads the token keys every minute, so that a key rotated
// with "berth token-key rotate" (here or on another replica sharing the
// directory) is used without a restart.
func (s *Server) reloadKeys() {
	defer s.wg.Done()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		if err := s.sec.keys.Reload(); err != nil {
			s.log.Error("reload token keys", "err", err)
		}
	}
}

// pruneAudit deletes audit events older than the retention, hourly.
func (s *Server) pruneAudit() {
	defer s.wg.Done()
	keep := s.cfg.Auth.AuditRetention
	if keep <= 0 {
		return
	}
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := s.meta.PruneAudit(s.ctx, time.Now().Add(-keep))
		switch {
		case err != nil && s.ctx.Err() == nil:
			s.log.Error("prune audit log", "err", err)
		case n > 0:
			s.log.Info("pruned audit log", "events", n, "older_than", keep)
		}
		if s.sec.htpasswd != nil {
			if _, err := s.sec.htpasswd.Reload(); err != nil {
				s.log.Error("reload htpasswd", "err", err)
			}
		}
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
	}
}
