// Package sender delivers webhooks: it claims due deliveries, signs and
// POSTs them, records every attempt and schedules retries.
package sender

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/metrics"
	"github.com/hookboard/hookboard/internal/signature"
	"github.com/hookboard/hookboard/internal/store"
)

// Store is what the sender needs from storage.
type Store interface {
	ClaimDue(ctx context.Context, owner string, limit int, lease time.Duration, exclude []string) ([]hook.Job, error)
	ReleaseJobs(ctx context.Context, owner string, ids []string, next *time.Time) error
	WebhookTarget(ctx context.Context, webhookID string) (hook.Target, error)
	RecordAttempt(ctx context.Context, owner string, job hook.Job, a hook.Attempt, out hook.Outcome) (bool, error)
	RecordAttemptsHanding(ctx context.Context, owner string, recs []store.AttemptRecord, h store.Handover) ([]string, []hook.Job, error)
}

// targetTTL is how long a webhook's URL, credentials and signing keys are
// reused between deliveries. A change (a rotation, a new URL) reaches the
// sender within this time; test events and resends always read afresh.
const targetTTL = time.Second

// Version goes in the User-Agent header.
var Version = "dev"

// MaxResponseBody is how much of a response body is kept.
const MaxResponseBody = 64 << 10

// Options configure a Sender.
type Options struct {
	Store        Store
	Logger       *slog.Logger
	Workers      int           // concurrent requests; default 32
	PerWebhook   int           // concurrent requests to one webhook; default Workers/4, at most 16
	Timeout      time.Duration // per request; default 2s
	PollInterval time.Duration // fallback when no wake-up comes; default 1s
	AllowPrivate bool          // development only: skip the SSRF guard
	Now          func() time.Time
	Jitter       func() float64 // retry jitter in [-1, 1); default random
	Client       *http.Client   // default NewClient(Timeout, AllowPrivate)
	Metrics      *metrics.Metrics
	// RetrySchedule is the wait before each retry; default
	// hook.RetrySchedule. Tests and development may shorten it.
	RetrySchedule []time.Duration
}

// lastClaim is what the last claim left due: more than it took (backlog),
// or deliveries of the webhooks it skipped for want of room (skipped).
type lastClaim struct {
	backlog bool
	skipped []string
}

// Sender runs the delivery loop.
type Sender struct {
	store      Store
	log        *slog.Logger
	client     *http.Client
	owner      string
	workers    int
	perWebhook int
	maxHeld    int // claimed deliveries of one webhook waiting for a slot
	timeout    time.Duration
	poll       time.Duration
	lease      time.Duration
	now        func() time.Time
	jitter     func() float64
	userAgent  string
	metrics    *metrics.Metrics
	schedule   []time.Duration

	waker waker // claims at times no wake-up would come (policies.go)

	mu sync.Mutex // guards room, accepting, last and holder
	room
	// accepting is set while Run runs and takes work: claims, held
	// deliveries and what ingestion hands over.
	accepting bool
	last      lastClaim
	holder    leaseHolder // set by Hold: finds dead processes' leases

	// Signals to Run's loop: a request finished, deliveries may be due
	// (Wake), dead processes' leases were taken over.
	freed, wake, tookOver chan struct{}
	wg                    sync.WaitGroup     // requests in flight
	records               chan pendingRecord // to the recorder while running
	writing               atomic.Int32       // recorders writing a batch now
	// flushed is when this process's last batch of attempts was written
	// (UnixNano): while processes share the recorders, recent means the
	// other process's recorder is most likely writing one now.
	flushed atomic.Int64
	// recorders are the recorders that may write: all of them unless
	// other processes send from the database too (SetProcesses).
	recorders *lanes

	targetMu sync.Mutex
	targets  map[string]cachedTarget
}

type cachedTarget struct {
	target  hook.Target
	signers []*signature.Signer
	fetched time.Time
}

