// Package assembly puts Hookboard together, once: the store, the sender
// with its ingestion, the web server, metrics and every background loop.
// hookboard serve, hookbench, screenshots, the end-to-end tests and the
// web test harness all build the program here, so what they run and
// measure is what users run.
//
//	p, err := assembly.Open(ctx, cfg)  // build; listen on cfg.Addr
//	defer p.Close()                    // close the store
//	err = p.Run(ctx)                   // start in order; on cancel stop in reverse
package assembly

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookboard/hookboard/internal/config"
	"github.com/hookboard/hookboard/internal/demo"
	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/logbuf"
	"github.com/hookboard/hookboard/internal/metrics"
	"github.com/hookboard/hookboard/internal/secretbox"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/web"
)

// Program is Hookboard assembled: built by Open, started by Run.
type Program struct {
	cfg      config.Config
	log      *slog.Logger
	logOut   *logbuf.Writer // WithLogOutput: flushed by the "log" part and at Close
	store    *store.Store
	ownStore bool // opened by Open, so closed by Close
	targets  hook.TargetPolicy
	handler  http.Handler
	delivery delivery
	ln       net.Listener
	ingester *sender.Ingester
	// quiet is the demo's log handler (cfg.Demo): the demo's attempts
	// become a summary line a minute.
	quiet *demo.QuietLog

	ran       atomic.Bool
	closeOnce sync.Once
}

// Option adjusts what Open builds, for tests and tools.
type Option func(*options)

type options struct {
	logger   *slog.Logger
	logOut   *logbuf.Writer
	now      func() time.Time
	store    *store.Store
	targets  *hook.TargetPolicy
	sender   *sender.Sender
	noListen bool
}

// WithLogger sets where the program logs; by default it logs nothing.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithLogOutput makes the program log as hookboard serve does: text lines
// at Info to w, which gathers them (package logbuf). Run flushes w every
// logbuf.FlushEvery, a warning or an error flushes it at once, and Close
// flushes what is left; write anything else meant for the same output
// through w too, so it stays in order with the log.
func WithLogOutput(w *logbuf.Writer) Option { return func(o *options) { o.logOut = w } }

// WithClock sets the clock of the store (when Open opens it), the sender
// and sign-in throttling.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithStore uses an already open store instead of opening cfg.DatabaseURL
// (cfg.SessionKey must then be set); Close leaves it open.
func WithStore(st *store.Store) Option { return func(o *options) { o.store = st } }

// WithTargets replaces the webhook target policy the configuration gives.
func WithTargets(t hook.TargetPolicy) Option { return func(o *options) { o.targets = &t } }

// WithSender uses snd instead of building a sender from cfg: for tests that
// drive deliveries by hand and never call Run.
func WithSender(snd *sender.Sender) Option { return func(o *options) { o.sender = snd } }

// WithoutListener skips listening on cfg.Addr: for tests that serve
// Handler themselves (httptest) and never call Run.
func WithoutListener() Option { return func(o *options) { o.noListen = true } }

