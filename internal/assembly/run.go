package assembly

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hookboard/hookboard/internal/demo"
	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/store"
)

// part is one running piece of the program: start starts it and returns
// the func that stops it and waits until it has.
type part struct {
	name  string
	start func(ctx context.Context) (stop func() error, err error)
}

// errRunTwice: every loop is started once per program.
var errRunTwice = errors.New("assembly: Run called twice")

// Run starts the parts in order and serves HTTP until ctx ends or the HTTP
// server fails; then it stops them in reverse: the HTTP server (within the
// shutdown timeout), the demo's events, the sender (claiming first, then
// the requests in flight, bounded), the clean-up, chart roll-up and
// retention loops, the demo's receiver, the log's flushing. A part that fails to start stops those before it.
func (p *Program) Run(ctx context.Context) (err error) {
	if p.ln == nil {
		return errors.New("assembly: Run needs a listener (Open without WithoutListener)")
	}
	if !p.ran.CompareAndSwap(false, true) {
		return errRunTwice
	}
	var stops []func() error
	defer func() {
		if ctx.Err() != nil {
			p.log.Info("shutting down")
		}
		for i := len(stops) - 1; i >= 0; i-- {
			err = errors.Join(err, stops[i]())
		}
		p.log.Info("stopped")
	}()
	d := &demoRun{}
	served := make(chan error, 1)
	for _, pt := range []part{
		{"log", p.flushLog},
		{"demo receiver", d.receiver(p)},
		{"retention", p.loop(p.retentionLoop)},
		{"chart roll-up", p.loop(p.rollUpLoop)},
		{"clean-up", p.loop(p.cleanupLoop)},
		{"delivery", p.delivery.start},
		{"demo events", d.stream(p)},
		{"http", p.serveHTTP(served)},
	} {
		stop, err := pt.start(ctx)
		if err != nil {
			return err
		}
		p.log.Debug("started", "part", pt.name)
		stops = append(stops, func() error {
			err := stop()
			p.log.Debug("stopped", "part", pt.name)
			return err
		})
	}
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
		return nil
	}
}

// serveHTTP serves the handler on the listener; its stop lets requests in
// flight finish within the shutdown timeout, then closes what is left.
func (p *Program) serveHTTP(served chan<- error) func(context.Context) (func() error, error) {
	return func(context.Context) (func() error, error) {
		srv := newHTTPServer(p.cfg.HTTP, p.handler, p.log)
		p.log.Info("hookboard listening", "addr", p.Addr(), "database", p.store.Dialect(),
			"allow_private_targets", p.targets.AllowPrivate, "allow_http_targets", p.targets.AllowHTTP)
		done := make(chan struct{})
		go func() {
			defer close(done)
			served <- srv.Serve(p.ln)
		}()
		return func() error {
			forced, err := shutdownHTTP(srv, p.cfg.HTTP.Shutdown)
			<-done
			if forced {
				p.log.Warn("requests still open after the shutdown timeout; their connections were closed", "shutdown_timeout", p.cfg.HTTP.Shutdown)
			}
			return err
		}, nil
	}
}

// flushLog writes the gathered log lines (WithLogOutput) every
// logbuf.FlushEvery; it starts first and stops last, so every part's lines
// are written while it runs, and Close writes the last ones.
func (p *Program) flushLog(ctx context.Context) (func() error, error) {
	if p.logOut == nil {
		return func() error { return nil }, nil
	}
	p.logOut.Flush() // what Open and the caller wrote before Run
	return p.loop(p.logOut.Run)(ctx)
}

// loop runs f as a part: in its own goroutine, until stopped.
func (p *Program) loop(f func(context.Context)) func(context.Context) (func() error, error) {
	return func(ctx context.Context) (func() error, error) {
		stop := goLoop(ctx, f)
		return func() error { stop(); return nil }, nil
	}
}

