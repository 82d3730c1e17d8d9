package sender_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/hook/hooktest"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/sender/sendertest"
	"github.com/hookboard/hookboard/internal/signature"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

var (
	ctx   = context.Background()
	actor = hook.Actor{Label: "test"}
	dev   = hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}
)

// receiver is a real HTTP endpoint that records what it gets.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	requests []received
	handle   func(w http.ResponseWriter, r *http.Request, n int)
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) *receiver {
	t.Helper()
	rc := &receiver{handle: handle}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.requests = append(rc.requests, received{header: r.Header.Clone(), body: body})
		n := len(rc.requests)
		rc.mu.Unlock()
		if rc.handle != nil {
			rc.handle(w, r, n)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.requests...)
}

func status(code int) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(code) }
}

type fixture struct {
	t     *testing.T
	store *store.Store
	ing   *sender.Ingester // f.ingest goes through it, once set
	app   hook.App
	clock *storetest.Clock
}

func newFixture(t *testing.T, s *store.Store, clock *storetest.Clock) *fixture {
	t.Helper()
	app, err := s.CreateApp(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, et := range []string{"invoice.paid", "user.created"} {
		if _, err := s.CreateEventType(ctx, actor, app.ID, hook.EventTypeInput{Name: et}); err != nil {
			t.Fatal(err)
		}
	}
	return &fixture{t: t, store: s, app: app, clock: clock}
}

func (f *fixture) webhook(name, url string, events []string, active bool, edit ...func(*hook.WebhookInput)) (hook.Webhook, string) {
	f.t.Helper()
	in := hook.WebhookInput{Name: name, URL: url, Events: events, Active: active, AuthType: hook.AuthNone}
	for _, e := range edit {
		e(&in)
	}
	wh, secret, err := f.store.CreateWebhook(ctx, actor, f.app.ID, in, dev)
	if err != nil {
		f.t.Fatal(err)
	}
	return wh, secret
}

func (f *fixture) ingest(eventType, payload string) store.IngestResult {
	f.t.Helper()
	var res store.IngestResult
	var err error
	if f.ing != nil {
		res, err = f.ing.IngestEvent(ctx, f.app.ID, eventType, []byte(payload), "")
	} else {
		res, err = f.store.IngestEvent(ctx, f.app.ID, eventType, []byte(payload), "")
	}
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

// ingester starts an Ingester into the fixture's store handing deliveries
// to snd (nil: none), used by f.ingest from then on, closed when the test
// ends (before the store).
func (f *fixture) ingester(snd *sender.Sender) *sender.Ingester {
	f.ing = sender.NewIngester(f.store, snd)
	f.t.Cleanup(f.ing.Close)
	return f.ing
}

func (f *fixture) sender(opts sender.Options) *sender.Sender {
	opts.Store = f.store
	opts.AllowPrivate = true
	if f.clock != nil {
		opts.Now = f.clock.Now
	}
	opts.Jitter = func() float64 { return 0 }
	return sender.New(opts)
}

// run starts a sender as f.sender would, under Run until the test ends.
func (f *fixture) run(opts sender.Options) *sendertest.Driver {
	opts.AllowPrivate = true
	if f.clock != nil {
		opts.Now = f.clock.Now
	}
	opts.Jitter = func() float64 { return 0 }
	return sendertest.Start(f.t, f.store, opts)
}

// runSender runs snd (the production lifecycle) until stop is called or
// the test ends; stop returns once Run did.
func runSender(t *testing.T, snd *sender.Sender) (stop func()) {
	t.Helper()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); snd.Run(runCtx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// deliveries returns the deliveries of an event.
func (f *fixture) deliveries(eventID string) []hook.Delivery {
	f.t.Helper()
	var ds []hook.Delivery
	if err := f.store.DB().Select(&ds, f.store.DB().Rebind(`SELECT id, app_id, webhook_id, event_id, event_type, status, attempts, next_attempt_at, last_attempt_at, created_at, updated_at FROM deliveries WHERE event_id = ?`), eventID); err != nil {
		f.t.Fatal(err)
	}
	return ds
}

func TestDeliversSignedToSubscribedOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		a := newReceiver(t, status(204))
		b := newReceiver(t, status(200))
		c := newReceiver(t, status(200))
		all := newReceiver(t, status(200))
		_, secretA := f.webhook("A", a.URL+"/hook?x=1", []string{"invoice.paid"}, true, func(in *hook.WebhookInput) {
			in.AuthType, in.AuthUsername, in.AuthPassword = hook.AuthBasic, "hooks", "s3cret-pw"
		})
		f.webhook("B", b.URL, []string{"user.created"}, true)
		f.webhook("C", c.URL, []string{"invoice.paid"}, false)
		f.webhook("All", all.URL, []string{"*"}, true, func(in *hook.WebhookInput) {
			in.AuthType, in.AuthHeader, in.AuthValue = hook.AuthAPIKey, "X-Api-Key", "key-123"
		})
		payload := `{"id": "inv_1",   "amount": 4200, "note": "ünïcode \u00e9"}`
		res := f.ingest("invoice.paid", payload)
		if res.Deliveries != 2 {
			t.Fatalf("%d deliveries queued, want 2 (A and All)", res.Deliveries)
		}
		if n := f.run(sender.Options{}).Step(); n != 2 {
			t.Fatalf("sent %d", n)
		}
		got := a.got()
		if len(got) != 1 {
			t.Fatalf("A received %d requests", len(got))
		}
		r := got[0]
		if string(r.body) != payload {
			t.Errorf("body = %q, want the bytes as ingested", r.body)
		}
		if r.header.Get("Content-Type") != "application/json" || !strings.HasPrefix(r.header.Get("User-Agent"), "Hookboard/") {
			t.Errorf("headers: %v", r.header)
		}
		if r.header.Get("webhook-id") != res.Event.ID {
			t.Errorf("webhook-id %q, want the event id %s", r.header.Get("webhook-id"), res.Event.ID)
		}
		if err := signature.Verify([]string{secretA}, r.header, r.body); err != nil {
			t.Errorf("signature does not verify: %v", err)
		}
		req := &http.Request{Header: r.header}
		if u, p, ok := req.BasicAuth(); !ok || u != "hooks" || p != "s3cret-pw" {
			t.Errorf("basic auth = %q %q %v", u, p, ok)
		}
		if g := all.got(); len(g) != 1 || g[0].header.Get("X-Api-Key") != "key-123" {
			t.Errorf("All received %d, api key header %q", len(g), g[0].header.Get("X-Api-Key"))
		}
		if len(b.got()) != 0 || len(c.got()) != 0 {
			t.Errorf("unsubscribed got %d, inactive got %d", len(b.got()), len(c.got()))
		}
		for _, d := range f.deliveries(res.Event.ID) {
			if d.Status != hook.StatusSucceeded || d.Attempts != 1 {
				t.Errorf("delivery %s: %s after %d attempts", d.ID, d.Status, d.Attempts)
			}
			atts, err := s.Attempts(ctx, d.ID)
			if err != nil || len(atts) != 1 {
				t.Fatalf("attempts %v %v", atts, err)
			}
			at := atts[0]
			if !at.Succeeded || at.Trigger != hook.TriggerAutomatic || at.RequestHeaders["Webhook-Id"][0] != res.Event.ID {
				t.Errorf("attempt = %+v", at)
			}
			// Credentials are masked in the record.
			raw, _ := json.Marshal(at.RequestHeaders)
			if strings.Contains(string(raw), "key-123") || strings.Contains(string(raw), "czNjcmV0") {
				t.Errorf("credential in recorded headers: %s", raw)
			}
		}
	})
}

