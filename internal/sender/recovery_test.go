package sender_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// arrivals is a receiver that notes when each webhook-id arrived.
type arrivals struct {
	mu sync.Mutex
	at map[string][]time.Time
}

func (a *arrivals) handle(w http.ResponseWriter, r *http.Request, _ int) {
	a.mu.Lock()
	if a.at == nil {
		a.at = map[string][]time.Time{}
	}
	id := r.Header.Get("webhook-id")
	a.at[id] = append(a.at[id], time.Now())
	a.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// between counts the arrivals in [from, to).
func (a *arrivals) between(from, to time.Time) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, ts := range a.at {
		for _, t := range ts {
			if !t.Before(from) && t.Before(to) {
				n++
			}
		}
	}
	return n
}

func (a *arrivals) snapshot() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	m := make(map[string]int, len(a.at))
	for id, ts := range a.at {
		m[id] = len(ts)
	}
	return m
}

// failDeliveries ingests n invoice.paid events and fails every delivery
// they make once (an automatic attempt that got 503, retries used up).
func (f *fixture) failDeliveries(n int) []string {
	f.t.Helper()
	var events []string
	for range n {
		events = append(events, f.ingest("invoice.paid", `{"type":"invoice.paid"}`).Event.ID)
	}
	for {
		jobs, err := f.store.ClaimDue(ctx, "fixture", 500, time.Minute, nil)
		if err != nil {
			f.t.Fatal(err)
		}
		if len(jobs) == 0 {
			return events
		}
		recs := make([]store.AttemptRecord, len(jobs))
		for i, j := range jobs {
			recs[i] = store.AttemptRecord{Job: j, Attempt: hook.Attempt{Trigger: hook.TriggerAutomatic, RequestURL: "http://down", ResponseStatus: 503},
				Outcome: hook.Outcome{Status: hook.StatusFailed}}
		}
		if _, err := f.store.RecordAttempts(ctx, "fixture", recs); err != nil {
			f.t.Fatal(err)
		}
	}
}

// runRecovery runs a sender and its recovery runner as the assembly does
// (Hold, then both Run) until the test ends.
func (f *fixture) runRecovery() *sender.Sender {
	f.t.Helper()
	snd := f.sender(sender.Options{PollInterval: 50 * time.Millisecond})
	release, err := snd.Hold(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { snd.Run(runCtx) })
	wg.Go(func() {
		sender.NewRecoveryRunner(f.store, snd, sender.RecoveryOptions{Poll: 50 * time.Millisecond}).Run(runCtx)
	})
	f.t.Cleanup(func() { cancel(); wg.Wait(); release() })
	return snd
}

func (f *fixture) waitRecovery(id string, limit time.Duration, until func(hook.Recovery) bool) hook.Recovery {
	f.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		r, err := f.store.GetRecovery(ctx, f.app.ID, id)
		if err != nil {
			f.t.Fatal(err)
		}
		if until(r) {
			return r
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("recovery job after %v: %+v", limit, r)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A recovery job resends each failed delivery once, like Resend: same
// payload and webhook-id, a new attempt with trigger "recovery"; the
// deliveries end succeeded and the job's counts add up.
func TestRecoveryJobResendsEachOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		var got arrivals
		rc := newReceiver(t, got.handle)
		wh, _ := f.webhook("A", rc.URL+"/a", []string{"invoice.paid"}, true)
		since := time.Now().Add(-time.Minute)
		events := f.failDeliveries(40)
		job, err := s.StartRecovery(ctx, actor, f.app.ID, hook.RecoverySpec{Kind: hook.RecoverFailed, WebhookID: wh.ID, Since: since}, 1000)
		if err != nil || job.Total != 40 {
			t.Fatalf("start: %+v, %v", job, err)
		}
		f.runRecovery()
		done := f.waitRecovery(job.ID, 20*time.Second, func(r hook.Recovery) bool { return r.Status == hook.RecoveryDone })
		if done.Succeeded != 40 || done.Sent != 40 || done.Failed != 0 || done.Skipped != 0 || done.Total != done.Processed() {
			t.Errorf("job: %+v", done)
		}
		counts := got.snapshot()
		for _, ev := range events {
			if counts[ev] != 1 {
				t.Errorf("event %s arrived %d times", ev, counts[ev])
			}
		}
		for _, r := range rc.got()[:1] {
			if string(r.body) != `{"type":"invoice.paid"}` || r.header.Get("webhook-signature") == "" {
				t.Errorf("request: %q %v", r.body, r.header)
			}
		}
		d := f.deliveries(events[0])[0]
		attempts, err := s.Attempts(ctx, d.ID)
		if err != nil || d.Status != hook.StatusSucceeded || len(attempts) != 2 || attempts[0].Trigger != hook.TriggerRecovery || !attempts[0].Succeeded {
			t.Errorf("delivery %s after the job: %+v", d.Status, attempts)
		}
	})
}

