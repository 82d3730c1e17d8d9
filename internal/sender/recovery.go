package sender

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

// RecoveryStore is what the recovery runner needs from storage
// (store.Store has it; see store/recoveries_run.go).
type RecoveryStore interface {
	ClaimRecovery(ctx context.Context, owner string, lease time.Duration, running []string) (hook.Recovery, bool, error)
	TakeRecoveryBatch(ctx context.Context, owner, id string, limit int, lease time.Duration, busy ...string) (store.RecoveryBatch, error)
	RecordRecoveryBatch(ctx context.Context, owner, id string, recs []store.AttemptRecord) error
	ReleaseRecovery(ctx context.Context, owner, id string) error
}

// RecoveryOptions configure a RecoveryRunner.
type RecoveryOptions struct {
	// Poll is how often the runner looks for jobs to claim; default 500ms.
	Poll time.Duration
	// MaxJobs is how many jobs one process runs at once; default 8.
	MaxJobs int
}

// RecoveryRunner runs recovery jobs (Recover, Bulk resend, Replay missing)
// beside a Sender, as that sender's lease owner: a job is claimed under a
// lease like a delivery, and when this process dies another takes it over
// (at once on PostgreSQL, at its start on SQLite: Sender.Hold). Each
// request is the sender's own (same client, signing and recording as a
// Resend), with trigger "recovery", at the job's rate to each webhook.
//
// A job never sends an item twice: a batch of items is marked in flight in
// the database just before its requests start, all at once, and recorded
// after. Items a dead process left in flight are marked interrupted
// instead of being sent again; they are the requests that were under way
// at its death (at most InFlightBound), and only the batch that had just
// started can have requests that never reached the webhook.
//
// Pacing is per batch (a gate): a batch is taken only when it can go at
// once, and items to webhooks with no room for a batch now (busy) are left
// queued by the take, so no item waits once in flight. A rate-limited webhook's requests also take
// tokens of its shared bucket as they are taken (store.TakeRecoveryBatch).
type RecoveryRunner struct {
	store   RecoveryStore
	sender  *Sender
	poll    time.Duration
	maxJobs int

	mu      sync.Mutex // guards running
	running map[string]bool
}

// MaxRecoveryBatch bounds how many items of a job one batch takes.
const MaxRecoveryBatch = 100

// maxBatchesOut is how many of a job's batches may have requests out at
// once: enough to keep the rate through a receiver that answers in 5
// batch intervals (0.5 s at any rate from 10/s).
const maxBatchesOut = 5

// RecoveryBatchSize is how many items a job at rate takes at a time: 100
// ms worth, from 1 to MaxRecoveryBatch. A batch costs two transactions and
// some 18 statements whatever its size (20 transactions a second at
// 1,000/s), and its requests start together. Half that (50 ms, 50 items)
// made a resend cost PostgreSQL a third more, and the plain traffic beside
// a job kept 87 % instead of 91 % (BENCHMARKS.md, seventh pass). After a
// take that came late (a busy database) the next may take up to
// RecoveryMaxBatch to catch up.
func RecoveryBatchSize(rate int) int { return max(1, min(MaxRecoveryBatch, rate/10)) }

// RecoveryMaxBatch is the most one take of a job at rate gets: four
// batches (within the rate), when catching up. It is also the most that
// can be in flight without having started when the process dies.
func RecoveryMaxBatch(rate int) int { return min(4*RecoveryBatchSize(rate), max(1, rate)) }

// InFlightBound is how many of a job's items can be in flight at once
// (maxBatchesOut takes of requests under way), and so in doubt
// (interrupted) when its process dies.
func InFlightBound(rate int) int { return maxBatchesOut * RecoveryMaxBatch(rate) }

// NewRecoveryRunner returns a runner sending with snd; call Run after
// snd.Hold, beside snd.Run.
func NewRecoveryRunner(st RecoveryStore, snd *Sender, opts RecoveryOptions) *RecoveryRunner {
	r := &RecoveryRunner{store: st, sender: snd, poll: opts.Poll, maxJobs: opts.MaxJobs, running: map[string]bool{}}
	if r.poll <= 0 {
		r.poll = 500 * time.Millisecond
	}
	if r.maxJobs <= 0 {
		r.maxJobs = 8
	}
	return r
}