func TestRetryThenSuccess(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, clock)
		rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, n int) {
			if n == 1 {
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, "boom")
				return
			}
			w.WriteHeader(http.StatusOK)
		})
		f.webhook("A", rc.URL, []string{"*"}, true)
		res := f.ingest("invoice.paid", `{"n":1}`)
		snd := f.run(sender.Options{})
		snd.Step()
		d := f.deliveries(res.Event.ID)[0]
		if d.Status != hook.StatusRetrying || d.Attempts != 1 {
			t.Fatalf("after a 500: %s, %d attempts", d.Status, d.Attempts)
		}
		if want := clock.Now().Add(5 * time.Second); d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(want) {
			t.Fatalf("next attempt %v, want %v", d.NextAttemptAt, want)
		}
		// Not due yet.
		if n := snd.Step(); n != 0 {
			t.Fatalf("retried early: %d", n)
		}
		clock.Advance(5 * time.Second)
		if n := snd.Step(); n != 1 {
			t.Fatalf("retry not sent: %d", n)
		}
		d = f.deliveries(res.Event.ID)[0]
		if d.Status != hook.StatusSucceeded || d.Attempts != 2 || d.NextAttemptAt != nil {
			t.Errorf("after retry: %+v", d)
		}
		got := rc.got()
		if len(got) != 2 || got[0].header.Get("webhook-id") != got[1].header.Get("webhook-id") {
			t.Error("webhook-id not stable across retries")
		}
		atts, _ := s.Attempts(ctx, d.ID)
		if len(atts) != 2 || !atts[0].Succeeded || atts[1].ResponseStatus != 500 || string(atts[1].ResponseBody) != "boom" {
			t.Errorf("attempts newest first: %+v", atts)
		}
	})
}

