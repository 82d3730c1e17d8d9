package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/hookboard/hookboard/internal/config"
	"github.com/hookboard/hookboard/internal/demo"
	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/metrics"
	"github.com/hookboard/hookboard/internal/secretbox"
	"github.com/hookboard/hookboard/internal/sender"
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
	config.TuneGC(getenv)
	log := slog.New(slog.NewTextHandler(stdout, nil))
	st, err := openStore(ctx, &cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := bootstrap(ctx, st, cfg, stdout); err != nil {
		return err
	}

	// Background work runs until shutdown, after the HTTP server stops.
	bg, cancelBG := context.WithCancel(context.Background())
	defer cancelBG()
	targets := hook.TargetPolicy{AllowHTTP: cfg.AllowHTTPTargets, AllowPrivate: cfg.AllowPrivateTargets}
	if cfg.Demo {
		// The demo's receiver listens on loopback over plain HTTP.
		targets = hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}
		log.Warn("demo mode: delivering to loopback and plain http:// is allowed; do not use -demo in production")
	}
	// The demo's receiver outlives the sender, so requests in flight at
	// shutdown get their answers; its webhooks are re-pointed at the new
	// receiver before the sender starts.
	demoCtx, cancelDemo := context.WithCancel(context.Background())
	defer cancelDemo()
	var demoApp hook.App
	if cfg.Demo {
		if demoApp, err = startDemo(demoCtx, st, cfg, log); err != nil {
			return err
		}
	}
	mx := metrics.New(st.DueCount)
	snd := sender.New(sender.Options{
		Store: st, Logger: log, Workers: cfg.Workers, Timeout: cfg.DeliveryTimeout, AllowPrivate: targets.AllowPrivate, Metrics: mx,
	})
	// This process's new deliveries go straight to its sender.
	ingester := sender.NewIngester(st, snd)
	defer ingester.Close()
	if cfg.Demo {
		go demo.Stream(bg, ingester, demoApp.ID, 2*time.Second, log)
	}
	// The sender owns its leases while this process lives, and takes over
	// those of processes that died (on SQLite: all of them, and no other
	// process may serve the same file).
	releaseLeases, err := snd.Hold(ctx)
	if err != nil {
		return err
	}
	defer releaseLeases()
	senderDone := make(chan struct{})
	go func() { defer close(senderDone); snd.Run(bg) }()
	go st.Listen(bg, snd.Wake, func(err error) { log.Warn("listen for new deliveries", "err", err) })
	go retentionLoop(bg, st, cfg.Retention, log)

	srv := web.New(web.Options{
		Store: st, Sender: snd, Ingester: ingester, Metrics: mx, Logger: log, SessionKey: cfg.SessionKey, SessionLifetime: cfg.SessionLifetime,
		SecureCookies: cfg.SecureCookies, Targets: targets, TrustedProxies: cfg.TrustedProxies,
	})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("HOOKBOARD_ADDR: %w", err)
	}
	httpSrv := newHTTPServer(cfg.HTTP, srv, log)
	go srv.CleanupLoop(bg, time.Hour)

	log.Info("hookboard listening", "addr", ln.Addr().String(), "database", st.Dialect(),
		"allow_private_targets", targets.AllowPrivate, "allow_http_targets", targets.AllowHTTP)
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	forced, err := shutdownHTTP(httpSrv, cfg.HTTP.Shutdown)
	if err != nil {
		return err
	}
	if forced {
		log.Warn("requests still open after the shutdown timeout; their connections were closed", "shutdown_timeout", cfg.HTTP.Shutdown)
	}
	// Stop claiming; requests in flight finish (each within the delivery
	// timeout) and are recorded. What is still leased after a crash is
	// taken over by the next process to start (SQLite) or by the others
	// within seconds (PostgreSQL); failing that, once the lease runs out.
	cancelBG()
	select {
	case <-senderDone:
	case <-time.After(cfg.DeliveryTimeout + 10*time.Second):
		log.Warn("sender did not stop in time; unfinished deliveries will be retried after their lease")
	}
	cancelDemo()
	log.Info("stopped")
	return nil
}

// retentionLoop deletes history older than the retention period every ten
// minutes, in batches so no transaction grows large.
func retentionLoop(ctx context.Context, st *store.Store, retention time.Duration, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		total := 0
		for ctx.Err() == nil {
			n, err := st.DeleteOlderThan(ctx, time.Now().Add(-retention), 1000)
			if err != nil {
				if ctx.Err() == nil {
					log.Error("retention", "err", err)
				}
				break
			}
			total += n
			if n < 1000 {
				break
			}
			time.Sleep(100 * time.Millisecond) // let other writers in
		}
		if total > 0 {
			log.Info("retention: deleted old events with their deliveries and attempts", "events", total)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func startDemo(ctx context.Context, st *store.Store, cfg config.Config, log *slog.Logger) (hook.App, error) {
	base, err := demo.Receiver(ctx)
	if err != nil {
		return hook.App{}, fmt.Errorf("demo receiver: %w", err)
	}
	app, err := demo.Setup(ctx, st, cfg.AdminEmail, base)
	if err != nil {
		return hook.App{}, err
	}
	log.Info("demo app ready; events flow every 2s", "app", app.Name, "receiver", base)
	return app, nil
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