// New returns a Sender; call Run to start it.
func New(opts Options) *Sender {
	s := &Sender{
		store: opts.Store, log: opts.Logger, client: opts.Client, workers: opts.Workers, perWebhook: opts.PerWebhook,
		timeout: opts.Timeout, poll: opts.PollInterval, now: opts.Now, jitter: opts.Jitter,
		room: newRoom(), freed: make(chan struct{}, 1), wake: make(chan struct{}, 1), tookOver: make(chan struct{}, 1), userAgent: "Hookboard/" + Version, metrics: opts.Metrics,
		targets: map[string]cachedTarget{}, recorders: newLanes(recorders),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.workers <= 0 {
		s.workers = 32
	}
	if s.perWebhook <= 0 {
		// A slow endpoint may take this many workers and no more. 32 let
		// one busy webhook go faster (at 16, what finds no room goes back
		// to the queue to be claimed), but cost a plain webhook beside a
		// rate-limited and a FIFO one about 7 points of its share
		// (BENCHMARKS.md, "Thirteenth pass").
		s.perWebhook = max(1, min(16, s.workers/4))
	}
	if s.timeout <= 0 {
		s.timeout = 2 * time.Second
	}
	if s.poll <= 0 {
		s.poll = time.Second
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.client == nil {
		s.client = NewClient(s.timeout, opts.AllowPrivate)
	}
	s.schedule = opts.RetrySchedule
	if len(s.schedule) == 0 {
		s.schedule = hook.RetrySchedule
	}
	if d, ok := opts.Store.(dueNotifier); ok {
		d.OnDue(s.onDue)
	}
	// A lease outlives any request by a wide margin; a process that dies
	// leaves its deliveries to others once it runs out.
	s.lease = 2*s.timeout + 30*time.Second
	// Deliveries waiting for a slot of their webhook must start well within
	// their lease: each round of perWebhook takes at most the timeout.
	s.maxHeld = s.perWebhook * max(1, min(8, int(s.lease/s.timeout)-2))
	s.owner = store.NewLeaseOwner()
	return s
}

// leaseHolder is what Hold needs from the store (store.Store has it).
type leaseHolder interface {
	HoldOwner(ctx context.Context, owner string, onError func(error)) (func(), error)
	TakeOverLeases(ctx context.Context, owner string) (int, error)
}

// TakeoverInterval is how often a holding sender looks for the leases of
// processes that died (PostgreSQL; on SQLite, there is nothing to look
// for after the start).
const TakeoverInterval = time.Second

// Hold makes this sender the live owner of its leases for as long as the
// process runs, and takes over the leases that processes which are gone
// left behind: on SQLite every lease, at once (and it fails if another
// process serves the same database file); on PostgreSQL, those whose
// owner's lock is free, now and then every TakeoverInterval while Run
// runs. A process that dies leaves its deliveries to the others within
// seconds instead of after the lease. Call it before Run; call release
// after Run returns.
func (s *Sender) Hold(ctx context.Context) (release func(), err error) {
	h, ok := s.store.(leaseHolder)
	if !ok {
		return func() {}, nil
	}
	release, err = h.HoldOwner(ctx, s.owner, func(err error) { s.log.Warn("lease owner lock", "err", err) })
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.holder = h
	s.mu.Unlock()
	if n, err := h.TakeOverLeases(ctx, s.owner); err != nil {
		release()
		return nil, err
	} else if n > 0 {
		s.log.Info("took over the deliveries of a process that stopped", "deliveries", n)
	}
	return release, nil
}

// takeOverLoop looks for dead processes' leases until ctx ends, and wakes
// the claim loop when it took some.
func (s *Sender) takeOverLoop(ctx context.Context, h leaseHolder) {
	t := time.NewTicker(TakeoverInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := h.TakeOverLeases(ctx, s.owner)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("take over leases", "err", err)
			}
			continue
		}
		if n > 0 {
			s.log.Info("took over the deliveries of a process that stopped", "deliveries", n)
			select {
			case s.tookOver <- struct{}{}:
			default:
			}
		}
	}
}

// Wake tells the sender that deliveries may be due: new ones stored due
// by this process's Ingester, or (store.Listen) by another process.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Owner identifies this sender's leases.
func (s *Sender) Owner() string { return s.owner }

// Notified is a notice that deliveries are due, sent by the sender named
// from (store.Listen): it wakes this one unless it sent it itself, since
// its own ingestion tells it directly what it may claim.
func (s *Sender) Notified(from string) {
	if from != s.owner {
		s.Wake()
	}
}

