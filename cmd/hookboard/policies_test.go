package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

// The endpoint policies with two real Hookboard processes on one
// PostgreSQL database (HOOKBOARD_CRASH_TEST=1, as .ci/run runs them): the
// rate limit holds across both, and FIFO keeps event order across both.

// policyReceiver logs each arrival's event (webhook-id) and time; fail
// says how to answer the nth arrival of an event.
type policyReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	ids   []string
	times []time.Time
	seen  map[string]int
}

func newPolicyReceiver(t *testing.T, fail func(n int) int) *policyReceiver {
	rc := &policyReceiver{seen: map[string]int{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("webhook-id")
		rc.mu.Lock()
		rc.ids = append(rc.ids, id)
		rc.times = append(rc.times, time.Now())
		rc.seen[id]++
		n := rc.seen[id]
		rc.mu.Unlock()
		w.WriteHeader(fail(n))
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *policyReceiver) snapshot() ([]string, []time.Time) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.ids), slices.Clone(rc.times)
}

// policyEnv is a crash environment whose plain webhooks are off, with one
// webhook of the given policy to rc.
func policyEnv(t *testing.T, rc *policyReceiver, edit func(*hook.WebhookInput), env ...string) (*crashEnv, *store.Store) {
	e := newCrashEnv(t, store.Postgres)
	e.env = append(e.env, env...)
	st, err := store.Open(context.Background(), e.dsn, store.Options{Box: e.box})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.DB().Exec(`UPDATE webhooks SET active = false`); err != nil {
		t.Fatal(err)
	}
	in := hook.WebhookInput{Name: "Policy", URL: rc.URL, Events: []string{"*"}, Active: true, AuthType: hook.AuthNone}
	edit(&in)
	if _, _, err := st.CreateWebhook(context.Background(), hook.Actor{}, e.app.ID, in, hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}); err != nil {
		t.Fatal(err)
	}
	return e, st
}

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

func waitArrivals(t *testing.T, rc *policyReceiver, n int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		ids, _ := rc.snapshot()
		if len(ids) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d arrivals after %v", len(ids), n, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sentBy counts the attempts a process logged.
func sentBy(p *proc) int { return strings.Count(p.out.String(), "msg=attempt") }

// A webhook limited to 50/s gets at most 55 in any second while 2,000
// deliveries are due to two processes, and all arrive.
func TestPoliciesRateLimitTwoProcesses(t *testing.T) {
	crashTest(t)
	rc := newPolicyReceiver(t, func(int) int { return http.StatusNoContent })
	e, st := policyEnv(t, rc, func(in *hook.WebhookInput) { in.RateLimit = 50 })
	batch := make([]store.IngestRequest, 2000)
	for i := range batch {
		batch[i] = store.IngestRequest{AppID: e.app.ID, EventType: "invoice.paid", Payload: fmt.Appendf(nil, `{"n":%d}`, i)}
	}
	if _, err := st.IngestBatch(context.Background(), batch, store.IngestLease{}); err != nil {
		t.Fatal(err)
	}
	p1, p2 := e.start(), e.start()
	waitArrivals(t, rc, 2000, 120*time.Second)
	ids, times := rc.snapshot()
	if len(ids) != 2000 {
		t.Fatalf("%d arrivals for 2000 deliveries", len(ids))
	}
	one, ten := maxInWindow(times, time.Second), maxInWindow(times, 10*time.Second)
	t.Logf("2000 deliveries in %v from two processes (%d and %d attempts); busiest second %d, busiest 10 s %d",
		times[len(times)-1].Sub(times[0]).Round(time.Millisecond), sentBy(p1), sentBy(p2), one, ten)
	if one > 55 || ten > 550 {
		t.Fatalf("limit of 50/s exceeded: %d in one second, %d in 10 s", one, ten)
	}
}

// 500 events to a FIFO webhook whose receiver fails each delivery's first
// attempt arrive in event order with two processes sending (and taking
// the events in turns).
func TestPoliciesFIFOTwoProcesses(t *testing.T) {
	crashTest(t)
	rc := newPolicyReceiver(t, func(n int) int {
		if n == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	e, st := policyEnv(t, rc, func(in *hook.WebhookInput) { in.Ordering = hook.OrderingFIFO }, "HOOKBOARD_RETRY_SCHEDULE=20ms,20ms,20ms")
	procs := []*proc{e.start(), e.start()}
	client := &http.Client{Timeout: 5 * time.Second}
	for i := range 500 {
		req, _ := http.NewRequest(http.MethodPost, procs[i%2].base+"/api/v1/apps/"+e.app.ID+"/events", strings.NewReader(fmt.Sprintf(`{"eventType":"invoice.paid","payload":{"n":%d}}`, i)))
		req.Header.Set("Authorization", "Bearer "+e.apiKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("ingest: status %d", resp.StatusCode)
		}
	}
	waitArrivals(t, rc, 1000, 180*time.Second)
	ids, times := rc.snapshot()
	var order []string
	if err := st.DB().Select(&order, `SELECT id FROM events ORDER BY created_at, id`); err != nil {
		t.Fatal(err)
	}
	for i, id := range order {
		if ids[2*i] != id || ids[2*i+1] != id {
			t.Fatalf("arrival %d: %s, %s; want event %d (%s) twice (failed, then retried) before the next", 2*i, ids[2*i], ids[2*i+1], i, id)
		}
	}
	t.Logf("500 events, 1000 attempts in order in %v (%d and %d attempts by the two processes)",
		times[len(times)-1].Sub(times[0]).Round(time.Millisecond), sentBy(procs[0]), sentBy(procs[1]))
	if sentBy(procs[0]) == 0 || sentBy(procs[1]) == 0 {
		t.Log("note: one process sent everything")
	}
}
