package sender_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// arrivalLog is a receiver's log: which event (webhook-id) arrived when,
// in arrival order.
type arrivalLog struct {
	mu    sync.Mutex
	ids   []string
	times []time.Time
	seen  map[string]int
}

func (l *arrivalLog) add(id string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil {
		l.seen = map[string]int{}
	}
	l.ids = append(l.ids, id)
	l.times = append(l.times, time.Now())
	l.seen[id]++
	return l.seen[id]
}

func (l *arrivalLog) snapshot() ([]string, []time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.ids), slices.Clone(l.times)
}

// maxInWindow is the most arrivals in any window of length w.
func maxInWindow(times []time.Time, w time.Duration) int {
	best, j := 0, 0
	for i := range times {
		for times[i].Sub(times[j]) >= w {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// eventOrder is the app's event ids by the event's time, then id: the
// order a FIFO webhook must see them in.
func eventOrder(t *testing.T, s *store.Store) []string {
	t.Helper()
	var ids []string
	if err := s.DB().Select(&ids, `SELECT id FROM events ORDER BY created_at, id`); err != nil {
		t.Fatal(err)
	}
	return ids
}

func longPolicyTest(t *testing.T) {
	t.Helper()
	if os.Getenv("HOOKBOARD_CRASH_TEST") == "" {
		t.Skip("set HOOKBOARD_CRASH_TEST=1 to run the long policy tests (.ci/run does)")
	}
}

// The webhook's own headers arrive; the recorded request and the log show
// their values masked.
func TestCustomHeadersArriveMasked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		rc := newReceiver(t, status(200))
		f.webhook("A", rc.URL, []string{"*"}, true, func(in *hook.WebhookInput) {
			in.AuthType, in.AuthHeader, in.AuthValue = hook.AuthAPIKey, "X-API-Key", "key-value-1"
			in.Headers = []hook.Header{{Name: "X-Gateway-Key", Value: "gw-secret-42"}, {Name: "X-Tenant", Value: "acme"}}
		})
		var logs bytes.Buffer
		var logMu sync.Mutex
		logger := slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
		d := f.run(sender.Options{Logger: logger})
		res := f.ingest("invoice.paid", `{}`)
		d.Step()
		got := rc.got()
		if len(got) != 1 {
			t.Fatalf("got %d requests, want 1", len(got))
		}
		h := got[0].header
		if h.Get("X-Gateway-Key") != "gw-secret-42" || h.Get("X-Tenant") != "acme" || h.Get("X-API-Key") != "key-value-1" {
			t.Fatalf("headers at the receiver: %v", h)
		}
		if h.Get("Content-Type") != "application/json" || h.Get("webhook-id") != res.Event.ID {
			t.Fatalf("Hookboard's own headers changed: %v", h)
		}
		ds := f.deliveries(res.Event.ID)
		as, err := s.Attempts(ctx, ds[0].ID)
		if err != nil || len(as) != 1 {
			t.Fatal(as, err)
		}
		rec := http.Header(as[0].RequestHeaders)
		if rec.Get("X-Gateway-Key") != hook.MaskedValue || rec.Get("X-Tenant") != hook.MaskedValue {
			t.Fatalf("recorded headers not masked: %v", rec)
		}
		d.Stop()
		logMu.Lock()
		defer logMu.Unlock()
		if strings.Contains(logs.String(), "gw-secret-42") || strings.Contains(logs.String(), "acme\"") {
			t.Fatalf("a header value is in the log:\n%s", logs.String())
		}
	})
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// rateLimited runs one sender on s with a webhook limited to limit/s, n
// deliveries due, and returns the receiver's log once all arrived.
func rateLimited(t *testing.T, s *store.Store, limit, n int, within time.Duration) []time.Time {
	f := newFixture(t, s, nil)
	var log arrivalLog
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		log.add(r.Header.Get("webhook-id"))
	})
	f.webhook("Limited", rc.URL, []string{"*"}, true, func(in *hook.WebhookInput) { in.RateLimit = limit })
	batch := make([]store.IngestRequest, n)
	for i := range batch {
		batch[i] = store.IngestRequest{AppID: f.app.ID, EventType: "invoice.paid", Payload: []byte(`{}`)}
	}
	if _, err := s.IngestBatch(ctx, batch, store.IngestLease{}); err != nil {
		t.Fatal(err)
	}
	runSender(t, f.sender(sender.Options{PollInterval: time.Second}))
	waitFor(t, "every delivery", within, func() bool { ids, _ := log.snapshot(); return len(ids) >= n })
	_, times := log.snapshot()
	return times
}