// Lease is how long a claim lasts.
func (s *Sender) Lease() time.Duration { return s.lease }

// Run claims and sends deliveries until ctx ends, then stops claiming and
// waits for the requests in flight (each bounded by the timeout).
func (s *Sender) Run(ctx context.Context) error {
	ticker := time.NewTicker(s.poll)
	defer ticker.Stop()
	// The recorder is there before anything can start (a Take, say).
	stopRecorder := s.startRecorder()
	defer stopRecorder()
	s.mu.Lock()
	s.accepting = true
	s.mu.Unlock()
	defer s.wg.Wait()
	defer s.releaseHeld()
	s.mu.Lock()
	holder := s.holder
	s.mu.Unlock()
	if holder != nil {
		takeCtx, stopTaking := context.WithCancel(ctx)
		var taking sync.WaitGroup
		taking.Go(func() { s.takeOverLoop(takeCtx, holder) })
		defer taking.Wait()
		defer stopTaking()
	}
	// After a completion, claim only once a batch's worth of workers is free:
	// one claim query per finished request would cost more than it sends.
	batch := max(1, s.workers/8)
	minFree := 1
	for {
		_, full := s.claimOnce(ctx, minFree)
		if ctx.Err() != nil {
			return nil
		}
		if full {
			minFree = 1
			continue // more may be due right now
		}
		var ok bool
		if minFree, ok = s.waitForWork(ctx, ticker.C, batch); !ok {
			return nil
		}
	}
}

// waitForWork waits until deliveries may be due and returns how many
// workers the next claim needs free; false once ctx ended.
func (s *Sender) waitForWork(ctx context.Context, tick <-chan time.Time, batch int) (int, bool) {
	pace, stop := s.paceTimer()
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return 0, false
		case <-s.wake:
			return 1, true
		case <-s.tookOver:
			return 1, true
		case <-pace:
			return 1, true
		case <-tick:
			s.promoteFIFO(ctx)
			return 1, true
		case <-s.freed:
			// A finished request makes nothing new due: claim again only
			// if the last claim left deliveries behind that now have room.
			if s.worthClaiming() {
				return batch, true
			}
		}
	}
}

// recorders is how many batches of attempts are written at once: while
// one commits, the next is being written.
const recorders = 2

// A recorder that finds fewer than recordBatch attempts queued while the
// other recorder is writing waits up to recordLinger for more before it
// writes them. A batch costs the database about the same statements and
// commit whatever its size, and without the wait its size is what arrived
// since the last one started: halve a process's load (two processes
// sharing it) and each writes twice the batches for the same attempts.
// The wait delays only when an attempt shows on the dashboard, not the
// request, which went out before it; with no other batch being written
// (a quiet sender) there is nothing to wait for, and an attempt whose next
// step waits on its record (a FIFO webhook's) is written at once. (5 ms
// and 64 made no difference that could be measured; 20 ms and 128 cut
// PostgreSQL's CPU per delivery by 5-12 %, BENCHMARKS.md "Sixth pass".)
// While processes share the recorders (one here), the other batch is the
// other process's, which this one cannot see: it is taken to be written
// while this process's attempts keep coming (anotherBatchWriting).
const (
	recordBatch  = 128
	recordLinger = 20 * time.Millisecond
)

// pendingRecord is a finished attempt on its way to a recorder; urgent when
// something waits on its record (the next delivery of a FIFO webhook).
type pendingRecord struct {
	store.AttemptRecord
	urgent bool
}

// SetProcesses tells the sender how many processes send from its database
// (store.Beat): with others, it records with its share of the recorders
// (one of two), so that each batch gathers what both would have.
func (s *Sender) SetProcesses(n int) { s.recorders.share(n) }

// Recorders is how many batches of attempts the sender may write at once.
func (s *Sender) Recorders() int { return s.recorders.opened() }