func TestGoneStopsAndExhaustionFails(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, clock)
		gone := newReceiver(t, status(http.StatusGone))
		broken := newReceiver(t, status(http.StatusBadGateway))
		f.webhook("Gone", gone.URL, []string{"invoice.paid"}, true)
		f.webhook("Broken", broken.URL, []string{"user.created"}, true)
		g := f.ingest("invoice.paid", `{}`)
		b := f.ingest("user.created", `{}`)
		snd := f.run(sender.Options{})
		snd.Step()
		if d := f.deliveries(g.Event.ID)[0]; d.Status != hook.StatusFailed || d.Attempts != 1 || d.NextAttemptAt != nil {
			t.Errorf("410: %+v", d)
		}
		// 1 + 7 retries, then failed.
		for i := 0; i < 10; i++ {
			clock.Advance(11 * time.Hour)
			snd.Step()
		}
		if d := f.deliveries(b.Event.ID)[0]; d.Status != hook.StatusFailed || d.Attempts != 8 {
			t.Errorf("exhausted: %s after %d attempts", d.Status, d.Attempts)
		}
		if n := len(gone.got()); n != 1 {
			t.Errorf("410 endpoint called %d times", n)
		}
		if n := len(broken.got()); n != 8 {
			t.Errorf("broken endpoint called %d times, want 8", n)
		}
	})
}