// A rate-limited webhook gets no more than its limit (plus the small
// burst) in any second, and everything arrives: the excess waits.
func TestRateLimitHolds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		times := rateLimited(t, s, 20, 50, 10*time.Second)
		if m := maxInWindow(times, time.Second); m > 22 {
			t.Fatalf("%d requests in one second at a limit of 20/s", m)
		}
		waitFor(t, "the attempts recorded", 5*time.Second, func() bool { return succeeded(t, s) == 50 })
		var n int
		s.DB().Get(&n, `SELECT COUNT(*) FROM attempts`)
		if n != 50 {
			t.Fatalf("%d attempts for 50 deliveries: waiting must not cost attempts", n)
		}
		var auto int
		s.DB().Get(&auto, `SELECT COALESCE(MAX(automatic_attempts), 0) FROM deliveries`)
		if auto != 1 {
			t.Fatalf("a delivery used %d attempts of the retry schedule", auto)
		}
	})
}

// Events ingested through this process's ingester while the sender runs:
// a rate-limited webhook's deliveries that get a token at ingestion go to
// the sender with no claim, the others through the claim, and the limit
// holds across both.
func TestRateLimitHoldsForDeliveriesHandedOver(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		var log arrivalLog
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			log.add(r.Header.Get("webhook-id"))
		})
		f.webhook("Limited", rc.URL, []string{"*"}, true, func(in *hook.WebhookInput) { in.RateLimit = 20 })
		snd := f.sender(sender.Options{PollInterval: time.Second})
		f.ingester(snd)
		runSender(t, snd)
		const n = 50
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() { f.ingest("invoice.paid", `{}`) })
		}
		wg.Wait()
		waitFor(t, "every delivery", 10*time.Second, func() bool { ids, _ := log.snapshot(); return len(ids) >= n })
		_, times := log.snapshot()
		if m := maxInWindow(times, time.Second); m > 22 {
			t.Fatalf("%d requests in one second at a limit of 20/s", m)
		}
		waitFor(t, "the attempts recorded", 5*time.Second, func() bool { return succeeded(t, s) == n })
		var attempts, leased int
		s.DB().Get(&attempts, `SELECT COUNT(*) FROM attempts`)
		s.DB().Get(&leased, `SELECT COUNT(*) FROM deliveries WHERE lease_owner <> ''`)
		if attempts != n || leased != 0 {
			t.Fatalf("%d attempts for %d deliveries, %d still leased", attempts, n, leased)
		}
	})
}

// The figure: 50/s, 2,000 due, at most 55 in any one-second window
// and all arrive (about 40 s per database).
func TestPoliciesRateLimit50(t *testing.T) {
	longPolicyTest(t)
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		times := rateLimited(t, s, 50, 2000, 90*time.Second)
		if m := maxInWindow(times, time.Second); m > 55 {
			t.Fatalf("%d requests in one second at a limit of 50/s", m)
		}
		if m := maxInWindow(times, 10*time.Second); m > 550 {
			t.Fatalf("%d requests in 10 s at a limit of 50/s", m)
		}
		t.Logf("2000 deliveries in %v; busiest second %d, busiest 10 s %d", times[len(times)-1].Sub(times[0]), maxInWindow(times, time.Second), maxInWindow(times, 10*time.Second))
	})
}