// startRecorder writes finished attempts in batches: each recorder that
// may (s.recorders; the first always may) takes what is queued (waiting up
// to recordLinger for a fuller batch), writes it in one transaction, and
// repeats. The returned func flushes what is left and stops them.
func (s *Sender) startRecorder() func() {
	s.records = make(chan pendingRecord, 4*s.workers)
	stopped := make(chan struct{})
	var wg sync.WaitGroup
	for i := range recorders {
		wg.Go(func() {
			batch := make([]store.AttemptRecord, 0, 256)
			linger := time.NewTimer(time.Hour)
			linger.Stop()
			for {
				open, changed := s.recorders.lane(i)
				if !open {
					select {
					case <-stopped:
						return
					case <-changed:
					}
					continue
				}
				var r pendingRecord
				var ok bool
				select {
				case r, ok = <-s.records:
				case <-changed:
					continue
				}
				if !ok {
					return
				}
				batch = s.collectRecords(append(batch[:0], r.AttemptRecord), r.urgent, linger, recordLinger)
				s.writing.Add(1)
				s.flush(batch)
				s.writing.Add(-1)
			}
		})
	}
	return func() {
		close(s.records)
		close(stopped)
		wg.Wait()
	}
}

// collectRecords adds to batch what is queued, up to its capacity; while it
// holds fewer than recordBatch, none is urgent and another batch is being
// written, it waits up to wait (on linger, a stopped timer it leaves
// stopped) for more.
func (s *Sender) collectRecords(batch []store.AttemptRecord, urgent bool, linger *time.Timer, wait time.Duration) []store.AttemptRecord {
	waiting := false
	defer func() {
		if waiting {
			linger.Stop()
		}
	}()
	for len(batch) < cap(batch) {
		var r pendingRecord
		var ok bool
		select {
		case r, ok = <-s.records:
		default:
			if urgent || len(batch) >= recordBatch || !s.anotherBatchWriting() {
				return batch
			}
			if !waiting {
				waiting = true
				linger.Reset(wait)
			}
			select {
			case r, ok = <-s.records:
			case <-linger.C:
				waiting = false
				return batch
			}
		}
		if !ok {
			return batch
		}
		batch, urgent = append(batch, r.AttemptRecord), urgent || r.urgent
	}
	return batch
}

// anotherBatchWriting reports whether a batch of attempts is being
// written beside the one a recorder gathers: by this process's other
// recorder, or, while processes share the recorders and this process has
// one, by another process's, taken to be so while this process's last
// batch was written less than recordLinger ago (under a steady load; a
// quiet sender's first attempt is written at once).
func (s *Sender) anotherBatchWriting() bool {
	if s.writing.Load() > 0 {
		return true
	}
	return s.recorders.opened() < recorders && time.Since(time.Unix(0, s.flushed.Load())) < recordLinger
}

func (s *Sender) flush(batch []store.AttemptRecord) {
	defer func() { s.flushed.Store(time.Now().UnixNano()) }()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A FIFO webhook's next delivery, promoted by recording its head's
	// attempt, comes back leased to this sender when it has room: started
	// at once, with no claim.
	h := store.Handover{Lease: s.lease, Reserve: s.Reserve, Unreserve: s.Unreserve}
	disabled, handed, err := s.store.RecordAttemptsHanding(ctx, s.owner, batch, h)
	if err != nil {
		s.log.Error("record attempts", "count", len(batch), "err", err)
	}
	if len(handed) > 0 {
		s.Take(handed)
	}
	for _, r := range batch {
		s.wakeForRetry(r.Outcome)
		s.metrics.Attempt(r.Attempt.Trigger, r.Outcome.Status, r.Attempt.Duration)
		s.log.Info("attempt", "delivery", r.Job.ID, "webhook", r.Job.WebhookID, "status", r.Attempt.ResponseStatus,
			"succeeded", r.Attempt.Succeeded, "duration_ms", r.Attempt.Duration.Milliseconds(), "outcome", r.Outcome.Status, "error", r.Attempt.Error)
	}
	for _, w := range disabled {
		s.log.Warn("webhook disabled after 5 days of failures", "webhook", w)
	}
}