// The job's rate holds (within 10 % over 5 s) and another webhook's
// deliveries keep flowing meanwhile, each within a second. (The two
// databases run at once: the test takes seconds of wall time each.)
func TestRecoveryRateHoldsBesideTraffic(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Parallel()
			recoveryRateBesideTraffic(t, storetest.New(t, dialect, storetest.Options{}))
		})
	}
}

func recoveryRateBesideTraffic(t *testing.T, s *store.Store) {
	f := newFixture(t, s, nil)
	var got, other arrivals
	rc := newReceiver(t, got.handle)
	orc := newReceiver(t, other.handle)
	wh, _ := f.webhook("A", rc.URL+"/a", []string{"invoice.paid"}, true)
	f.webhook("B", orc.URL+"/b", []string{"user.created"}, true)
	since := time.Now().Add(-time.Minute)
	f.failDeliveries(300)
	const rate = 50
	job, err := s.StartRecovery(ctx, actor, f.app.ID, hook.RecoverySpec{Kind: hook.RecoverFailed, WebhookID: wh.ID, Since: since}, rate)
	if err != nil {
		t.Fatal(err)
	}
	snd := f.runRecovery()
	f.ingester(snd)
	f.waitRecovery(job.ID, 10*time.Second, func(r hook.Recovery) bool { return r.Sent > 0 })
	start := time.Now()
	var sentAt []time.Time
	var ids []string
	for time.Since(start) < 5*time.Second {
		ids = append(ids, f.ingest("user.created", `{"type":"user.created"}`).Event.ID)
		sentAt = append(sentAt, time.Now())
		time.Sleep(20 * time.Millisecond)
	}
	n := got.between(start, start.Add(5*time.Second))
	t.Logf("%d job requests in 5 s at %d/s; %d events to the other webhook", n, rate, len(ids))
	if n < 5*rate*9/10 || n > 5*rate*11/10 {
		t.Errorf("%d job requests in 5 s, want %d ± 10 %%", n, 5*rate)
	}
	time.Sleep(time.Second)
	other.mu.Lock()
	defer other.mu.Unlock()
	for i, id := range ids {
		if len(other.at[id]) != 1 {
			t.Errorf("other webhook's event %d arrived %d times", i, len(other.at[id]))
		} else if lag := other.at[id][0].Sub(sentAt[i]); lag > time.Second {
			t.Errorf("other webhook's event %d arrived %v after it was sent", i, lag)
		}
	}
}

// A cancelled job stops within a second: nothing arrives from it after.
func TestRecoveryCancelStopsWithinASecond(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		var got arrivals
		rc := newReceiver(t, got.handle)
		wh, _ := f.webhook("A", rc.URL+"/a", []string{"invoice.paid"}, true)
		since := time.Now().Add(-time.Minute)
		f.failDeliveries(60)
		job, err := s.StartRecovery(ctx, actor, f.app.ID, hook.RecoverySpec{Kind: hook.RecoverFailed, WebhookID: wh.ID, Since: since}, 20)
		if err != nil {
			t.Fatal(err)
		}
		f.runRecovery()
		f.waitRecovery(job.ID, 10*time.Second, func(r hook.Recovery) bool { return r.Sent >= 5 })
		if _, err := s.CancelRecovery(ctx, actor, f.app.ID, job.ID); err != nil {
			t.Fatal(err)
		}
		cancelled := time.Now()
		time.Sleep(2 * time.Second)
		if late := got.between(cancelled.Add(time.Second), time.Now()); late > 0 {
			t.Errorf("%d requests more than a second after the cancel", late)
		}
		final, _ := s.GetRecovery(ctx, f.app.ID, job.ID)
		if final.Status != hook.RecoveryCancelled || final.Sent != got.between(time.Time{}, time.Now()) || final.Remaining() == 0 {
			t.Errorf("cancelled job %+v; %d requests arrived", final, got.between(time.Time{}, time.Now()))
		}
	})
}
