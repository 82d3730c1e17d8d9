package sender_test

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// New events wake the sender: with polling set to a minute, a delivery
// still goes out at once — from this process, and on PostgreSQL from
// another process through LISTEN/NOTIFY.
func TestNewEventsWakeTheSender(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			dsn := storetest.DSN(t, dialect)
			open := func() *store.Store { return storetest.Open(t, dsn, storetest.Options{}) }
			s := open()
			f := newFixture(t, s, nil)
			rc := newReceiver(t, status(200))
			f.webhook("A", rc.URL, []string{"*"}, true)
			runCtx, cancel := context.WithCancel(ctx)
			snd := sender.New(sender.Options{Store: s, AllowPrivate: true, PollInterval: time.Minute})
			stopped := make(chan struct{}, 2)
			f.ingester(snd)
			go func() { snd.Run(runCtx); stopped <- struct{}{} }()
			go func() { s.Listen(runCtx, snd.Notified, nil); stopped <- struct{}{} }()
			defer func() { cancel(); <-stopped; <-stopped }() // before the schema is dropped
			time.Sleep(100 * time.Millisecond)                // let the first (empty) claim and LISTEN happen
			f.ingest("invoice.paid", `{}`)
			waitFor(t, "the in-process delivery", 5*time.Second, func() bool { return len(rc.got()) == 1 })
			if dialect != store.Postgres {
				return
			}
			other := sender.NewIngester(open(), nil) // another process, which has no sender
			defer other.Close()
			if _, err := other.IngestEvent(ctx, f.app.ID, "invoice.paid", []byte(`{}`), ""); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the NOTIFY wake-up", 5*time.Second, func() bool { return len(rc.got()) == 2 })
		})
	}
}

// A notice of due deliveries wakes the sender unless it came from its own
// process (its ingestion tells it directly what it may claim), or from an
// unknown sender: "" is a process without a sender, or a notice lost while
// the listener reconnected.
func TestOwnNoticesDoNotWakeTheSender(t *testing.T) {
	snd := sender.New(sender.Options{Store: storetest.New(t, store.SQLite, storetest.Options{})})
	for _, c := range []struct {
		from string
		wake bool
	}{{snd.Owner(), false}, {"another-process", true}, {"", true}} {
		snd.Notified(c.from)
		if got := sender.Woken(snd); got != c.wake {
			t.Errorf("a notice from %q woke the sender: %v, want %v", c.from, got, c.wake)
		}
	}
}

// By default one webhook takes at most a quarter of the workers, and never
// more than 16: a slow endpoint leaves the rest to the others. (32 let a
// single busy webhook go 13 % faster, but cost the plain webhook of the
// policies scenario about 7 points of its share; BENCHMARKS.md
// "Thirteenth pass".)
func TestDefaultShareOfOneWebhook(t *testing.T) {
	for _, c := range []struct{ workers, want int }{{16, 4}, {128, 16}, {400, 16}} {
		t.Run(itoa(c.workers), func(t *testing.T) {
			s := storetest.New(t, store.SQLite, storetest.Options{})
			f := newFixture(t, s, nil)
			release := make(chan struct{})
			var open, most atomic.Int32
			rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				n := open.Add(1)
				defer open.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				select {
				case <-release:
				case <-r.Context().Done():
				}
			})
			f.webhook("A", rc.URL, []string{"*"}, true)
			for range c.want + 8 {
				f.ingest("invoice.paid", `{}`)
			}
			runCtx, cancel := context.WithCancel(ctx)
			snd := sender.New(sender.Options{Store: s, AllowPrivate: true, Workers: c.workers, Timeout: 30 * time.Second, PollInterval: 10 * time.Millisecond})
			done := make(chan struct{})
			go func() { snd.Run(runCtx); close(done) }()
			waitFor(t, "the webhook's share of requests", 10*time.Second, func() bool { return int(open.Load()) == c.want })
			time.Sleep(200 * time.Millisecond) // room for any request beyond the share
			if n := most.Load(); int(n) != c.want {
				t.Errorf("%d workers: %d requests to one webhook at once, want %d", c.workers, n, c.want)
			}
			cancel()
			close(release)
			<-done
		})
	}
}