// Manual resends never use up the automatic retry schedule: after one
// automatic failure and seven failed resends, the next automatic failure
// is retried on schedule (it used to be final), and the schedule still
// runs its eight automatic attempts in all.
func TestResendsDoNotUseUpRetries(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, clock)
		broken := newReceiver(t, status(http.StatusBadGateway))
		f.webhook("Broken", broken.URL, []string{"*"}, true)
		res := f.ingest("invoice.paid", `{}`)
		drv := f.run(sender.Options{})
		drv.Step()
		snd := drv.Sender
		id := f.deliveries(res.Event.ID)[0].ID
		for i := range 7 {
			job, err := s.ClaimForResend(ctx, actor, f.app.ID, id, snd.Owner(), snd.Lease())
			if err != nil {
				t.Fatalf("resend %d: %v", i+1, err)
			}
			if _, out, err := snd.Deliver(ctx, job, hook.TriggerManual); err != nil || out.Status != hook.StatusRetrying {
				t.Fatalf("resend %d: %+v, %v", i+1, out, err)
			}
		}
		d := f.deliveries(res.Event.ID)[0]
		if d.Status != hook.StatusRetrying || d.Attempts != 8 || d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(clock.Now().Add(5*time.Second)) {
			t.Fatalf("after seven resends: %+v, want retrying at +5s after 8 attempts", d)
		}
		clock.Advance(6 * time.Second)
		if n := drv.Step(); n != 1 {
			t.Fatalf("second automatic attempt: started %d", n)
		}
		d = f.deliveries(res.Event.ID)[0]
		if d.Status != hook.StatusRetrying || d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(clock.Now().Add(5*time.Minute)) {
			t.Fatalf("second automatic failure after seven resends: %s, next %v; want retrying in 5m", d.Status, d.NextAttemptAt)
		}
		// Six more automatic attempts (eight in all), then failed.
		for range 10 {
			clock.Advance(11 * time.Hour)
			drv.Step()
		}
		if d := f.deliveries(res.Event.ID)[0]; d.Status != hook.StatusFailed || d.Attempts != 15 {
			t.Errorf("exhausted: %s after %d attempts, want failed after 15 (8 automatic, 7 manual)", d.Status, d.Attempts)
		}
		if n := len(broken.got()); n != 15 {
			t.Errorf("endpoint called %d times, want 15", n)
		}
	})
}

func TestRetryAfterHonoured(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, clock)
		rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
		})
		f.webhook("A", rc.URL, []string{"*"}, true)
		res := f.ingest("invoice.paid", `{}`)
		f.run(sender.Options{}).Step()
		d := f.deliveries(res.Event.ID)[0]
		if want := clock.Now().Add(120 * time.Second); d.NextAttemptAt == nil || !d.NextAttemptAt.Equal(want) {
			t.Errorf("next attempt %v, want %v (Retry-After)", d.NextAttemptAt, want)
		}
	})
}

func TestTimeoutRefusedAndRedirectRecorded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		release := make(chan struct{})
		slow := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		closedURL := hooktest.RefusedURL(t)
		redirect := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			http.Redirect(w, r, "https://elsewhere.example/hook", http.StatusFound)
		})
		f.webhook("Slow", slow.URL, []string{"invoice.paid"}, true)
		f.webhook("Closed", closedURL, []string{"invoice.paid"}, true)
		f.webhook("Redirect", redirect.URL, []string{"invoice.paid"}, true)
		res := f.ingest("invoice.paid", `{}`)
		f.run(sender.Options{Timeout: 200 * time.Millisecond}).Step()
		byHook := map[string]hook.Attempt{}
		for _, d := range f.deliveries(res.Event.ID) {
			atts, _ := s.Attempts(ctx, d.ID)
			if len(atts) != 1 || d.Status != hook.StatusRetrying {
				t.Fatalf("delivery %s: %s, %d attempts", d.WebhookID, d.Status, len(atts))
			}
			wh, _ := s.Webhook(ctx, f.app.ID, d.WebhookID)
			byHook[wh.Name] = atts[0]
		}
		if e := byHook["Slow"].Error; !strings.Contains(e, "timeout") || !strings.Contains(e, "200ms") {
			t.Errorf("timeout error = %q", e)
		}
		if byHook["Slow"].Duration < 150*time.Millisecond {
			t.Errorf("timeout duration %v", byHook["Slow"].Duration)
		}
		if e := byHook["Closed"].Error; !strings.Contains(e, "connection refused") {
			t.Errorf("refused error = %q", e)
		}
		if a := byHook["Redirect"]; a.ResponseStatus != 302 || !strings.Contains(a.Error, "redirect not followed") || a.Succeeded {
			t.Errorf("redirect attempt = %+v", a)
		}
	})
}

func TestSSRFGuardAtDialTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		rc := newReceiver(t, status(200))
		// localhost resolves to 127.0.0.1: the form would refuse the literal
		// name, but a DNS name pointing there must be stopped when dialling.
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(rc.URL, "http://"))
		f.webhook("Sneaky", "http://localhost:"+port+"/hook", []string{"*"}, true)
		res := f.ingest("invoice.paid", `{}`)
		sendertest.Start(t, s, sender.Options{AllowPrivate: false}).Step()
		if n := len(rc.got()); n != 0 {
			t.Fatalf("guard let %d requests through", n)
		}
		d := f.deliveries(res.Event.ID)[0]
		atts, _ := s.Attempts(ctx, d.ID)
		if len(atts) != 1 || !strings.Contains(atts[0].Error, "blocked") || !strings.Contains(atts[0].Error, "loopback") {
			t.Errorf("attempt = %+v", atts)
		}
	})
}

func TestAbandonedLeaseIsRetried(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, clock)
		rc := newReceiver(t, status(200))
		f.webhook("A", rc.URL, []string{"*"}, true)
		res := f.ingest("invoice.paid", `{}`)
		// A worker claims the delivery and dies before sending anything.
		jobs, err := s.ClaimDue(ctx, "dead-worker", 10, time.Minute, nil)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("claim: %d, %v", len(jobs), err)
		}
		other := f.run(sender.Options{})
		if n := other.Step(); n != 0 {
			t.Fatalf("took a leased delivery: %d", n)
		}
		clock.Advance(time.Minute + time.Second)
		if n := other.Step(); n != 1 {
			t.Fatalf("expired lease not retried: %d", n)
		}
		if d := f.deliveries(res.Event.ID)[0]; d.Status != hook.StatusSucceeded || len(rc.got()) != 1 {
			t.Errorf("after takeover: %s, %d requests", d.Status, len(rc.got()))
		}
	})
}

func TestDisabledAfterFiveDaysOfFailures(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, clock)
		rc := newReceiver(t, status(500))
		wh, _ := f.webhook("A", rc.URL, []string{"*"}, true)
		snd := f.run(sender.Options{})
		for day := 0; day <= 5; day++ {
			f.ingest("invoice.paid", `{}`)
			snd.Step()
			clock.Advance(24*time.Hour + time.Minute)
		}
		got, _ := s.Webhook(ctx, f.app.ID, wh.ID)
		if got.Active || !strings.Contains(got.DisabledReason, "5 days") {
			t.Fatalf("webhook after 5 days of failures: active=%v reason=%q", got.Active, got.DisabledReason)
		}
		// Turning it back on clears the reason.
		in := hook.WebhookInput{Name: got.Name, URL: got.URL, Events: got.Events, Active: true, AuthType: hook.AuthNone}
		again, err := s.UpdateWebhook(ctx, actor, f.app.ID, wh.ID, in, dev)
		if err != nil || !again.Active || again.DisabledReason != "" {
			t.Errorf("re-enabled: %+v %v", again, err)
		}
	})
}

func TestIdempotencyKey(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, clock)
		f.webhook("A", "https://example.com/a", []string{"*"}, true)
		first, err := s.IngestEvent(ctx, f.app.ID, "invoice.paid", []byte(`{"n":1}`), "key-1")
		if err != nil || first.Replayed || first.Deliveries != 1 {
			t.Fatalf("first: %+v %v", first, err)
		}
		again, err := s.IngestEvent(ctx, f.app.ID, "invoice.paid", []byte(`{"n":1}`), "key-1")
		if err != nil || !again.Replayed || again.Event.ID != first.Event.ID || string(again.Event.Payload) != `{"n":1}` {
			t.Fatalf("replay: %+v %v", again, err)
		}
		// The same key for a different event is a mistake, not a retry.
		if _, err := s.IngestEvent(ctx, f.app.ID, "invoice.paid", []byte(`{"n":2}`), "key-1"); hook.ErrorCode(err) != hook.ECONFLICT {
			t.Errorf("same key, other payload: %v", err)
		}
		var n int
		s.DB().Get(&n, `SELECT COUNT(*) FROM deliveries`)
		if n != 1 {
			t.Errorf("replay created deliveries: %d", n)
		}
		clock.Advance(24*time.Hour + time.Second)
		later, err := s.IngestEvent(ctx, f.app.ID, "invoice.paid", []byte(`{"n":3}`), "key-1")
		if err != nil || later.Replayed || later.Event.ID == first.Event.ID {
			t.Errorf("after 24 h the key starts a new event: %+v %v", later, err)
		}
	})
}