// claimOnce claims as many due deliveries as there are free workers (when
// at least minFree are) and starts them. It reports how many it started and
// whether it filled every free worker.
func (s *Sender) claimOnce(ctx context.Context, minFree int) (int, bool) {
	s.mu.Lock()
	free := s.workers - s.inflight - s.reservedN // held deliveries use no worker; each webhook holds at most perWebhook
	var exclude []string
	for id := range s.busy {
		if s.roomFor(id) < s.refill() {
			exclude = append(exclude, id)
		}
	}
	if free <= 0 || free < minFree {
		// Whatever woke us is still due: claim once workers free up.
		s.last.backlog = true
		s.mu.Unlock()
		return 0, false
	}
	s.mu.Unlock()
	// Not cancelled with ctx: a claim can commit and then fail reading its
	// rows, leaving deliveries leased to this sender that it never starts.
	jobs, err := s.store.ClaimDue(context.WithoutCancel(ctx), s.owner, free, s.lease, exclude)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("claim deliveries", "err", err)
		}
		return 0, false
	}
	// A webhook runs at most perWebhook requests at once; up to maxHeld more
	// of its deliveries wait here, still leased, to start the moment a
	// request of theirs ends; the rest go back to the queue for now.
	var release []string
	started := 0
	s.mu.Lock()
	for _, job := range jobs {
		w := job.WebhookID
		switch {
		case s.busy[w] < s.perWebhook:
			s.start(job)
			started++
		case len(s.held[w]) < s.maxHeld:
			s.hold(job)
			started++
		default:
			release = append(release, job.ID)
		}
	}
	s.last = lastClaim{backlog: len(jobs) == free || len(release) > 0, skipped: exclude}
	s.mu.Unlock()
	if len(release) > 0 {
		if err := s.store.ReleaseJobs(context.WithoutCancel(ctx), s.owner, release, nil); err != nil {
			s.log.Error("release deliveries", "err", err)
		}
	}
	return started, len(jobs) == free && len(release) == 0
}

// roomFor is how many more deliveries of a webhook may run or wait here; s.mu
// is held.
func (s *Sender) roomFor(webhookID string) int {
	return s.left(webhookID, s.perWebhook+s.maxHeld)
}

// Reserve, Unreserve and Take let ingestion in this process hand new
// deliveries straight to the sender (see Ingester): they are stored
// leased to it, so no claim query has to find them. A webhook gets what
// fits in its share; a delivery that could not start soon (every worker
// busy with other webhooks) is left to the queue.
//
// A delivery refused is stored due, and the sender notes that it waits:
// when the webhook has room again (or a worker is free), it claims. So
// ingestion need not wake it for one (a claim now would find nothing it
// may take, after reading past every delivery waiting).
func (s *Sender) Reserve(webhookID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.accepting {
		return false
	}
	if s.roomFor(webhookID) <= 0 {
		if !slices.Contains(s.last.skipped, webhookID) {
			s.last.skipped = append(s.last.skipped, webhookID)
		}
		return false
	}
	if s.busy[webhookID] == 0 && s.inflight+s.reservedN >= s.workers {
		s.last.backlog = true
		return false
	}
	s.reserve(webhookID)
	return true
}

// Unreserve gives back a reservation whose delivery was not stored.
func (s *Sender) Unreserve(webhookID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unreserve(webhookID)
}

// Take starts or holds stored deliveries leased to this sender, each
// reserved before; any it cannot run after all go back to the queue.
func (s *Sender) Take(jobs []hook.Job) {
	var release []string
	s.mu.Lock()
	for _, job := range jobs {
		w := job.WebhookID
		s.unreserve(w)
		switch {
		case !s.accepting:
			// Reserved while the sender ran, handed over after it stopped:
			// its recorder is gone, so the queue gets it back.
			release = append(release, job.ID)
		case s.busy[w] < s.perWebhook && s.inflight < s.workers:
			s.start(job)
		case s.busy[w] > 0:
			// A request of this webhook ending starts it.
			s.hold(job)
		default:
			release = append(release, job.ID)
		}
	}
	if len(release) > 0 && s.accepting {
		s.last.backlog = true // claim them again when workers free up
	}
	s.mu.Unlock()
	if len(release) > 0 {
		if err := s.store.ReleaseJobs(context.Background(), s.owner, release, nil); err != nil {
			s.log.Error("release deliveries", "err", err)
		}
	}
}

