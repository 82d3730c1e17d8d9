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
	TakeRecoveryBatch(ctx context.Context, owner, id string, limit int, lease time.Duration) (store.RecoveryBatch, error)
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
// the database before its requests, and recorded after. Items a dead
// process left in flight are marked interrupted instead of being sent
// again, so at most InFlightBound items per process death are in doubt:
// two batches of 100 ms of the job's rate (200 items at 1,000/s).
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

// RecoveryBatchSize is how many items a job at rate takes at a time: 100 ms
// worth, from 1 to MaxRecoveryBatch. A batch costs two transactions
// whatever its size, so a smaller one costs throughput (PostgreSQL on two
// busy cores: 2,000 items in 0.65 s of database time in batches of 100,
// 1.0 s in batches of 50) for fewer items in doubt after a crash.
func RecoveryBatchSize(rate int) int { return max(1, min(MaxRecoveryBatch, rate/10)) }

// InFlightBound is how many of a job's items can be in flight at once (two
// batches), and so in doubt (interrupted) when its process dies.
func InFlightBound(rate int) int { return 2 * RecoveryBatchSize(rate) }

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
// (cancelled, taken over) or ctx ends. It is a pipeline: the next batch is
// taken while the last one's requests are still out, so the rate holds
// whatever the receiver's latency, and at most two batches are in flight
// (taken, not recorded) at any time: InFlightBound.
func (r *RecoveryRunner) runJob(ctx context.Context, job hook.Recovery) {
	s := r.sender
	bg := context.WithoutCancel(ctx)
	size := RecoveryBatchSize(job.Rate)
	pacers := map[string]*pacer{}
	slots := make(chan struct{}, 2) // batches in flight
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
	var recorded sync.Mutex // batches are recorded in order, one at a time
	for ctx.Err() == nil && !broken.Load() {
		slots <- struct{}{}
		b, err := r.store.TakeRecoveryBatch(bg, s.owner, job.ID, size, s.lease)
		if err != nil || b.Finished || len(b.Jobs) == 0 {
			<-slots
			if !r.idle(ctx, job.ID, b, err) {
				return
			}
			continue
		}
		at := schedule(job.Rate, b.Jobs, pacers)
		out.Go(func() {
			defer func() { <-slots }()
			recs := r.send(b.Jobs, at)
			recorded.Lock()
			defer recorded.Unlock()
			if !r.record(bg, job.ID, recs) {
				broken.Store(true)
			}
		})
	}
}

// idle handles a take that brought nothing to send, and reports whether
// the job goes on: it waits when items are being retried by the sender or
// its own are still out, and ends on a finished or lost job.
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
	default:
		// Every item left is being retried by the sender right now, or
		// this runner's last batches are still out.
		sleepCtx(ctx, 20*time.Millisecond)
	}
	return true
}

// schedule books each job's slot at its webhook's pacer.
func schedule(rate int, jobs []hook.Job, pacers map[string]*pacer) []time.Time {
	now := time.Now()
	at := make([]time.Time, len(jobs))
	for i, j := range jobs {
		p := pacers[j.WebhookID]
		if p == nil {
			p = newPacer(rate)
			pacers[j.WebhookID] = p
		}
		at[i] = p.slot(now)
	}
	return at
}

// send makes the batch's requests, each at its slot, concurrently, and
// returns them to record. A batch is sent whole even if the job is
// cancelled or the process stops meanwhile (it lasts about 100 ms): its
// items are in flight.
func (r *RecoveryRunner) send(jobs []hook.Job, at []time.Time) []store.AttemptRecord {
	recs := make([]store.AttemptRecord, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			if d := time.Until(at[i]); d > 0 {
				time.Sleep(d)
			}
			recs[i] = r.attempt(j)
		})
	}
	wg.Wait()
	return recs
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
		return store.AttemptRecord{Job: j, Attempt: a, Outcome: hook.AfterAttempt(j.Delivery, as, false, 0, 0, s.now(), s.jitter)}
	}
	a, retryAfter := s.attempt(ctx, j, ct, hook.TriggerRecovery)
	out := hook.AfterAttempt(j.Delivery, as, a.Succeeded, a.ResponseStatus, retryAfter, s.now(), s.jitter)
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

// pacer spaces one webhook's requests of a job at its rate. After a stall
// (a slow database under load) it lets up to catchUp of lost time be made
// up at once, so the rate holds over seconds: over any 5 s a webhook gets
// at most rate × 5.25 s of the job's requests (5 % more).
type pacer struct {
	every time.Duration
	next  time.Time
}

// catchUp is how much time a pacer may make up after a pause.
const catchUp = 250 * time.Millisecond

func newPacer(rate int) *pacer { return &pacer{every: time.Second / time.Duration(max(1, rate))} }

// slot returns when the next request may start, and books it.
func (p *pacer) slot(now time.Time) time.Time {
	at := p.next
	if earliest := now.Add(-catchUp); at.Before(earliest) {
		at = earliest
	}
	p.next = at.Add(p.every)
	return at
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