// One endpoint that hangs does not hold up the others.
func TestSlowEndpointDoesNotStarveOthers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		release := make(chan struct{})
		slow := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		fast := newReceiver(t, status(200))
		f.webhook("Slow", slow.URL, []string{"invoice.paid"}, true)
		f.webhook("Fast", fast.URL, []string{"user.created"}, true)
		for range 20 {
			f.ingest("invoice.paid", `{}`)
		}
		for range 20 {
			f.ingest("user.created", `{}`)
		}
		runCtx, cancel := context.WithCancel(ctx)
		snd := sender.New(sender.Options{Store: s, AllowPrivate: true, Workers: 4, PerWebhook: 2, Timeout: 30 * time.Second, PollInterval: 10 * time.Millisecond})
		done := make(chan struct{})
		go func() { snd.Run(runCtx); close(done) }()
		waitFor(t, "the fast endpoint's 20 deliveries", 10*time.Second, func() bool { return len(fast.got()) == 20 })
		if n := len(slow.got()); n > 2 {
			t.Errorf("slow endpoint had %d requests at once, cap is 2", n)
		}
		cancel()
		close(release) // answer the slow requests in flight
		<-done
	})
}

// Shutdown stops claiming but lets the request in flight finish and records it.
func TestShutdownFinishesInFlight(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		var arrived atomic.Bool
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			arrived.Store(true)
			time.Sleep(300 * time.Millisecond)
			w.WriteHeader(http.StatusOK)
		})
		f.webhook("A", rc.URL, []string{"*"}, true)
		res := f.ingest("invoice.paid", `{}`)
		f.ingest("invoice.paid", `{}`)
		runCtx, cancel := context.WithCancel(ctx)
		snd := sender.New(sender.Options{Store: s, AllowPrivate: true, Workers: 1, PollInterval: 10 * time.Millisecond})
		done := make(chan struct{})
		go func() { snd.Run(runCtx); close(done) }()
		waitFor(t, "the first request", 5*time.Second, arrived.Load)
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not return")
		}
		if d := f.deliveries(res.Event.ID)[0]; d.Status != hook.StatusSucceeded {
			t.Errorf("in-flight delivery: %s", d.Status)
		}
		if n := len(rc.got()); n != 1 {
			t.Errorf("%d requests: the sender kept claiming after shutdown", n)
		}
	})
}

// claimCounter counts the sender's claim queries and the wake-ups it gets
// from ingestion (see watch).
type claimCounter struct {
	*store.Store
	claims, wakes atomic.Int64
}

func countClaims(s *store.Store) *claimCounter { return &claimCounter{Store: s} }

// watch counts the wake-ups in gives its sender, or gives wake (an
// ingester without a sender of its own).
func (c *claimCounter) watch(in *sender.Ingester, wake func()) {
	sender.OnWake(in, func() {
		c.wakes.Add(1)
		if wake != nil {
			wake()
		}
	})
}

func (c *claimCounter) ClaimDue(ctx context.Context, owner string, limit int, lease time.Duration, exclude []string) ([]hook.Job, error) {
	c.claims.Add(1)
	return c.Store.ClaimDue(ctx, owner, limit, lease, exclude)
}