// goLoop runs f in a goroutine with a context of its own (ctx's values,
// not its end), and returns the func that ends it and waits for it, so a
// loop outlives Run's context until its turn to stop.
func goLoop(ctx context.Context, f func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// retentionEvery is how often history past the retention period is deleted.
const retentionEvery = 10 * time.Minute

// retentionLoop deletes history older than the retention period every ten
// minutes, in batches so no transaction grows large.
func (p *Program) retentionLoop(ctx context.Context) {
	t := time.NewTicker(retentionEvery)
	defer t.Stop()
	for {
		total := 0
		for ctx.Err() == nil {
			n, err := p.store.DeleteOlderThan(ctx, time.Now().Add(-p.cfg.Retention), 1000)
			if err != nil {
				if ctx.Err() == nil {
					p.log.Error("retention", "err", err)
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
			p.log.Info("retention: deleted old events with their deliveries and attempts", "events", total)
		}
		if n, err := p.store.DeleteRecoveriesOlderThan(ctx, time.Now().Add(-p.cfg.Retention)); err != nil && ctx.Err() == nil {
			p.log.Error("retention: recovery jobs", "err", err)
		} else if n > 0 {
			p.log.Info("retention: deleted old recovery jobs", "jobs", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// rollUpEvery is how often the chart's closed hours are counted, and
// rollUpMargin how long after an hour ends it is: an attempt is written
// when its request is over (its created_at is when it started), and the
// default request timeout plus the recording batch stay well under it (a
// longer delivery timeout lengthens it). Until then the chart reads the
// hour live.
const (
	rollUpEvery  = time.Minute
	rollUpMargin = 2 * time.Minute
)

// rollUpLoop counts the chart's closed hours into attempt_hours every
// minute (store.RollUpAttemptHours), so the chart reads a row per webhook
// and hour instead of every attempt.
func (p *Program) rollUpLoop(ctx context.Context) {
	margin := max(rollUpMargin, p.cfg.DeliveryTimeout+time.Minute)
	t := time.NewTicker(rollUpEvery)
	defer t.Stop()
	for {
		if err := p.store.RollUpAttemptHours(ctx, time.Now().Add(-margin)); err != nil && ctx.Err() == nil {
			p.log.Error("chart roll-up", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// beatLoop marks this process as sending from the database every
// store.BeatEvery, and gives ingestion and the recorders their share of the
// database's writers: all of them alone, one of two beside another
// process. When it ends it removes the mark, so the others take theirs
// back at their next beat. A failed beat keeps the share as it was; the
// log says so once, not every beat, and again when beats succeed.
func (p *Program) beatLoop(ctx context.Context, snd *sender.Sender) {
	t := time.NewTicker(store.BeatEvery)
	defer t.Stop()
	shared, failing := 1, false
	for {
		n, err := p.store.Beat(ctx, snd.Owner())
		switch {
		case err != nil && ctx.Err() == nil && !failing:
			failing = true
			p.log.Warn("beat failed; the writers' share stays as it was until a beat succeeds", "processes", shared, "err", err)
		case err == nil && failing:
			failing = false
			p.log.Info("beat succeeded again", "processes", n)
		}
		if err == nil && n != shared {
			shared = n
			p.ingester.SetProcesses(n)
			snd.SetProcesses(n)
			p.log.Info("processes sending from the database", "processes", n,
				"ingestion_writers", p.ingester.Writers(), "recorders", snd.Recorders())
		}
		select {
		case <-ctx.Done():
			leave, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if err := p.store.Leave(leave, snd.Owner()); err != nil {
				p.log.Warn("leave", "err", err)
			}
			return
		case <-t.C:
		}
	}
}

// cleanupEvery is how often expired sessions and secrets are removed.
const cleanupEvery = time.Hour

// cleanupLoop removes expired sessions, old sign-in failures and signing
// secrets past their grace period every hour.
func (p *Program) cleanupLoop(ctx context.Context) {
	t := time.NewTicker(cleanupEvery)
	defer t.Stop()
	for {
		if err := p.store.DeleteExpiredSessions(ctx); err != nil && ctx.Err() == nil {
			p.log.Error("session cleanup", "err", err)
		}
		if err := p.store.DeleteExpiredPortal(ctx); err != nil && ctx.Err() == nil {
			p.log.Error("portal cleanup", "err", err)
		}
		if n, err := p.store.DeleteExpiredSecrets(ctx); err != nil && ctx.Err() == nil {
			p.log.Error("secret cleanup", "err", err)
		} else if n > 0 {
			p.log.Info("expired signing secrets removed", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// demoRun is the demo (cfg.Demo): a receiver on loopback, the demo app's
// webhooks pointed at it, and an event every two seconds.
type demoRun struct{ app hook.App }

// receiver starts the demo's receiver and re-points the demo app's
// webhooks at it. It starts before the sender and stops after it, so
// requests in flight at shutdown get their answers.
func (d *demoRun) receiver(p *Program) func(context.Context) (func() error, error) {
	return func(ctx context.Context) (func() error, error) {
		if !p.cfg.Demo {
			return func() error { return nil }, nil
		}
		rctx, stop := context.WithCancel(context.WithoutCancel(ctx))
		base, err := demo.Receiver(rctx)
		if err != nil {
			stop()
			return nil, fmt.Errorf("demo receiver: %w", err)
		}
		if d.app, err = demo.Setup(ctx, p.store, p.cfg.AdminEmail, base); err != nil {
			stop()
			return nil, err
		}
		p.log.Info("demo app ready; events flow every 2s, summed up in one line a minute", "app", d.app.Name, "receiver", base)
		return func() error { stop(); return nil }, nil
	}
}

// stream ingests a demo event every two seconds.
func (d *demoRun) stream(p *Program) func(context.Context) (func() error, error) {
	return func(ctx context.Context) (func() error, error) {
		if !p.cfg.Demo {
			return func() error { return nil }, nil
		}
		stop := goLoop(ctx, func(ctx context.Context) { demo.Stream(ctx, p.ingester, d.app.ID, 2*time.Second, p.log) })
		stopSummary := goLoop(ctx, func(ctx context.Context) { demo.Summarize(ctx, p.store, d.app.ID, p.quiet, p.log, time.Minute) })
		return func() error { stop(); stopSummary(); return nil }, nil
	}
}
