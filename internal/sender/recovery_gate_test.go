package sender

import (
	"slices"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
)

// mostInSecond is the most times in any window [t, t+1s).
func mostInSecond(times []time.Time) int {
	best, j := 0, 0
	for i := range times {
		for times[i].Sub(times[j]) >= time.Second {
			j++
		}
		best = max(best, i-j+1)
	}
	return best
}

// The gate lets a job's batches through at its rate to each webhook: on a
// steady database the rate over 10 s; with stalls (a take that lasts
// 100 ms each second) or, to one webhook, every take slower than a
// batch's 100 ms (a busy database: takes of 150 ms) it catches up, but
// never lets more than the rate into any 1-s window; two webhooks each
// get the rate, the take leaving a busy one's items queued (as
// store.TakeRecoveryBatch does). On a simulated clock, with items always
// queued.
func TestGatePacesBatches(t *testing.T) {
	for _, rate := range []int{1, 7, 20, 50, 400, 1000, 5000} {
		cases := []struct {
			take, stall time.Duration
			hooks       []string
		}{{time.Millisecond, 0, []string{"a", "b"}}, {time.Millisecond, 100 * time.Millisecond, []string{"a", "b"}}, {150 * time.Millisecond, 0, []string{"a"}}}
		for _, c := range cases {
			if c.take > 100*time.Millisecond && rate > 1000 {
				continue // 4 batches of 100 a take: at most 2,666/s with 150 ms takes
			}
			stall := c.take + c.stall
			sent := simulateGate(rate, c.take, c.stall, c.hooks, 10*time.Second)
			t.Logf("rate %d, take %v, stall %v: a %d, b %d in 10 s; at most %d, %d in 1 s", rate, c.take, c.stall, len(sent["a"]), len(sent["b"]), mostInSecond(sent["a"]), mostInSecond(sent["b"]))
			for id, times := range sent {
				if most := mostInSecond(times); most > rate {
					t.Errorf("rate %d, stall %v: webhook %s got %d in one second", rate, stall, id, most)
				}
				if want := 10 * rate; len(times) < want*9/10 || len(times) > want {
					t.Errorf("rate %d, stall %v: webhook %s got %d in 10 s, want %d (−10 %%)", rate, stall, id, len(times), want)
				}
			}
		}
	}
}

// simulateGate runs a job's loop for d on a simulated clock, each take
// lasting take (and stall more once a second), and returns when each
// webhook's requests went.
func simulateGate(rate int, take, stall time.Duration, hooks []string, d time.Duration) map[string][]time.Time {
	size := RecoveryBatchSize(rate)
	g := newGate(rate, size)
	start := time.Unix(1e9, 0)
	now, lastStall := start, start
	sent := map[string][]time.Time{}
	pos := map[string]int{"a": 0, "b": 1} // each webhook's next item in the queue
	for {
		busy, next, room := g.ready(now)
		if g.full(busy) {
			now = next // wait: every webhook is busy
			continue
		}
		if !now.Before(start.Add(d)) {
			return sent
		}
		// The queue is a, b, a, b, …: the take gets the first items not
		// to a busy webhook, as ORDER BY item_id with NOT IN does.
		var jobs []hook.Job
		for len(jobs) < room {
			id := "a"
			if len(hooks) > 1 && pos["b"] < pos["a"] {
				id = "b"
			}
			if slices.Contains(busy, id) {
				if id = map[string]string{"a": "b", "b": "a"}[id]; len(hooks) == 1 || slices.Contains(busy, id) {
					break
				}
			}
			pos[id] += len(hooks)
			jobs = append(jobs, hook.Job{Delivery: hook.Delivery{WebhookID: id}})
			sent[id] = append(sent[id], now)
		}
		if len(jobs) == 0 {
			g.held(busy) // the take found items to busy webhooks only
			now = next
			continue
		}
		g.took(jobs, now)
		now = now.Add(take)
		if stall > 0 && now.Sub(lastStall) >= time.Second {
			now, lastStall = now.Add(stall), now
		}
	}
}

// A job at 1,000/s takes 100 items a batch: a batch's two transactions
// cost about the same whatever its size, and at 50 a resend cost
// PostgreSQL a third more (BENCHMARKS.md, seventh pass). What a crash can
// leave in doubt stays 2,000 items at that rate, as it was with 50.
func TestRecoveryBatchSizes(t *testing.T) {
	for _, c := range []struct{ rate, size, bound int }{{1, 1, 5}, {5, 1, 20}, {20, 2, 40}, {400, 40, 800}, {1000, 100, 2000}, {5000, 100, 2000}} {
		if got := RecoveryBatchSize(c.rate); got != c.size {
			t.Errorf("rate %d: batches of %d, want %d", c.rate, got, c.size)
		}
		if got := InFlightBound(c.rate); got != c.bound {
			t.Errorf("rate %d: %d items may be in flight, want %d", c.rate, got, c.bound)
		}
	}
}
