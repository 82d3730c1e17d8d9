package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"

	"github.com/hookboard/hookboard/internal/assembly"
	"github.com/hookboard/hookboard/internal/config"
	"github.com/hookboard/hookboard/internal/demo"
	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(args, getenv, stderr)
	if err != nil {
		return err
	}
	config.TuneGC(getenv)
	p, err := assembly.Open(ctx, cfg, assembly.WithLogger(slog.New(slog.NewTextHandler(stdout, nil))))
	if err != nil {
		return err
	}
	defer p.Close()
	if err := bootstrap(ctx, p.Store(), cfg, stdout); err != nil {
		return err
	}
	return p.Run(ctx)
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
	appName := "Default"
	if cfg.Demo {
		appName = demo.AppName
	}
	res, err := st.AddUser(ctx, cfg.AdminEmail, password, appName, hook.RoleAdmin)
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