// refill is the room a busy webhook needs before a claim includes it again:
// half its share, so that a claim brings a batch, not the one delivery
// that a finished request made room for, and its queue never runs dry.
func (s *Sender) refill() int {
	return max(1, (s.perWebhook+s.maxHeld)/2)
}

// worthClaiming tells, after a request finished, whether a claim could
// bring a batch: the last one left deliveries due, or skipped a webhook
// that has room again.
func (s *Sender) worthClaiming() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last.backlog {
		return true
	}
	for _, id := range s.last.skipped {
		if s.roomFor(id) >= s.refill() {
			return true
		}
	}
	return false
}

// start runs a job in a new goroutine; s.mu is held.
func (s *Sender) start(job hook.Job) {
	s.started(job.WebhookID)
	s.wg.Add(1)
	go s.work(job)
}

// releaseHeld gives back the deliveries still waiting for a slot.
func (s *Sender) releaseHeld() {
	s.mu.Lock()
	s.accepting = false
	ids := s.dropHeld()
	s.mu.Unlock()
	if len(ids) > 0 {
		if err := s.store.ReleaseJobs(context.Background(), s.owner, ids, nil); err != nil {
			s.log.Error("release deliveries", "err", err)
		}
	}
}

func (s *Sender) work(job hook.Job) {
	defer func() {
		s.mu.Lock()
		s.finished(job.WebhookID)
		// The next waiting delivery of this webhook takes the slot at once.
		if s.accepting {
			if next, ok := s.nextHeld(job.WebhookID); ok {
				s.start(next)
			}
		}
		s.mu.Unlock()
		s.wg.Done()
		select {
		case s.freed <- struct{}{}:
		default:
		}
	}()
	// Requests in flight finish even when Run's context ends: each is bounded
	// by the timeout, and its result is recorded.
	ctx := context.Background()
	ct, err := s.target(ctx, job.WebhookID, false)
	if err != nil {
		s.log.Error("deliver: load webhook", "delivery", job.ID, "webhook", job.WebhookID, "err", err)
		return
	}
	if !ct.target.Active {
		// Paused: keep the delivery and look again later.
		later := s.now().Add(10 * time.Minute)
		if err := s.store.ReleaseJobs(ctx, s.owner, []string{job.ID}, &later); err != nil {
			s.log.Error("release paused delivery", "delivery", job.ID, "err", err)
		}
		return
	}
	a, retryAfter := s.attempt(ctx, job, ct, hook.TriggerAutomatic)
	out := hook.AfterAttemptOn(s.schedule, job.Delivery, hook.TriggerAutomatic, a.Succeeded, a.ResponseStatus, retryAfter, s.now(), s.jitter)
	s.records <- pendingRecord{store.AttemptRecord{Job: job, Attempt: a, Outcome: out}, ct.target.Ordering == hook.OrderingFIFO}
}

// target returns a webhook's delivery settings and signing keys, cached for
// targetTTL unless fresh is set.
func (s *Sender) target(ctx context.Context, webhookID string, fresh bool) (cachedTarget, error) {
	if !fresh {
		s.targetMu.Lock()
		ct, ok := s.targets[webhookID]
		s.targetMu.Unlock()
		if ok && time.Since(ct.fetched) < targetTTL {
			return ct, nil
		}
	}
	t, err := s.store.WebhookTarget(ctx, webhookID)
	if err != nil {
		return cachedTarget{}, err
	}
	ct := cachedTarget{target: t, fetched: time.Now()}
	for _, secret := range t.Secrets {
		sg, err := signature.NewSigner(secret)
		if err != nil {
			return cachedTarget{}, err
		}
		ct.signers = append(ct.signers, sg)
	}
	s.targetMu.Lock()
	if len(s.targets) > 10000 {
		clear(s.targets)
	}
	s.targets[webhookID] = ct
	s.targetMu.Unlock()
	return ct, nil
}