// fifo sends n events to a FIFO webhook whose receiver fails each
// delivery's first attempt, and checks they arrive in event order.
func fifo(t *testing.T, s *store.Store, n int, within time.Duration) {
	f := newFixture(t, s, nil)
	var log arrivalLog
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		if log.add(r.Header.Get("webhook-id")) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	f.webhook("Ordered", rc.URL, []string{"*"}, true, func(in *hook.WebhookInput) { in.Ordering = hook.OrderingFIFO })
	snd := f.sender(sender.Options{PollInterval: time.Second, RetrySchedule: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}})
	f.ingester(snd)
	runSender(t, snd)
	for range n {
		f.ingest("invoice.paid", `{}`)
	}
	waitFor(t, "every event twice", within, func() bool { ids, _ := log.snapshot(); return len(ids) >= 2*n })
	ids, _ := log.snapshot()
	order := eventOrder(t, s)
	for i, id := range order {
		if ids[2*i] != id || ids[2*i+1] != id {
			t.Fatalf("arrival %d: got %s, %s; want event %d (%s) twice (failed, then retried) before the next", 2*i, ids[2*i], ids[2*i+1], i, id)
		}
	}
	if len(ids) != 2*n {
		t.Fatalf("%d arrivals, want %d", len(ids), 2*n)
	}
}

func TestFIFOInEventOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) { fifo(t, s, 30, 20*time.Second) })
}

func TestPoliciesFIFO500(t *testing.T) {
	longPolicyTest(t)
	storetest.Each(t, func(t *testing.T, s *store.Store) { fifo(t, s, 500, 120*time.Second) })
}

// A FIFO delivery that fails for good (410 Gone) releases the next; one
// waiting for a retry holds the rest, and switching to none releases them.
func TestFIFOReleases(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		var log arrivalLog
		// Answers chosen by the payload in the body, set before the event
		// is ingested: the sender may deliver it before IngestEvent
		// returns its id.
		answers := map[string]int{`{"n":1}`: http.StatusGone, `{"n":3}`: http.StatusInternalServerError}
		var rc *receiver
		rc = newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
			log.add(r.Header.Get("webhook-id"))
			body := rc.got()[n-1].body // the receiver read it
			for payload, code := range answers {
				if bytes.Contains(body, []byte(payload)) {
					w.WriteHeader(code)
				}
			}
		})
		wh, _ := f.webhook("Ordered", rc.URL, []string{"*"}, true, func(in *hook.WebhookInput) { in.Ordering = hook.OrderingFIFO })
		snd := f.sender(sender.Options{PollInterval: 200 * time.Millisecond, RetrySchedule: []time.Duration{time.Hour}})
		f.ingester(snd)
		runSender(t, snd)

		f.ingest("invoice.paid", `{"n":1}`) // failed for good (410)
		// Stored before the first is attempted? Either way it waits its turn.
		next := f.ingest("invoice.paid", `{"n":2}`).Event.ID
		waitFor(t, "the next event after a delivery failed for good", 5*time.Second, func() bool { ids, _ := log.snapshot(); return slices.Contains(ids, next) })

		stuck := f.ingest("invoice.paid", `{"n":3}`).Event.ID // 500: retried in an hour
		waitFor(t, "the head's first attempt", 5*time.Second, func() bool { ids, _ := log.snapshot(); return slices.Contains(ids, stuck) })
		var held []string
		for i := range 5 {
			held = append(held, f.ingest("invoice.paid", `{"n":`+itoa(4+i)+`}`).Event.ID)
		}
		time.Sleep(300 * time.Millisecond)
		if ids, _ := log.snapshot(); slices.ContainsFunc(ids, func(id string) bool { return slices.Contains(held, id) }) {
			t.Fatal("a delivery went out while the head waits for its retry")
		}
		if n, err := s.FIFOWaiting(ctx, wh.ID); err != nil || n != 5 {
			t.Fatalf("FIFOWaiting = %d, %v; want 5", n, err)
		}
		in := hook.WebhookInput{Name: wh.Name, URL: wh.URL, Events: wh.Events, Active: true, AuthType: hook.AuthNone, Ordering: hook.OrderingNone}
		if _, err := s.UpdateWebhook(ctx, actor, f.app.ID, wh.ID, in, dev); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the held deliveries after switching to none", 5*time.Second, func() bool {
			ids, _ := log.snapshot()
			return !slices.ContainsFunc(held, func(id string) bool { return !slices.Contains(ids, id) })
		})
		if n, _ := s.FIFOWaiting(ctx, wh.ID); n != 0 {
			t.Fatalf("FIFOWaiting = %d after switching to none", n)
		}
	})
}
