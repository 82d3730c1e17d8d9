package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hookboard/hookboard/internal/config"
	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/secretbox"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/web"
)

// openStore loads keys (generating the key file on first start) and opens
// the migrated store.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.Store, error) {
	created, err := cfg.EnsureKeys()
	if err != nil {
		return nil, err
	}
	if created {
		log.Info("generated session and encryption keys; keep this file with the database", "file", cfg.KeyFile)
	}
	box, err := secretbox.New(cfg.EncryptionKey)
	if err != nil {
		return nil, fmt.Errorf("HOOKBOARD_ENCRYPTION_KEY: %w", err)
	}
	return store.Open(ctx, cfg.DatabaseURL, store.Options{Box: box})
}

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stdout, nil))
	st, err := openStore(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := bootstrap(ctx, st, cfg, stdout); err != nil {
		return err
	}

	srv := web.New(web.Options{
		Store: st, Logger: log, SessionKey: cfg.SessionKey, SessionLifetime: cfg.SessionLifetime,
		SecureCookies: cfg.SecureCookies,
		Targets:       hook.TargetPolicy{AllowHTTP: cfg.AllowHTTPTargets, AllowPrivate: cfg.AllowPrivateTargets},
	})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("HOOKBOARD_ADDR: %w", err)
	}
	httpSrv := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	bg, cancelBG := context.WithCancel(context.Background())
	defer cancelBG()
	go srv.CleanupLoop(bg, time.Hour)

	log.Info("hookboard listening", "addr", ln.Addr().String(), "database", st.Dialect(),
		"allow_private_targets", cfg.AllowPrivateTargets, "allow_http_targets", cfg.AllowHTTPTargets)
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := httpSrv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// bootstrap creates the first admin and app on an empty database.
func bootstrap(ctx context.Context, st *store.Store, cfg config.Config, stdout io.Writer) error {
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	password, generated := cfg.AdminPassword, false
	if password == "" {
		password, generated = rand.Text(), true
	}
	res, err := st.AddUser(ctx, cfg.AdminEmail, password, "Default", hook.RoleAdmin)
	if err != nil {
		return fmt.Errorf("create the first admin (HOOKBOARD_ADMIN_EMAIL / HOOKBOARD_ADMIN_PASSWORD): %w", err)
	}
	fmt.Fprintf(stdout, "\nFirst start: created app %q and admin user %s.\n", res.App.Name, res.User.Email)
	if generated {
		// Printed once, on purpose: the operator needs it to sign in.
		fmt.Fprintf(stdout, "Generated password (shown only now; sign in and keep it safe): %s\n\n", password)
	} else {
		fmt.Fprintf(stdout, "Password: the one in HOOKBOARD_ADMIN_PASSWORD.\n\n")
	}
	return nil
}
