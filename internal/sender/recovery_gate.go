package sender

import (
	"context"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
)

// gate paces a job's batches at its rate to each webhook. A batch is
// taken (its items marked in flight) only when it can go at once: the
// webhooks without room for a whole batch now are busy, and the take
// leaves their items queued. Two rules per webhook:
//   - a pacer: each batch books its requests' share of time (n × 1/rate);
//     after a stall (a slow database under load) up to catchUp of lost
//     time may be made up, so the rate holds over seconds;
//   - a window: the requests of the last second plus a whole batch stay
//     within the rate, so no 1-s window ever gets more than the rate, even
//     while catching up.
type gate struct {
	rate  int
	size  int // a batch: 100 ms of the rate
	most  int // the largest batch, catching up after a late take
	every time.Duration
	hooks map[string]*hookPace
	now   func() time.Time
	// known: the job's items left are all to webhooks the gate knows (a
	// take that left only busy ones' items said so), so when all of them
	// are busy there is nothing to take.
	known bool
}

// hookPace is one webhook's pacer and the requests it got in the last
// second.
type hookPace struct {
	next time.Time
	sent []stamp
}

type stamp struct {
	at time.Time
	n  int
}

// catchUp is how much time a pacer may make up after a pause.
const catchUp = 250 * time.Millisecond

func newGate(rate, size int) *gate {
	rate = max(1, rate)
	return &gate{rate: rate, size: min(size, rate), most: min(4*size, rate), every: time.Second / time.Duration(rate), hooks: map[string]*hookPace{}, now: time.Now}
}

// wait blocks until a batch may be taken: at once unless every webhook the
// job sent to lately is busy (has no room for a whole batch now) and the
// job has items to no other (known), then until the first is free. It
// returns when it opened (what took books: the take's own time is about
// the same for every batch, so it shifts them all and leaves their
// spacing), the webhooks still busy, whose items the take leaves queued,
// and how many items it may take; false when ctx ended first.
func (g *gate) wait(ctx context.Context) (time.Time, []string, int, bool) {
	for ctx.Err() == nil {
		now := g.now()
		busy, next, room := g.ready(now)
		if !g.full(busy) {
			return now, busy, room, true
		}
		sleepCtx(ctx, next.Sub(now))
	}
	return time.Time{}, nil, 0, false
}

// ready returns the webhooks busy at now (no room for a whole batch), when
// the first of them has room, and how many items the others may all get
// now (a batch, more when behind: at most g.most). It forgets webhooks that were free for
// a second.
func (g *gate) ready(now time.Time) (busy []string, next time.Time, room int) {
	room = g.most
	for id, p := range g.hooks {
		i := 0
		for i < len(p.sent) && !p.sent[i].at.After(now.Add(-time.Second)) {
			i++
		}
		p.sent = p.sent[i:]
		if len(p.sent) == 0 && p.next.Before(now.Add(-time.Second)) {
			// Free for a second and not taken: it has no items left. (Should
			// it have, the next take that finds only busy ones' says so.)
			delete(g.hooks, id)
			g.known = false
			continue
		}
		at := p.next
		// The window: drop the oldest requests until a batch fits.
		n := g.size
		for _, s := range p.sent {
			n += s.n
		}
		// What it may get now: the window's room, and a batch plus what
		// the pacer is behind (a take that came late catches up).
		behind := int(now.Sub(later(p.next, now.Add(-catchUp))) / g.every)
		may := min(g.rate-(n-g.size), g.size+behind)
		for _, s := range p.sent {
			if n <= g.rate {
				break
			}
			n -= s.n
			at = later(at, s.at.Add(time.Second))
		}
		if at.After(now) {
			busy = append(busy, id)
			if next.IsZero() || at.Before(next) {
				next = at
			}
		} else {
			room = min(room, may)
		}
	}
	return busy, next, max(room, g.size)
}

// full reports whether nothing can be taken while busy are.
func (g *gate) full(busy []string) bool {
	return g.known && len(busy) > 0 && len(busy) == len(g.hooks)
}

// held notes that a take left items only to the busy webhooks; when they
// were all the webhooks it knows, it knows them all.
func (g *gate) held(busy []string) {
	if len(busy) == len(g.hooks) {
		g.known = true
	}
}

// took books a batch's requests, let through at now (wait's time).
func (g *gate) took(jobs []hook.Job, now time.Time) {
	counts := map[string]int{}
	for _, j := range jobs {
		counts[j.WebhookID]++
	}
	for id, n := range counts {
		p := g.hooks[id]
		if p == nil {
			p = &hookPace{}
			g.hooks[id] = p
		}
		at := later(p.next, now.Add(-catchUp))
		p.next = at.Add(time.Duration(n) * g.every)
		p.sent = append(p.sent, stamp{at: now, n: n})
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