// New events wake the sender for a claim; a finished request does not cost
// a claim query of its own unless the last claim left deliveries due. (One
// claim per finished request made claims the database's largest cost
// under load, each bringing the one or two events ingested meanwhile.)
func TestClaimsFollowWakeupsNotRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			time.Sleep(time.Millisecond)
			w.WriteHeader(http.StatusNoContent)
		})
		f.webhook("A", rc.URL, []string{"*"}, true)
		runCtx, cancel := context.WithCancel(ctx)
		counted := countClaims(s)
		snd := sender.New(sender.Options{Store: counted, AllowPrivate: true, Workers: 64, PollInterval: time.Minute})
		// Ingestion that stores every delivery due and wakes the sender.
		ing := f.ingester(nil)
		counted.watch(ing, snd.Wake)
		done := make(chan struct{})
		go func() { snd.Run(runCtx); close(done) }()
		// Bursts of concurrent events, as from a busy API: each burst is
		// written in a transaction or two and wakes the sender once or twice.
		const events = 600
		for b := range events / 20 {
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Go(func() {
					if _, err := ing.IngestEvent(ctx, f.app.ID, "invoice.paid", []byte(`{"n":`+itoa(b*20+i)+`}`), ""); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			time.Sleep(10 * time.Millisecond)
		}
		waitFor(t, "every delivery", 20*time.Second, func() bool { return len(rc.got()) == events })
		cancel()
		<-done
		claims, wakes := counted.claims.Load(), counted.wakes.Load()
		t.Logf("%d deliveries, %d wake-ups, %d claims", events, wakes, claims)
		if claims > wakes+events/20 {
			t.Errorf("%d claim queries for %d wake-ups and %d deliveries", claims, wakes, events)
		}
	})
}

// Ingesting with the sender, new deliveries go to it as
// they are stored, leased to it: no claim query, no wake-up.
func TestIngestHandsDeliveriesToTheSender(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		rc := newReceiver(t, status(204))
		f.webhook("A", rc.URL, []string{"*"}, true)
		runCtx, cancel := context.WithCancel(ctx)
		counted := countClaims(s)
		snd := sender.New(sender.Options{Store: counted, AllowPrivate: true, Workers: 64, PollInterval: time.Minute})
		ing := f.ingester(snd)
		counted.watch(ing, nil)
		done := make(chan struct{})
		go func() { snd.Run(runCtx); close(done) }()
		waitFor(t, "the first claim", 5*time.Second, func() bool { return counted.claims.Load() == 1 })
		const events = 300
		var ids []string
		var mu sync.Mutex
		for b := range events / 20 {
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Go(func() {
					res, err := ing.IngestEvent(ctx, f.app.ID, "invoice.paid", []byte(`{"n":`+itoa(b*20+i)+`}`), "")
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					ids = append(ids, res.Event.ID)
					mu.Unlock()
				})
			}
			wg.Wait()
			waitFor(t, "the burst's deliveries", 10*time.Second, func() bool { return len(rc.got()) == (b+1)*20 })
		}
		cancel()
		<-done
		if n := counted.claims.Load(); n != 1 {
			t.Errorf("%d claim queries, want only the first (empty) one", n)
		}
		if n := counted.wakes.Load(); n != 0 {
			t.Errorf("%d wake-ups for deliveries the sender already had", n)
		}
		for _, id := range ids {
			d := f.deliveries(id)
			if len(d) != 1 || d[0].Status != hook.StatusSucceeded || d[0].Attempts != 1 {
				t.Fatalf("event %s: deliveries %+v", id, d)
			}
		}
	})
}

// A webhook gets no more handed over than its share (running + waiting);
// the rest is stored due and claimed as room frees up, with the webhook's
// concurrency cap kept throughout.
func TestDispatchBeyondShareIsClaimedLater(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		var now, peak atomic.Int64
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			n := now.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			now.Add(-1)
			w.WriteHeader(http.StatusNoContent)
		})
		f.webhook("A", rc.URL, []string{"*"}, true)
		runCtx, cancel := context.WithCancel(ctx)
		counted := countClaims(s)
		snd := sender.New(sender.Options{Store: counted, AllowPrivate: true, Workers: 4, PerWebhook: 2, PollInterval: time.Minute})
		ing := f.ingester(snd)
		counted.watch(ing, nil)
		done := make(chan struct{})
		go func() { snd.Run(runCtx); close(done) }()
		waitFor(t, "the first claim", 5*time.Second, func() bool { return counted.claims.Load() == 1 })
		const events = 80 // the share is 2 running + 16 waiting
		var wg sync.WaitGroup
		for i := range events {
			wg.Go(func() {
				if _, err := ing.IngestEvent(ctx, f.app.ID, "invoice.paid", []byte(`{"n":`+itoa(i)+`}`), ""); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		waitFor(t, "every delivery", 20*time.Second, func() bool { return len(rc.got()) == events })
		cancel()
		<-done
		if p := peak.Load(); p > 2 {
			t.Errorf("%d requests at once to one webhook, cap is 2", p)
		}
		// The sender knew of those it had no room for (Reserve said no):
		// it claimed them as room freed up, with no wake-up for them, each
		// of which would have cost a claim that found nothing it may take.
		if counted.wakes.Load() != 0 || counted.claims.Load() < 2 {
			t.Errorf("%d wake-ups, %d claims: the deliveries beyond the share were not left to a claim, or woke the sender for nothing", counted.wakes.Load(), counted.claims.Load())
		}
		var leased int
		if err := s.DB().GetContext(ctx, &leased, `SELECT COUNT(*) FROM deliveries WHERE lease_owner <> '' OR status <> 'succeeded'`); err != nil {
			t.Fatal(err)
		}
		if leased != 0 {
			t.Errorf("%d deliveries left leased or unfinished", leased)
		}
	})
}

