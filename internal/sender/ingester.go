package sender

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookboard/hookboard/internal/store"
)

// IngestStore is what ingestion needs from storage.
type IngestStore interface {
	IngestBatch(ctx context.Context, reqs []store.IngestRequest, lease store.IngestLease) (store.IngestOutcome, error)
	IngestWriters() int
	NotifiesOthers() bool
	NotifyDeliveries(ctx context.Context, from string) error
}

// An Ingester group-commits events: concurrent IngestEvent calls queue here
// and a writer writes whatever is queued in one transaction, so many API
// requests share one commit; a lone request waits for nobody. The new
// deliveries this process's sender has room for are stored leased to it
// and handed over once committed, with the payload in hand: no claim query,
// no wake-up. The others are stored due, and the sender (and, on
// PostgreSQL, every process that listens) is told.
type Ingester struct {
	store IngestStore
	snd   *Sender // nil: nothing is leased
	// wakeSender is snd.Wake (nil without a sender).
	wakeSender func()
	// from names this process's sender in its notices ("" without one).
	from    string
	queue   chan *ingestReq
	closing chan struct{}
	stopped sync.WaitGroup
	once    sync.Once
	// notify asks the notify loop to tell other processes (PostgreSQL).
	notify chan struct{}
	// Batches that failed as a whole and were written one by one.
	retries atomic.Int64
	// writing is held by the writer whose statements are running: the
	// other collects what arrives meanwhile, and starts as the first
	// commits.
	writing chan struct{}
	// writers are the writers that may write: all of them unless other
	// processes send from the database too (SetProcesses).
	writers *lanes
	// wrote is when this process's last batch was written (UnixNano), and
	// lastBatch how many requests it held.
	wrote, lastBatch atomic.Int64
	// batches counts the batches written (for tests and benchmarks).
	batches atomic.Int64
	// linger is how long a writer beside another process waits for a
	// fuller batch, while requests come at least every gap and its last
	// batch was written less than steady ago (ingestLinger, ingestGap,
	// ingestSteady; tests change them).
	linger, gap, steady time.Duration
}

type ingestReq struct {
	req  store.IngestRequest
	done chan ingestResp
}

type ingestResp struct {
	res store.IngestResult
	err error
}

const maxIngestBatch = 200

// gatherFrom is the smallest batch during whose statements the other
// writer waits and gathers what arrives: under a light load (batches of
// one or two) each request is written at once, however many are being
// written; under a heavy one the next batch grows instead of a request
// being written alone beside a large batch.
const gatherFrom = 4

// A writer that shares the database's writers with another process (one of
// two here) waits up to ingestLinger for a batch of ingestBatch, while
// requests keep coming (each within ingestGap of the last), under a heavy
// steady load: its last batch held gatherFrom or more and was written less
// than ingestSteady ago. In one process the second writer gathers
// while the first one's statements run, and each batch holds what the
// whole load sent meanwhile. Beside another process, each writer sees half
// the load, and without the wait each batch held what arrived during the
// writer's own last write: the database wrote more, smaller batches for the
// same events (BENCHMARKS.md, "Sixteenth pass": batches of 29 against 46,
// and two processes' PostgreSQL 7-19 % dearer per delivery than one's).
// The wait is a request's, so it is short and only under a heavy load; a
// light or a quiet one (batches of one to three, or none in the last 20 ms)
// is written at once, and a process alone never waits. Without the gap, a
// few closed-loop callers (fewer than ingestBatch, all in the batch) were
// kept the whole 5 ms each time: BenchmarkIngest/postgres/beside_another
// fell to 5,739 events/s against 6,055-6,811 with no wait at all; with it,
// 8,326-8,743, at 32 events a batch against 16.
const (
	ingestLinger = 5 * time.Millisecond
	ingestGap    = time.Millisecond
	ingestBatch  = 64
	ingestSteady = 20 * time.Millisecond
)

// ErrIngesterClosed is returned by IngestEvent after Close.
var ErrIngesterClosed = errors.New("ingester: closed")

