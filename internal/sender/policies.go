package sender

import (
	"context"
	"sync"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
)

// Endpoint policies on the sending side: the store's claim applies rate
// limits and FIFO (internal/store/ratelimit.go, policies.go); the sender
// claims again when what they held back comes due, which no ingestion
// wake-up announces.

// dueNotifier is the store's OnDue (store.Store has it).
type dueNotifier interface {
	OnDue(fn func(first, until time.Time, every time.Duration))
}

// fifoPromoter is the store's PromoteFIFO (store.Store has it).
type fifoPromoter interface {
	PromoteFIFO(ctx context.Context) (int, error)
}

// minPace bounds how often pacing claims: at high limits one claim takes a
// batch (the store's burst is 40 ms of the limit, so a claim every 20 ms
// loses no turn), and a claim query every few milliseconds would cost the
// other webhooks' deliveries.
const minPace = 20 * time.Millisecond

// waker claims at set times: once at the earliest time asked for (a retry
// or a deferred delivery coming due), and every pace interval until a
// rate-limited webhook's deferred deliveries are all due.
type waker struct {
	mu        sync.Mutex
	timer     *time.Timer
	timerAt   time.Time
	paceFrom  time.Time // the pace's turns fall on paceFrom + n·paceEvery
	paceUntil time.Time
	paceEvery time.Duration
}

// onDue is the store's news that deliveries come due from first to until,
// one every every (0: just first).
func (s *Sender) onDue(first, until time.Time, every time.Duration) {
	s.wakeAt(first)
	if every <= 0 {
		return
	}
	w := &s.waker
	w.mu.Lock()
	defer w.mu.Unlock()
	every = max(every, minPace)
	if time.Now().After(w.paceUntil) || every < w.paceEvery {
		w.paceEvery, w.paceFrom = every, first
	}
	if until.After(w.paceUntil) {
		w.paceUntil = until
	}
}

// wakeAt wakes the claim loop at at (at once if it has passed), unless an
// earlier wake-up is set.
func (s *Sender) wakeAt(at time.Time) {
	d := time.Until(at)
	if d <= 0 {
		s.Wake()
		return
	}
	w := &s.waker
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil && w.timerAt.After(time.Now()) && !at.Before(w.timerAt) {
		return
	}
	if w.timer != nil {
		w.timer.Stop()
	}
	w.timerAt = at
	w.timer = time.AfterFunc(d, s.Wake)
}

// wakeForRetry wakes the claim loop for a retry due within a second (a
// short retry schedule, in development and tests, where a FIFO webhook's
// head waits for it), which the poll would find only much later than its
// wait. Later retries are left to the poll: a sender stepped by a test
// (sendertest) must not send them by itself.
func (s *Sender) wakeForRetry(out hook.Outcome) {
	if out.Status != hook.StatusRetrying || out.NextAttemptAt == nil {
		return
	}
	if d := out.NextAttemptAt.Sub(s.now()); d < min(s.poll, time.Second) {
		s.wakeAt(time.Now().Add(d))
	}
}

// paceTimer returns a channel that fires at the next turn of the pace
// while deferred deliveries are coming due, or nil. The turns fall on the
// deferred deliveries' times, so a claim comes as each becomes due and
// not a claim's length later.
func (s *Sender) paceTimer() (<-chan time.Time, func()) {
	w := &s.waker
	w.mu.Lock()
	from, until, every := w.paceFrom, w.paceUntil, w.paceEvery
	w.mu.Unlock()
	now := time.Now()
	if every <= 0 || !now.Before(until.Add(every)) {
		return nil, func() {}
	}
	d := time.Duration(0)
	if since := now.Sub(from); since < 0 {
		d = -since
	} else {
		d = every - since%every
	}
	if d < time.Millisecond {
		d += every
	}
	t := time.NewTimer(d)
	return t.C, func() { t.Stop() }
}

// promoteFIFO makes due the next delivery of FIFO webhooks whose head
// ended without its recording promoting one.
func (s *Sender) promoteFIFO(ctx context.Context) {
	p, ok := s.store.(fifoPromoter)
	if !ok {
		return
	}
	if _, err := p.PromoteFIFO(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("promote FIFO deliveries", "err", err)
	}
}