func TestRetentionDeletesOldHistory(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, clock)
		rc := newReceiver(t, status(200))
		f.webhook("A", rc.URL, []string{"*"}, true)
		for range 5 {
			f.ingest("invoice.paid", `{}`)
		}
		f.run(sender.Options{}).Step()
		clock.Advance(31 * 24 * time.Hour)
		fresh := f.ingest("invoice.paid", `{}`)
		total := 0
		for {
			n, err := s.DeleteOlderThan(ctx, clock.Now().Add(-30*24*time.Hour), 2)
			if err != nil {
				t.Fatal(err)
			}
			total += n
			if n < 2 {
				break
			}
		}
		if total != 5 {
			t.Errorf("deleted %d events, want 5", total)
		}
		var events, deliveries, attempts int
		s.DB().Get(&events, `SELECT COUNT(*) FROM events`)
		s.DB().Get(&deliveries, `SELECT COUNT(*) FROM deliveries`)
		s.DB().Get(&attempts, `SELECT COUNT(*) FROM attempts`)
		if events != 1 || deliveries != 1 || attempts != 0 {
			t.Errorf("left %d events, %d deliveries, %d attempts", events, deliveries, attempts)
		}
		if _, err := s.Event(ctx, f.app.ID, fresh.Event.ID); err != nil {
			t.Errorf("fresh event gone: %v", err)
		}
	})
}

// Two senders on one database (two processes in production) deliver 1,000
// events, and no delivery is ever sent twice at the same time.
func TestTwoSendersNoConcurrentDuplicates(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			dsn := storetest.DSN(t, dialect)
			open := func() *store.Store { return storetest.Open(t, dsn, storetest.Options{}) }
			s1, s2 := open(), open()
			f := newFixture(t, s1, nil)
			var mu sync.Mutex
			inFlight := map[string]bool{}
			seen := map[string]int{}
			var concurrentDup atomic.Int32
			rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				id := r.Header.Get("webhook-id")
				mu.Lock()
				if inFlight[id] {
					concurrentDup.Add(1)
				}
				inFlight[id] = true
				seen[id]++
				mu.Unlock()
				time.Sleep(time.Millisecond)
				mu.Lock()
				delete(inFlight, id)
				mu.Unlock()
			})
			f.webhook("A", rc.URL, []string{"*"}, true)
			const events = 1000
			for i := range events {
				if _, err := s1.IngestEvent(ctx, f.app.ID, "invoice.paid", []byte(`{"i":`+itoa(i)+`}`), ""); err != nil {
					t.Fatal(err)
				}
			}
			runCtx, cancel := context.WithCancel(ctx)
			var wg sync.WaitGroup
			for _, s := range []*store.Store{s1, s2} {
				snd := sender.New(sender.Options{Store: s, AllowPrivate: true, Workers: 16, PerWebhook: 16, PollInterval: 20 * time.Millisecond})
				wg.Add(1)
				go func() { defer wg.Done(); snd.Run(runCtx) }()
			}
			deadline := time.Now().Add(60 * time.Second)
			for {
				var done int
				s1.DB().Get(&done, `SELECT COUNT(*) FROM deliveries WHERE status = 'succeeded'`)
				if done == events {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("only %d of %d delivered", done, events)
				}
				time.Sleep(50 * time.Millisecond)
			}
			cancel()
			wg.Wait()
			if n := concurrentDup.Load(); n != 0 {
				t.Errorf("%d deliveries were in flight twice at once", n)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) != events {
				t.Errorf("%d distinct events received, want %d", len(seen), events)
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("event %s sent %d times", id, n)
				}
			}
		})
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