// NewIngester starts ingesting into st, handing new deliveries to snd
// (nil: none are leased, all are stored due). Call Close before closing st.
func NewIngester(st IngestStore, snd *Sender) *Ingester {
	n := max(1, st.IngestWriters())
	in := &Ingester{store: st, snd: snd, queue: make(chan *ingestReq, 1024), closing: make(chan struct{}), writing: make(chan struct{}, 1), writers: newLanes(n), linger: ingestLinger, gap: ingestGap, steady: ingestSteady}
	if snd != nil {
		in.wakeSender, in.from = snd.Wake, snd.Owner()
	}
	if st.NotifiesOthers() {
		in.notify = make(chan struct{}, 1)
		in.stopped.Go(in.notifyLoop)
	}
	for i := range n {
		in.stopped.Go(func() { in.writeLoop(i) })
	}
	return in
}

// Close stops the writers; IngestEvent calls still waiting fail.
func (in *Ingester) Close() {
	in.once.Do(func() {
		close(in.closing)
		in.stopped.Wait()
	})
}

// IngestEvent stores an event and, in the same transaction, one pending
// delivery per active webhook of the app subscribed to its type (or *)
// (see store.IngestBatch). payload must be a JSON object; its bytes are
// stored as given. With an idempotency key seen in the last 24 hours it
// returns the first event and creates nothing.
func (in *Ingester) IngestEvent(ctx context.Context, appID, eventType string, payload []byte, idemKey string) (store.IngestResult, error) {
	r := &ingestReq{req: store.IngestRequest{AppID: appID, EventType: eventType, Payload: payload, IdemKey: idemKey}, done: make(chan ingestResp, 1)}
	if err := store.ValidateIngest(r.req); err != nil {
		return store.IngestResult{}, err
	}
	select {
	case in.queue <- r:
	case <-in.closing:
		return store.IngestResult{}, ErrIngesterClosed
	case <-ctx.Done():
		return store.IngestResult{}, ctx.Err()
	}
	select {
	case resp := <-r.done:
		return resp.res, resp.err
	case <-in.closing:
		return store.IngestResult{}, ErrIngesterClosed
	}
}

// SetProcesses tells the ingester how many processes send from its
// database (store.Beat): with others, it writes with its share of the
// writers (one of two), so that each batch gathers what both would have.
func (in *Ingester) SetProcesses(n int) { in.writers.share(n) }

// Writers is how many batches the ingester may write at once.
func (in *Ingester) Writers() int { return in.writers.opened() }

// writeLoop writes batches of what is queued until Close, while it is
// one of the writers that may write (lane i).
func (in *Ingester) writeLoop(i int) {
	batch := make([]*ingestReq, 0, maxIngestBatch)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	for {
		open, changed := in.writers.lane(i)
		if !open {
			select {
			case <-in.closing:
				return
			case <-changed:
			}
			continue
		}
		select {
		case <-in.closing:
			return
		case <-changed:
			continue
		case in.writing <- struct{}{}:
		}
		select {
		case <-in.closing:
			<-in.writing
			return
		case <-changed:
			<-in.writing
			continue
		case r := <-in.queue:
			batch = in.gather(in.collect(append(batch[:0], r)), linger)
		}
		in.write(batch)
	}
}

// written lets the other writer start: this one's statements have run.
func (in *Ingester) written(held *bool) {
	if *held {
		*held = false
		<-in.writing
	}
}