// Open builds the program: it opens and migrates the store (generating the
// key file on first start), builds the sender, ingestion, metrics and web
// server, and listens on cfg.Addr. Nothing runs until Run.
func Open(ctx context.Context, cfg config.Config, opts ...Option) (*Program, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	p := &Program{cfg: cfg, log: o.logger, store: o.store}
	if p.log == nil && o.logOut != nil {
		p.log, p.logOut = slog.New(logbuf.Handler(slog.NewTextHandler(o.logOut, nil), o.logOut)), o.logOut
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Demo {
		p.quiet = demo.NewQuietLog(p.log.Handler())
		p.log = slog.New(p.quiet)
	}
	p.targets = targetPolicy(cfg, p.log)
	warnFraming(cfg, p.log)
	if o.targets != nil {
		p.targets = *o.targets
	}
	if p.store == nil {
		st, err := openStore(ctx, &p.cfg, p.log, o.now)
		if err != nil {
			return nil, err
		}
		p.store, p.ownStore = st, true
	}
	openDelivery(p, &o)
	if !o.noListen {
		ln, err := net.Listen("tcp", p.cfg.Addr)
		if err != nil {
			p.Close()
			return nil, fmt.Errorf("HOOKBOARD_ADDR: %w", err)
		}
		p.ln = ln
	}
	return p, nil
}

// delivery is the sending side as Run drives it: built by openDelivery,
// the one place that knows the sender's and ingestion's constructors.
type delivery struct {
	// start makes this process the owner of its leases (taking over those
	// of processes that died), hands its new deliveries to its sender, and
	// starts the notify listener and the sender. stop stops claiming, waits
	// for requests in flight (bounded), stops listening and gives up the
	// leases.
	start func(ctx context.Context) (stop func() error, err error)
}

// openDelivery builds metrics, the sender (with the ingestion that feeds
// it) and the web server on p.store: all the wiring between them.
func openDelivery(p *Program, o *options) {
	mx := metrics.New(p.store.DueCount)
	snd := o.sender
	if snd == nil {
		snd = sender.New(sender.Options{
			Store: p.store, Logger: p.log, Workers: p.cfg.Workers, Timeout: p.cfg.DeliveryTimeout,
			AllowPrivate: p.targets.AllowPrivate, Metrics: mx, Now: o.now, RetrySchedule: p.cfg.RetrySchedule,
		})
	}
	// New events are batched into the database and their deliveries handed
	// straight to this process's sender (stored due while it is not running).
	p.ingester = sender.NewIngester(p.store, snd)
	recovery := sender.NewRecoveryRunner(p.store, snd, sender.RecoveryOptions{})
	p.handler = web.New(web.Options{
		Store: p.store, Deliverer: sender.NewService(p.store, snd), Ingester: p.ingester, Metrics: mx, Logger: p.log, SessionKey: p.cfg.SessionKey, SessionLifetime: p.cfg.SessionLifetime,
		SecureCookies: p.cfg.SecureCookies, Targets: p.targets, TrustedProxies: p.cfg.TrustedProxies, Now: o.now,
		LandingApp: landingApp(p.cfg), PublicURL: p.cfg.PublicURL, FrameAncestors: p.cfg.FrameAncestors,
		RecoveryRate: p.cfg.RecoveryRate, Retention: p.cfg.Retention,
	})
	p.delivery.start = func(ctx context.Context) (func() error, error) {
		// The sender owns its leases while this process lives, and takes
		// over those of processes that died (on SQLite: all of them, and no
		// other process may serve the same file).
		release, err := snd.Hold(ctx)
		if err != nil {
			return nil, err
		}
		stopListen := goLoop(ctx, func(ctx context.Context) {
			p.store.Listen(ctx, snd.Notified, func(err error) { p.log.Warn("listen for new deliveries", "err", err) })
		})
		stopBeat := goLoop(ctx, func(ctx context.Context) { p.beatLoop(ctx, snd) })
		runCtx, stopClaiming := context.WithCancel(context.WithoutCancel(ctx))
		sent := make(chan struct{})
		go func() { defer close(sent); snd.Run(runCtx) }()
		// Recovery jobs run under the sender's lease owner (issue 16).
		recovered := make(chan struct{})
		go func() { defer close(recovered); recovery.Run(runCtx) }()
		return func() error {
			// Stop claiming; requests in flight finish (each within the
			// delivery timeout) and are recorded. What is still leased
			// after a crash is taken over by the next process to start
			// (SQLite) or by the others within seconds (PostgreSQL);
			// failing that, once the lease runs out.
			stopClaiming()
			wait, cancel := context.WithTimeout(context.Background(), p.cfg.DeliveryTimeout+10*time.Second)
			defer cancel()
			for _, done := range []chan struct{}{sent, recovered} {
				select {
				case <-done:
				case <-wait.Done():
					p.log.Warn("sender did not stop in time; unfinished deliveries will be retried after their lease")
				}
			}
			stopListen()
			stopBeat()
			release()
			return nil
		}, nil
	}
}

// landingApp is the app members of several land on: with -demo, the Demo
// app, though a plain start on the same database made "Default" first.
func landingApp(cfg config.Config) string {
	if cfg.Demo {
		return demo.AppName
	}
	return ""
}

// targetPolicy is where webhooks may point, from the configuration.
func targetPolicy(cfg config.Config, log *slog.Logger) hook.TargetPolicy {
	if cfg.Demo {
		// The demo's receiver listens on loopback over plain HTTP.
		log.Warn("demo mode: delivering to loopback and plain http:// is allowed; do not use -demo in production")
		return hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}
	}
	return hook.TargetPolicy{AllowHTTP: cfg.AllowHTTPTargets, AllowPrivate: cfg.AllowPrivateTargets}
}

// OpenStore loads keys (generating the key file on first start) and opens
// the migrated store: Open uses it, and so do the commands that only need
// the database (migrate, user add, user passwd).
func OpenStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.Store, error) {
	return openStore(ctx, cfg, log, nil)
}

func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger, now func() time.Time) (*store.Store, error) {
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
	return store.Open(ctx, cfg.DatabaseURL, store.Options{Box: box, Now: now})
}

// Store is the program's store, for seeding data in tests and tools.
func (p *Program) Store() *store.Store { return p.store }

// Handler is the web server: dashboard, API, health and metrics.
func (p *Program) Handler() http.Handler { return p.handler }

// Addr is the address Run serves on ("" WithoutListener).
func (p *Program) Addr() string {
	if p.ln == nil {
		return ""
	}
	return p.ln.Addr().String()
}

// URL is http:// and Addr, for clients on this machine.
func (p *Program) URL() string { return "http://" + p.Addr() }

// Close releases what Open took: the listener, and the store if Open
// opened it. Call it after Run returns.
func (p *Program) Close() error {
	var err error
	p.closeOnce.Do(func() {
		if p.ln != nil {
			p.ln.Close() // already closed if Run served on it
		}
		if p.ingester != nil {
			p.ingester.Close() // its writers use the store
		}
		if p.ownStore {
			err = p.store.Close()
		}
		if p.logOut != nil {
			p.logOut.Flush()
		}
	})
	return err
}

// warnFraming says at start when portal pages may be framed but the portal
// cookie could not be kept in the frame: browsers keep a SameSite=None
// (partitioned) cookie only over HTTPS, and Hookboard itself serves plain
// HTTP, so it must be reached through an HTTPS proxy.
func warnFraming(cfg config.Config, log *slog.Logger) {
	if len(cfg.FrameAncestors) == 0 {
		return
	}
	if !strings.HasPrefix(cfg.PublicURL, "https://") {
		log.Warn("HOOKBOARD_FRAME_ANCESTORS is set: portal pages in a frame keep their session only when Hookboard is reached over HTTPS; " +
			"put it behind an HTTPS proxy and set HOOKBOARD_PUBLIC_URL to its https:// address (see docs/EMBEDDING.md)")
	}
}