// Deliver sends one claimed delivery now, records the attempt and applies
// its outcome. An automatic attempt follows the retry schedule; a test event
// is not retried; a manual resend that fails leaves the delivery as it was
// (still retrying on schedule, or failed), and one that succeeds ends it.
func (s *Sender) Deliver(ctx context.Context, job hook.Job, trigger string) (hook.Attempt, hook.Outcome, error) {
	ct, err := s.target(ctx, job.WebhookID, true)
	if err != nil {
		return hook.Attempt{}, hook.Outcome{}, err
	}
	a, retryAfter := s.attempt(ctx, job, ct, trigger)
	out := hook.AfterAttemptOn(s.schedule, job.Delivery, trigger, a.Succeeded, a.ResponseStatus, retryAfter, s.now(), s.jitter)
	disabled, err := s.store.RecordAttempt(ctx, s.owner, job, a, out)
	if err != nil {
		return a, out, err
	}
	s.metrics.Attempt(trigger, out.Status, a.Duration)
	s.log.Info("attempt", "delivery", job.ID, "webhook", job.WebhookID, "trigger", trigger, "status", a.ResponseStatus,
		"succeeded", a.Succeeded, "duration_ms", a.Duration.Milliseconds(), "outcome", out.Status, "error", a.Error)
	if disabled {
		s.log.Warn("webhook disabled after 5 days of failures", "webhook", job.WebhookID)
	}
	return a, out, nil
}

// attempt makes one signed request for job to its webhook and describes it.
// It returns the receiver's Retry-After, if any.
func (s *Sender) attempt(ctx context.Context, job hook.Job, ct cachedTarget, trigger string) (hook.Attempt, time.Duration) {
	target, signers := ct.target, ct.signers
	start := s.now()
	a := hook.Attempt{DeliveryID: job.ID, WebhookID: job.WebhookID, Trigger: trigger, RequestURL: target.URL, CreatedAt: start}
	h := http.Header{}
	// The webhook's own headers first: validation refuses the names below,
	// and what Hookboard sets wins anyway.
	for _, ch := range target.Headers {
		h.Set(ch.Name, ch.Value)
	}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", s.userAgent)
	h.Set(signature.HeaderID, job.EventID)
	h.Set(signature.HeaderTimestamp, strconv.FormatInt(start.Unix(), 10))
	h.Set(signature.HeaderSignature, signature.SignAll(signers, job.EventID, start, job.Payload))
	masked := h.Clone()
	for _, ch := range target.Headers {
		masked.Set(ch.Name, hook.MaskedValue)
	}
	switch target.AuthType {
	case hook.AuthBasic:
		req, _ := http.NewRequest(http.MethodPost, "/", nil)
		req.SetBasicAuth(target.AuthUsername, target.AuthSecret)
		h.Set("Authorization", req.Header.Get("Authorization"))
		masked.Set("Authorization", "Basic ••••••••")
	case hook.AuthAPIKey:
		h.Set(target.AuthHeader, target.AuthSecret)
		masked.Set(target.AuthHeader, "••••••••")
	}
	a.RequestHeaders = masked

	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.URL, bytes.NewReader(job.Payload))
	if err != nil {
		a.Error = "invalid URL"
		return a, 0
	}
	req.Header = h
	began := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		a.Duration = time.Since(began)
		a.Error = describeError(err, s.timeout)
		return a, 0
	}
	defer resp.Body.Close()
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBody+1))
	a.Duration = time.Since(began)
	if len(body) > MaxResponseBody {
		body, a.ResponseTruncated = body[:MaxResponseBody], true
	}
	// Drain a little more so the connection can be reused.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 256<<10))
	a.ResponseStatus = resp.StatusCode
	a.ResponseHeaders = resp.Header
	a.ResponseBody = body
	a.Succeeded = resp.StatusCode >= 200 && resp.StatusCode < 300
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		a.Error = "redirect not followed"
		if loc := resp.Header.Get("Location"); loc != "" {
			a.Error += " (Location: " + truncate(loc, 300) + ")"
		}
	case readErr != nil && a.Succeeded:
		// The status arrived; the body was cut short. The receiver accepted it.
	case readErr != nil:
		a.Error = "reading the response: " + describeError(readErr, s.timeout)
	}
	return a, parseRetryAfter(resp.Header.Get("Retry-After"), s.now())
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
