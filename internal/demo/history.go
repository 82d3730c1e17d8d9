package demo

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

// legacyOffFor is how long ago Hookboard turned the Legacy CRM webhook off.
const legacyOffFor = 6 * time.Hour

// historyHook is a demo webhook as the history needs it; until, when set,
// is when it stopped getting deliveries.
type historyHook struct {
	id, url, path string
	events        []string
	until         time.Time
}

// history is a day of events, one every 10 minutes, with their deliveries
// as each endpoint would have answered them under the retry schedule: so
// the first page already shows succeeded, failed (410 Gone, and the
// turned-off Legacy CRM) and retrying deliveries, and a chart with a day
// in it. The random choices are seeded: the screenshots stay the same.
func history(hooks []historyHook, now time.Time) []store.HistoryEvent {
	rng := rand.New(rand.NewPCG(7, 42))
	var out []store.HistoryEvent
	for at := now.Add(-24 * time.Hour); at.Before(now.Add(-2 * time.Minute)); at = at.Add(10 * time.Minute) {
		at := at.Add(time.Duration(rng.IntN(300)) * time.Second)
		et := eventTypes[rng.IntN(len(eventTypes))]
		var payload map[string]any
		json.Unmarshal([]byte(et.Example), &payload)
		payload["sequence"] = len(out) + 1
		payload["occurredAt"] = at.Format(time.RFC3339)
		body, _ := json.Marshal(payload)
		e := store.HistoryEvent{Type: et.Name, Payload: body, At: at}
		for _, h := range hooks {
			if !slices.Contains(h.events, et.Name) && !slices.Contains(h.events, hook.AllEvents) {
				continue
			}
			if !h.until.IsZero() && at.After(h.until) {
				continue
			}
			e.Deliveries = append(e.Deliveries, delivered(h, at, now, rng))
		}
		out = append(out, e)
	}
	return out
}

// answer is how an endpoint answered one attempt.
func answer(h historyHook, n int, rng *rand.Rand) store.HistoryAttempt {
	ms := time.Duration(20+rng.IntN(80)) * time.Millisecond
	switch h.path {
	case "/ok":
		return store.HistoryAttempt{Succeeded: true, Status: 200, Body: `{"received":true}`, Duration: ms}
	case "/flaky":
		if n == 1 && rng.IntN(4) == 0 {
			return store.HistoryAttempt{Status: 503, Body: "service temporarily unavailable", Duration: ms}
		}
		return store.HistoryAttempt{Succeeded: true, Status: 204, Duration: ms}
	case "/slow":
		return store.HistoryAttempt{Error: "timeout: no response within 2s", Duration: 2 * time.Second}
	case "/gone":
		return store.HistoryAttempt{Status: 410, Body: "this endpoint was removed", Duration: ms}
	case "/error":
		return store.HistoryAttempt{Status: 500, Body: "Traceback (most recent call last):\n  File \"handler.py\", line 42, in receive\nKeyError: 'customer'", Duration: ms}
	}
	// The Legacy CRM's certificate expired a day before its 5 days of
	// failures began.
	expired := h.until.Add(-6 * 24 * time.Hour).Truncate(24 * time.Hour).Add(-time.Second)
	return store.HistoryAttempt{Error: fmt.Sprintf("TLS: certificate %s on %s", hook.TLSExpired, expired.Format(time.RFC3339)), Duration: ms}
}

// delivered plays one delivery through the retry schedule until now (or
// until its webhook was turned off).
func delivered(h historyHook, at, now time.Time, rng *rand.Rand) store.HistoryDelivery {
	d := store.HistoryDelivery{WebhookID: h.id, URL: h.url}
	t := at.Add(time.Duration(200+rng.IntN(800)) * time.Millisecond)
	for n := 1; ; n++ {
		a := answer(h, n, rng)
		a.At = t
		d.Attempts = append(d.Attempts, a)
		retryAfter := time.Duration(0)
		if a.Status == 503 {
			retryAfter = 10 * time.Second
		}
		out := hook.NextOutcome(a.Succeeded, a.Status, n, retryAfter, t, func() float64 { return rng.Float64()*2 - 1 })
		if out.Status != hook.StatusRetrying {
			d.Status = out.Status
			return d
		}
		next := *out.NextAttemptAt
		if !h.until.IsZero() && next.After(h.until) {
			d.Status = hook.StatusFailed // turned off: no more attempts
			return d
		}
		if next.After(now) {
			d.Status, d.NextAttempt = hook.StatusRetrying, next
			return d
		}
		t = next
	}
}