// When new deliveries wake the sender while every worker is busy, they
// are claimed as soon as workers free up, not at the next poll.
func TestWakeWhileBusyIsNotForgotten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			time.Sleep(20 * time.Millisecond)
			w.WriteHeader(http.StatusNoContent)
		})
		const hooks = 12
		for i := range hooks {
			f.webhook("Hook "+itoa(i), rc.URL+"/"+itoa(i), []string{"*"}, true)
		}
		runCtx, cancel := context.WithCancel(ctx)
		snd := sender.New(sender.Options{Store: s, AllowPrivate: true, Workers: 4, PollInterval: time.Minute})
		f.ingester(snd)
		done := make(chan struct{})
		go func() { snd.Run(runCtx); close(done) }()
		time.Sleep(100 * time.Millisecond) // the first (empty) claim
		f.ingest("invoice.paid", `{}`)     // 4 taken at once, 8 left due while all 4 workers are busy
		waitFor(t, "all 12 deliveries", 5*time.Second, func() bool { return len(rc.got()) == hooks })
		cancel()
		<-done
	})
}

// Ingestion hands deliveries to the sender while Run stops and starts
// again: a delivery reserved while Run ran but handed over after it
// stopped must go back to the queue, never to the closed recorder (which
// panicked with "send on closed channel"). Every delivery is sent once.
func TestHandOverWhileRunStops(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		rc := newReceiver(t, status(204))
		f.webhook("A", rc.URL, []string{"*"}, true)
		snd := f.sender(sender.Options{Workers: 8, PollInterval: 10 * time.Millisecond})
		ing := f.ingester(snd)
		const events = 300
		ingested := make(chan struct{})
		go func() {
			defer close(ingested)
			var wg sync.WaitGroup
			for i := range events {
				wg.Go(func() {
					if _, err := ing.IngestEvent(ctx, f.app.ID, "invoice.paid", []byte(`{"n":`+itoa(i)+`}`), ""); err != nil {
						t.Error(err)
					}
				})
				if i%8 == 7 {
					wg.Wait()
				}
			}
			wg.Wait()
		}()
		for done := false; !done; {
			select {
			case <-ingested:
				done = true
			default:
			}
			// Run until it sent something more (or ingestion ended), then stop it.
			sent := len(rc.got())
			stop := runSender(t, snd)
			waitFor(t, "a request", 10*time.Second, func() bool {
				select {
				case <-ingested:
					return true
				default:
					return len(rc.got()) > sent
				}
			})
			stop()
		}
		runSender(t, snd)
		waitFor(t, "every delivery", 20*time.Second, func() bool { return len(rc.got()) >= events && succeeded(t, s) >= events })
		if got, recorded := len(rc.got()), succeeded(t, s); got != events || recorded != events {
			t.Errorf("%d requests, %d deliveries succeeded; want %d of each", got, recorded, events)
		}
	})
}

func succeeded(t *testing.T, s *store.Store) int {
	t.Helper()
	var n int
	if err := s.DB().Get(&n, `SELECT COUNT(*) FROM deliveries WHERE status = 'succeeded'`); err != nil {
		t.Fatal(err)
	}
	return n
}