// collect adds what else is queued right now to batch, up to the maximum.
func (in *Ingester) collect(batch []*ingestReq) []*ingestReq {
	for len(batch) < maxIngestBatch {
		select {
		case r := <-in.queue:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// lingers reports whether a writer should wait for a fuller batch: while
// this process has fewer writers than its own (another process shares the
// database's), under a heavy steady load (ingestLinger).
func (in *Ingester) lingers() bool {
	return in.writers.opened() < in.writers.total && in.lastBatch.Load() >= gatherFrom &&
		time.Since(time.Unix(0, in.wrote.Load())) < in.steady
}

// gather, when the writer lingers, adds to batch what arrives within
// in.linger, until it holds ingestBatch or nothing came for ingestGap (on
// linger, a stopped timer it leaves stopped): the callers a batch was
// waiting for have all sent again, and a few closed-loop callers are not
// kept waiting for more that cannot come.
func (in *Ingester) gather(batch []*ingestReq, linger *time.Timer) []*ingestReq {
	if len(batch) >= ingestBatch || !in.lingers() {
		return batch
	}
	deadline := time.Now().Add(in.linger)
	defer linger.Stop()
	for len(batch) < ingestBatch {
		wait := min(in.gap, time.Until(deadline))
		if wait <= 0 {
			return batch
		}
		linger.Reset(wait)
		select {
		case r := <-in.queue:
			batch = append(batch, r)
		case <-linger.C:
			return batch
		case <-in.closing:
			return batch
		}
	}
	return batch
}

// write writes a batch in one transaction; if that fails (an idempotency
// key taken by another process meanwhile, say), each request is written on
// its own so only the one at fault sees an error.
func (in *Ingester) write(batch []*ingestReq) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	held := true
	defer in.written(&held)
	if len(batch) < gatherFrom {
		in.written(&held) // a light load: the next request need not wait
	}
	out, err := in.writeTx(ctx, batch, &held)
	in.noteWritten(len(batch))
	if err != nil && len(batch) > 1 {
		in.retries.Add(1)
		for i, r := range batch {
			one := batch[i : i+1]
			out, err := in.writeTx(ctx, one, &held)
			if errors.Is(err, store.ErrIdempotencyRace) {
				out, err = in.writeTx(ctx, one, &held) // now it sees the other's event
			}
			in.reply(r, out, 0, err)
		}
		return
	}
	if errors.Is(err, store.ErrIdempotencyRace) {
		out, err = in.writeTx(ctx, batch, &held)
	}
	for i, r := range batch {
		in.reply(r, out, i, err)
	}
}

// noteWritten records a batch of n written (or failed) now, for lingers:
// before its requests are answered, so the next ones see it.
func (in *Ingester) noteWritten(n int) {
	in.wrote.Store(time.Now().UnixNano())
	in.lastBatch.Store(int64(n))
	in.batches.Add(1)
}

// due is what a result left due: for any sender (queued), and for this
// process's own to claim (queued less what it refused).
func due(res store.IngestResult) (queued, claimable int) {
	if res.Replayed {
		return 0, 0
	}
	return res.Queued, res.Queued - res.Refused
}

// writeTx writes a batch, leasing to the sender what it has room for: the
// deliveries stored leased go to it after the commit, and its room is
// given back if the transaction failed.
func (in *Ingester) writeTx(ctx context.Context, batch []*ingestReq, held *bool) (store.IngestOutcome, error) {
	reqs := make([]store.IngestRequest, len(batch))
	for i, r := range batch {
		reqs[i] = r.req
	}
	var lease store.IngestLease
	var reserved []string
	if in.snd != nil {
		lease = store.IngestLease{Owner: in.snd.Owner(), Lease: in.snd.Lease(), Reserve: func(webhookID string) bool {
			if !in.snd.Reserve(webhookID) {
				return false
			}
			reserved = append(reserved, webhookID)
			return true
		}, Unreserve: func(webhookID string) {
			if i := slices.Index(reserved, webhookID); i >= 0 {
				reserved = slices.Delete(reserved, i, i+1)
				in.snd.Unreserve(webhookID)
			}
		}}
	}
	lease.Written = func() { in.written(held) }
	out, err := in.store.IngestBatch(ctx, reqs, lease)
	if err != nil {
		for _, w := range reserved {
			in.snd.Unreserve(w)
		}
		return out, err
	}
	if len(out.Leased) > 0 {
		in.snd.Take(out.Leased)
	}
	return out, nil
}

func (in *Ingester) reply(r *ingestReq, out store.IngestOutcome, i int, err error) {
	switch {
	case err != nil:
		r.done <- ingestResp{err: err}
	case out.Errs[i] != nil:
		r.done <- ingestResp{err: out.Errs[i]}
	default:
		res := out.Results[i]
		r.done <- ingestResp{res: res}
		if queued, claimable := due(res); queued > 0 {
			in.wake(claimable > 0)
		}
	}
}

// wake tells, on PostgreSQL, the other processes' senders that deliveries
// are due, and this process's own when it may claim some (local): it knows
// of those it had no room for (Sender.Reserve).
func (in *Ingester) wake(local bool) {
	if local && in.wakeSender != nil {
		in.wakeSender()
	}
	if in.notify != nil {
		select {
		case in.notify <- struct{}{}:
		default:
		}
	}
}

// notifyLoop tells other processes on PostgreSQL that deliveries are due:
// outside the ingestion transaction, and at most once per few milliseconds
// however many batches were written meanwhile.
func (in *Ingester) notifyLoop() {
	for {
		select {
		case <-in.closing:
			return
		case <-in.notify:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		in.store.NotifyDeliveries(ctx, in.from)
		cancel()
		select {
		case <-in.closing:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}