// Run claims and runs jobs until ctx ends; then each job finishes and
// records the batch in flight (its requests are bounded by the delivery
// timeout) and gives its lease back, so the next process resumes it at once.
func (r *RecoveryRunner) Run(ctx context.Context) error {
	var jobs sync.WaitGroup
	defer jobs.Wait()
	t := time.NewTicker(r.poll)
	defer t.Stop()
	for {
		r.claim(ctx, &jobs)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// claim takes open jobs while this process runs fewer than maxJobs.
func (r *RecoveryRunner) claim(ctx context.Context, jobs *sync.WaitGroup) {
	for ctx.Err() == nil {
		r.mu.Lock()
		n := len(r.running)
		ids := make([]string, 0, n)
		for id := range r.running {
			ids = append(ids, id)
		}
		r.mu.Unlock()
		if n >= r.maxJobs {
			return
		}
		job, ok, err := r.store.ClaimRecovery(context.WithoutCancel(ctx), r.sender.owner, r.sender.lease, ids)
		if err != nil {
			r.sender.log.Error("claim recovery job", "err", err)
			return
		}
		if !ok {
			return
		}
		r.mu.Lock()
		r.running[job.ID] = true
		r.mu.Unlock()
		r.sender.log.Info("recovery job started", "recovery", job.ID, "kind", job.Kind, "total", job.Total, "done", job.Processed(), "rate", job.Rate)
		jobs.Go(func() {
			defer func() {
				r.mu.Lock()
				delete(r.running, job.ID)
				r.mu.Unlock()
			}()
			r.runJob(ctx, job)
		})
	}
}

// runJob takes, sends and records batches until the job ends, is lost
// (cancelled, taken over) or ctx ends. Each batch is taken when the gate
// lets it go at once (leaving busy webhooks' items queued), and its
// requests start at once; the next batch is taken while they are out, so
// the rate holds whatever the receiver's latency (up to maxBatchesOut
// batches out).
func (r *RecoveryRunner) runJob(ctx context.Context, job hook.Recovery) {
	s := r.sender
	bg := context.WithoutCancel(ctx)
	size := RecoveryBatchSize(job.Rate)
	g := newGate(job.Rate, size)
	slots := make(chan struct{}, maxBatchesOut) // batches with requests out
	var out sync.WaitGroup
	var broken atomic.Bool // a batch could not be recorded
	defer func() {
		out.Wait()
		if ctx.Err() != nil || broken.Load() {
			// The next process (or this one's next claim) resumes it; what
			// could not be recorded is marked interrupted then.
			if err := r.store.ReleaseRecovery(bg, s.owner, job.ID); err != nil {
				s.log.Error("release recovery job", "recovery", job.ID, "err", err)
			}
		}
	}()
	var recorded sync.Mutex // batches are recorded one at a time
	for ctx.Err() == nil && !broken.Load() {
		slots <- struct{}{}
		opened, busy, room, ok := g.wait(ctx)
		if !ok {
			<-slots
			return
		}
		b, err := r.store.TakeRecoveryBatch(bg, s.owner, job.ID, room, s.lease, busy...)
		if err != nil || b.Finished || len(b.Jobs) == 0 {
			<-slots
			if b.Held {
				// Only busy webhooks' items are left: wait for the first.
				g.held(busy)
				_, next, _ := g.ready(time.Now())
				sleepCtx(ctx, min(max(time.Until(next), time.Millisecond), time.Second))
				continue
			}
			if !r.idle(ctx, job.ID, b, err) {
				return
			}
			continue
		}
		g.took(b.Jobs, opened)
		out.Go(func() {
			defer func() { <-slots }()
			recs := r.send(b.Jobs)
			recorded.Lock()
			defer recorded.Unlock()
			if !r.record(bg, job.ID, recs) {
				broken.Store(true)
			}
		})
	}
}

// idle handles a take that brought nothing to send, and reports whether
// the job goes on: it waits when items are being retried by the sender,
// wait for a rate limit's token, or are its own still out, and ends on a
// finished or lost job.
func (r *RecoveryRunner) idle(ctx context.Context, id string, b store.RecoveryBatch, err error) bool {
	s := r.sender
	switch {
	case errors.Is(err, store.ErrRecoveryLost):
		s.log.Info("recovery job stopped here (cancelled, or taken over)", "recovery", id)
		return false
	case err != nil:
		s.log.Error("recovery job: take a batch", "recovery", id, "err", err)
		sleepCtx(ctx, time.Second)
	case b.Finished:
		s.log.Info("recovery job done", "recovery", id)
		return false
	case !b.LimitedUntil.IsZero():
		// The webhook's rate limit has no token for it before then.
		sleepCtx(ctx, min(max(time.Until(b.LimitedUntil), time.Millisecond), time.Second))
	default:
		// Every item left is being retried by the sender right now, or
		// this runner's last batches are still out.
		sleepCtx(ctx, 20*time.Millisecond)
	}
	return true
}

// send makes the batch's requests, all at once, and returns them to
// record. A batch is sent whole even if the job is cancelled or the
// process stops meanwhile: its items are in flight.
func (r *RecoveryRunner) send(jobs []hook.Job) []store.AttemptRecord {
	r.refreshTargets(jobs)
	recs := make([]store.AttemptRecord, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() { recs[i] = r.attempt(j) })
	}
	wg.Wait()
	return recs
}

// refreshTargets reads the batch's webhooks afresh (one read each per
// batch), so a job started right after its webhook was edited ("fix the
// URL, then Recover") sends to the new address, not to one the sender's
// cache still holds for up to a second. A read that fails is left to
// attempt, which reports it.
func (r *RecoveryRunner) refreshTargets(jobs []hook.Job) {
	seen := map[string]bool{}
	for _, j := range jobs {
		if !seen[j.WebhookID] {
			seen[j.WebhookID] = true
			_, _ = r.sender.target(context.Background(), j.WebhookID, true)
		}
	}
}

// attempt is one request of a job, made by the sender's attempt (the same
// as a Resend's), with the outcome a Resend has: a failure leaves the
// delivery as it was. A replayed delivery's first attempt starts its retry
// schedule, as a new delivery's does.
func (r *RecoveryRunner) attempt(j hook.Job) store.AttemptRecord {
	s := r.sender
	as := hook.TriggerManual
	if j.Status == hook.StatusPending && j.Attempts == 0 {
		as = hook.TriggerAutomatic // a replay's new delivery
	}
	ctx := context.Background()
	ct, err := s.target(ctx, j.WebhookID, false)
	if err != nil {
		a := hook.Attempt{DeliveryID: j.ID, WebhookID: j.WebhookID, Trigger: hook.TriggerRecovery, CreatedAt: s.now(),
			Error: "could not load the webhook"}
		s.log.Error("recovery: load webhook", "delivery", j.ID, "webhook", j.WebhookID, "err", err)
		return store.AttemptRecord{Job: j, Attempt: a, Outcome: hook.AfterAttemptOn(s.schedule, j.Delivery, as, false, 0, 0, s.now(), s.jitter)}
	}
	a, retryAfter := s.attempt(ctx, j, ct, hook.TriggerRecovery)
	out := hook.AfterAttemptOn(s.schedule, j.Delivery, as, a.Succeeded, a.ResponseStatus, retryAfter, s.now(), s.jitter)
	return store.AttemptRecord{Job: j, Attempt: a, Outcome: out}
}

// record stores a batch's outcomes, trying a few times: until it is
// recorded its items stay in flight, and the job's next claim marks them
// interrupted rather than send them again. false when it could not.
func (r *RecoveryRunner) record(ctx context.Context, id string, recs []store.AttemptRecord) bool {
	s := r.sender
	var err error
	for try := range 3 {
		if try > 0 {
			time.Sleep(time.Duration(try) * 500 * time.Millisecond)
		}
		if err = r.store.RecordRecoveryBatch(ctx, s.owner, id, recs); err == nil || errors.Is(err, store.ErrRecoveryLost) {
			break
		}
	}
	if errors.Is(err, store.ErrRecoveryLost) {
		return true // taken over: the new owner marked them interrupted
	}
	if err != nil {
		s.log.Error("recovery job: record a batch", "recovery", id, "count", len(recs), "err", err)
		return false
	}
	for _, rec := range recs {
		s.metrics.Attempt(rec.Attempt.Trigger, rec.Outcome.Status, rec.Attempt.Duration)
		s.log.Info("attempt", "delivery", rec.Job.ID, "webhook", rec.Job.WebhookID, "trigger", rec.Attempt.Trigger, "recovery", id,
			"status", rec.Attempt.ResponseStatus, "succeeded", rec.Attempt.Succeeded, "duration_ms", rec.Attempt.Duration.Milliseconds(),
			"outcome", rec.Outcome.Status, "error", rec.Attempt.Error)
	}
	return true
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
