package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
)

// Ingestion is plain SQL here: IngestBatch writes a batch of events and
// their deliveries in one transaction. Batching concurrent requests (group
// commit), NOTIFY and handing deliveries to the sender are the delivery
// side's (sender.Ingester).

// IngestRequest is one event to ingest.
type IngestRequest struct {
	AppID, EventType string
	Payload          []byte // a JSON object, stored as given
	IdemKey          string // optional Idempotency-Key
}

// IngestLease lets this process's sender take new deliveries as they are
// written: each one Reserve accepts is stored already leased to Owner for
// Lease, so it costs no claim query; the others are stored due, for a
// claim by any process. A rate-limited webhook's delivery is leased only
// if its bucket has a token for it (taken in the same transaction); for
// one that gets none, the reservation is given back with Unreserve. The
// zero value leases nothing.
type IngestLease struct {
	Owner     string
	Lease     time.Duration
	Reserve   func(webhookID string) bool
	Unreserve func(webhookID string)
	// Written, if set, is called once the batch's statements have run,
	// just before the commit.
	Written func()
}

// IngestOutcome is what IngestBatch did: per request, its result or its own
// error (an event type not in the catalog, a conflicting idempotency key),
// and the deliveries stored leased to IngestLease.Owner.
type IngestOutcome struct {
	Results []IngestResult
	Errs    []error
	Leased  []hook.Job
}

// ErrIdempotencyRace means another transaction stored one of the batch's
// idempotency keys meanwhile; written again, the batch sees its event.
var ErrIdempotencyRace = errors.New("idempotency key race")

// ValidateIngest checks what ingestion accepts before any SQL.
func ValidateIngest(r IngestRequest) error {
	if msg := hook.ValidateEventTypeName(r.EventType); msg != "" {
		return hook.FieldErrors{{Field: "eventType", Message: msg}}
	}
	if len(r.IdemKey) > 255 {
		return hook.FieldErrors{{Field: "Idempotency-Key", Message: "The Idempotency-Key header must be at most 255 characters."}}
	}
	return nil
}

// IngestEvent stores one event in its own transaction, with nothing leased
// (see IngestBatch). The API ingests through sender.Ingester, which
// batches concurrent requests and hands deliveries to the sender.
func (s *Store) IngestEvent(ctx context.Context, appID, eventType string, payload []byte, idemKey string) (IngestResult, error) {
	reqs := []IngestRequest{{AppID: appID, EventType: eventType, Payload: payload, IdemKey: idemKey}}
	out, err := s.IngestBatch(ctx, reqs, IngestLease{})
	if errors.Is(err, ErrIdempotencyRace) {
		out, err = s.IngestBatch(ctx, reqs, IngestLease{}) // now it sees the other's event
	}
	if err != nil {
		return IngestResult{}, err
	}
	if out.Errs[0] != nil {
		return IngestResult{}, out.Errs[0]
	}
	return out.Results[0], nil
}

// IngestBatch stores each request's event and, in the same transaction, one
// pending delivery per active webhook of the app subscribed to its type
// (or *). With an idempotency key seen in the last 24 hours (earlier in
// the batch included) a request gets the first event and creates nothing.
// err fails the whole batch: nothing is stored; ErrIdempotencyRace asks
// for the batch to be written again.
func (s *Store) IngestBatch(ctx context.Context, reqs []IngestRequest, lease IngestLease) (IngestOutcome, error) {
	var b *ingestBatch
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		b = newIngestBatch(reqs, s.now())
		err := s.writeBatch(ctx, tx, b, lease)
		if err == nil && lease.Written != nil {
			lease.Written()
		}
		return err
	})
	if err != nil {
		return IngestOutcome{Results: make([]IngestResult, len(reqs)), Errs: make([]error, len(reqs))}, err
	}
	return IngestOutcome{Results: b.results, Errs: b.errs, Leased: b.leased}, nil
}

// ingestBatch is one IngestBatch transaction's state.
type ingestBatch struct {
	reqs    []IngestRequest
	now     time.Time
	results []IngestResult
	errs    []error
	fresh   []int                   // requests that create an event
	seen    map[appKey]int          // idempotency keys earlier in the batch
	dups    [][2]int                // a request and the earlier one of its key
	known   map[appKey]bool         // app + event type → active in the catalog
	leased  []hook.Job              // deliveries stored leased to the sender
	subs    map[appKey][]subscriber // app + event type → subscribed webhooks
	fifo    []string                // FIFO webhooks that got deliveries
	limited map[string]*handover    // rate-limited webhooks → deliveries stored leased, pending a token each
}

// handover is what a rate-limited webhook's deliveries stored leased to
// the sender need: a token each, or to be given back (tokensOrQueue).
type handover struct {
	limit int
	reqs  []int // the request of each delivery
	jobs  []hook.Job
}

type appKey struct{ app, key string }

func newIngestBatch(reqs []IngestRequest, now time.Time) *ingestBatch {
	return &ingestBatch{
		reqs: reqs, now: now, results: make([]IngestResult, len(reqs)), errs: make([]error, len(reqs)),
		seen: map[appKey]int{}, known: map[appKey]bool{}, subs: map[appKey][]subscriber{},
	}
}

// writeBatch runs the steps of an ingestion transaction.
func (s *Store) writeBatch(ctx context.Context, tx *sqlx.Tx, b *ingestBatch, lease IngestLease) error {
	for i := range b.reqs {
		if err := s.admitRequest(ctx, tx, b, i); err != nil {
			return err
		}
	}
	if len(b.fresh) > 0 {
		if err := s.insertEvents(ctx, tx, b); err != nil {
			return err
		}
		if err := insertIdempotencyKeys(ctx, tx, b); err != nil {
			return err
		}
		if err := s.insertDeliveries(ctx, tx, b, lease); err != nil {
			return err
		}
	}
	b.answerDups()
	return nil
}

// admitRequest decides what request i does: fails on its own, replays an
// earlier event (stored, or earlier in the batch), or creates an event.
func (s *Store) admitRequest(ctx context.Context, tx *sqlx.Tx, b *ingestBatch, i int) error {
	r := b.reqs[i]
	if err := ValidateIngest(r); err != nil {
		b.errs[i] = err
		return nil
	}
	ok, err := s.typeActive(ctx, tx, b, r)
	if err != nil {
		return err
	}
	if !ok {
		b.errs[i] = hook.FieldErrors{{Field: "eventType", Message: "“" + r.EventType + "” is not an active type of this app's event catalog; add it on the Event types page or with POST /event-types."}}
		return nil
	}
	if r.IdemKey == "" {
		b.fresh = append(b.fresh, i)
		return nil
	}
	k := appKey{r.AppID, r.IdemKey}
	if j, ok := b.seen[k]; ok {
		if requestHash(b.reqs[j]) != requestHash(r) {
			b.errs[i] = errKeyReused()
			return nil
		}
		b.dups = append(b.dups, [2]int{i, j}) // answered once j is written
		return nil
	}
	fresh, err := s.checkIdempotencyKey(ctx, tx, b, i)
	if err != nil || b.errs[i] != nil {
		return err
	}
	b.seen[k] = i
	if fresh {
		b.fresh = append(b.fresh, i)
	}
	return nil
}

func errKeyReused() error {
	return hook.Errorf(hook.ECONFLICT, "This Idempotency-Key was used in the last 24 hours for a different event (another type or payload); use a new key for a new event.")
}

// typeActive reports whether the request's event type is an active type of
// its app's catalog: from the batch, the cache, or the database.
func (s *Store) typeActive(ctx context.Context, tx *sqlx.Tx, b *ingestBatch, r IngestRequest) (bool, error) {
	k := appKey{r.AppID, r.EventType}
	if ok, checked := b.known[k]; checked {
		return ok, nil
	}
	if s.typeKnown(r.AppID, r.EventType) {
		b.known[k] = true
		return true, nil
	}
	var n int
	if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM event_types WHERE app_id = ? AND name = ? AND archived_at IS NULL`), r.AppID, r.EventType); err != nil {
		return false, err
	}
	if n > 0 {
		s.typeCache.Store(r.AppID+"\x00"+r.EventType, time.Now())
	}
	b.known[k] = n > 0
	return n > 0, nil
}

// checkIdempotencyKey looks request i's key up: seen within the window, it
// replays that event (or conflicts, for another request); older, the key is
// freed. It reports whether the request creates an event.
func (s *Store) checkIdempotencyKey(ctx context.Context, tx *sqlx.Tx, b *ingestBatch, i int) (bool, error) {
	r := b.reqs[i]
	var prior struct {
		EventID     string    `db:"event_id"`
		CreatedAt   time.Time `db:"created_at"`
		RequestHash string    `db:"request_hash"`
	}
	err := tx.GetContext(ctx, &prior, tx.Rebind(`SELECT event_id, created_at, request_hash FROM idempotency_keys WHERE app_id = ? AND idem_key = ?`), r.AppID, r.IdemKey)
	if err != nil {
		if hook.ErrorCode(notFound(err, "")) != hook.ENOTFOUND {
			return false, err
		}
		return true, nil
	}
	if !prior.CreatedAt.After(b.now.Add(-IdempotencyWindow)) {
		// Older than the window: the key may be used again.
		_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM idempotency_keys WHERE app_id = ? AND idem_key = ?`), r.AppID, r.IdemKey)
		return err == nil, err
	}
	if prior.RequestHash != "" && prior.RequestHash != requestHash(r) {
		b.errs[i] = errKeyReused()
		return false, nil
	}
	res := &b.results[i]
	if err := tx.GetContext(ctx, &res.Event, tx.Rebind(`SELECT id, app_id, event_type, payload, created_at FROM events WHERE id = ?`), prior.EventID); err != nil {
		return false, err
	}
	res.Replayed = true
	if err := tx.GetContext(ctx, &res.Deliveries, tx.Rebind(`SELECT COUNT(*) FROM deliveries WHERE event_id = ?`), prior.EventID); err != nil {
		return false, err
	}
	return false, nil
}

// insertEvents writes the new events.
func (s *Store) insertEvents(ctx context.Context, tx *sqlx.Tx, b *ingestBatch) error {
	for _, i := range b.fresh {
		r := b.reqs[i]
		b.results[i].Event = hook.Event{ID: s.newID(), AppID: r.AppID, EventType: r.EventType, Payload: r.Payload, CreatedAt: b.now}
	}
	return s.insertRows(ctx, tx, "events", eventColumns, len(b.fresh), func(n int) []any {
		e := b.results[b.fresh[n]].Event
		return []any{e.ID, e.AppID, e.EventType, e.Payload, b.now}
	})
}

var eventColumns = []string{"id", "app_id", "event_type", "payload", "created_at"}

// insertIdempotencyKeys records the keys of the new events.
func insertIdempotencyKeys(ctx context.Context, tx *sqlx.Tx, b *ingestBatch) error {
	for _, i := range b.fresh {
		r := b.reqs[i]
		if r.IdemKey == "" {
			continue
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO idempotency_keys (app_id, idem_key, event_id, created_at, request_hash) VALUES (?, ?, ?, ?, ?)`), r.AppID, r.IdemKey, b.results[i].Event.ID, b.now, requestHash(r))
		if isUniqueViolation(err) {
			return ErrIdempotencyRace
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// insertDeliveries writes one delivery per subscribed webhook of each new
// event, in multi-row statements; those the lease reserves are stored
// leased to its owner.
func (s *Store) insertDeliveries(ctx context.Context, tx *sqlx.Tx, b *ingestBatch, lease IngestLease) error {
	var rows [][]any
	for _, i := range b.fresh {
		r := b.reqs[i]
		subs, err := s.subscribers(ctx, tx, b, r)
		if err != nil {
			return err
		}
		res := &b.results[i]
		res.Deliveries = len(subs)
		for _, sub := range subs {
			id, wid := s.newID(), sub.ID
			owner, leaseUntil, next := "", (*time.Time)(nil), &b.now
			switch {
			case sub.Ordering == hook.OrderingFIFO:
				// Parked: promoteFIFO makes it due when its turn comes.
				next = nil
				if !slices.Contains(b.fifo, wid) {
					b.fifo = append(b.fifo, wid)
				}
			case lease.Reserve != nil && (sub.RateLimit == nil || lease.Unreserve != nil) && lease.Reserve(wid):
				owner, leaseUntil = lease.Owner, ptr(b.now.Add(lease.Lease))
				job := hook.Job{Delivery: hook.Delivery{ID: id, AppID: r.AppID, WebhookID: wid, EventID: res.Event.ID,
					EventType: r.EventType, Status: hook.StatusPending, NextAttemptAt: ptr(b.now), CreatedAt: b.now, UpdatedAt: b.now}, Payload: r.Payload}
				if sub.RateLimit == nil {
					b.leased = append(b.leased, job)
					break
				}
				// Leased if its bucket has a token (tokensOrQueue, after
				// the insert): no claim, and no wake-up, for it.
				if b.limited == nil {
					b.limited = map[string]*handover{}
				}
				h := b.limited[wid]
				if h == nil {
					h = &handover{limit: *sub.RateLimit}
					b.limited[wid] = h
				}
				h.reqs, h.jobs = append(h.reqs, i), append(h.jobs, job)
			default:
				res.Queued++
				if sub.RateLimit == nil && lease.Reserve != nil {
					res.Refused++ // the sender had no room for it
				}
			}
			rows = append(rows, []any{id, r.AppID, wid, res.Event.ID, r.EventType, hook.StatusPending, 0, next, owner, leaseUntil, b.now, b.now})
		}
	}
	// Written once every subscriber query has run: COPY holds the connection.
	if err := s.insertRows(ctx, tx, "deliveries", deliveryInsertColumns, len(rows), func(i int) []any { return rows[i] }); err != nil {
		return err
	}
	return s.lockedSteps(ctx, tx, b, lease)
}

// lockedSteps takes the tokens of the rate-limited webhooks' deliveries
// stored leased (tokensOrQueue) and promotes the FIFO webhooks' first
// delivery (promoteFirst). Each locks its webhook's row: all of them in
// id order, as recording does, so that neither waits for the other in a
// cycle.
func (s *Store) lockedSteps(ctx context.Context, tx *sqlx.Tx, b *ingestBatch, lease IngestLease) error {
	ids := slices.Clone(b.fifo)
	for wid := range b.limited {
		ids = append(ids, wid) // FIFO deliveries are parked, never handed over: no webhook is in both
	}
	slices.Sort(ids)
	var back []string
	for _, wid := range ids {
		if h, ok := b.limited[wid]; ok {
			refused, err := s.tokensOrQueue(ctx, tx, b, lease, wid, h)
			if err != nil {
				return err
			}
			back = append(back, refused...)
			continue
		}
		if err := s.promoteFirst(ctx, tx, b, wid); err != nil {
			return err
		}
	}
	if len(back) == 0 {
		return nil
	}
	q, args, err := sqlx.In(`UPDATE deliveries SET lease_owner = '', lease_until = NULL WHERE id IN (?)`, back)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(q), args...)
	return err
}

// tokensOrQueue takes a token of the webhook's bucket for each of its
// deliveries stored leased: those that get one go to the sender (b.leased);
// it returns the others, to be stored due for the claim (which defers them
// to their turn), and gives their reservations back.
func (s *Store) tokensOrQueue(ctx context.Context, tx *sqlx.Tx, b *ingestBatch, lease IngestLease, wid string, h *handover) ([]string, error) {
	got, _, err := s.takeTokensIn(ctx, tx, wid, h.limit, len(h.jobs), b.now)
	if err != nil {
		return nil, err
	}
	b.leased = append(b.leased, h.jobs[:got]...)
	var back []string
	for n, j := range h.jobs[got:] {
		back = append(back, j.ID)
		lease.Unreserve(wid)
		b.results[h.reqs[got+n]].Queued++
	}
	return back, nil
}

// promoteFirst makes the first delivery of a FIFO webhook that got some
// due, if it has no head; the claim that follows finds it.
func (s *Store) promoteFirst(ctx context.Context, tx *sqlx.Tx, b *ingestBatch, wid string) error {
	// A head under way (the usual case when events keep coming) is seen
	// without a lock, so concurrent ingestion batches do not wait for each
	// other on the webhook's row. Should it end before this commits, its
	// recording finds none of these deliveries yet: the sender's
	// PromoteFIFO, every poll, makes the next one due.
	live, err := s.sqlDialect.fifoHeadLive(ctx, tx, wid)
	if err != nil || live {
		return err
	}
	promoted, err := s.promoteFIFO(ctx, tx, wid, b.now, nil)
	if promoted.ID != "" && len(b.fresh) > 0 {
		b.results[b.fresh[0]].Queued++ // a wake-up for the sender
	}
	return err
}

// subscriber is an active webhook subscribed to a request's type, with
// what ingestion needs of its policies.
type subscriber struct {
	ID        string `db:"id"`
	RateLimit *int   `db:"rate_limit"`
	Ordering  string `db:"ordering"`
}

// subscribers returns the active webhooks subscribed to the request's type
// (or *), queried once per app and type in a batch.
func (s *Store) subscribers(ctx context.Context, tx *sqlx.Tx, b *ingestBatch, r IngestRequest) ([]subscriber, error) {
	k := appKey{r.AppID, r.EventType}
	if subs, ok := b.subs[k]; ok {
		return subs, nil
	}
	var subs []subscriber
	if err := tx.StmtxContext(ctx, s.subscribersStmt).SelectContext(ctx, &subs, r.AppID, r.EventType); err != nil {
		return nil, err
	}
	b.subs[k] = subs
	return subs, nil
}

var deliveryInsertColumns = []string{"id", "app_id", "webhook_id", "event_id", "event_type", "status", "attempts",
	"next_attempt_at", "lease_owner", "lease_until", "created_at", "updated_at"}

// answerDups gives each request whose key came earlier in the batch that
// request's event, as a replay.
func (b *ingestBatch) answerDups() {
	for _, d := range b.dups {
		b.results[d[0]] = b.results[d[1]]
		b.results[d[0]].Replayed = true
		b.results[d[0]].Queued, b.results[d[0]].Refused = 0, 0
	}
}

// typeCacheTTL is how long an event type found active in the catalog is
// trusted; archiving one stops ingestion within this time.
const typeCacheTTL = 2 * time.Second

func (s *Store) typeKnown(appID, eventType string) bool {
	v, ok := s.typeCache.Load(appID + "\x00" + eventType)
	return ok && time.Since(v.(time.Time)) < typeCacheTTL
}

// IngestWriters is how many ingestion batches may be written at once: on
// PostgreSQL two, so one commits while the next is written; SQLite takes
// one writer at a time anyway.
func (s *Store) IngestWriters() int { return s.sqlDialect.ingestWriters() }

// NotifiesOthers reports whether NotifyDeliveries reaches other processes
// (PostgreSQL); on SQLite there is only one process.
func (s *Store) NotifiesOthers() bool { return s.sqlDialect.notifiesOtherProcesses() }

// NotifyDeliveries tells the processes that Listen that deliveries are due;
// from names the sender of the process that tells them (its lease owner,
// or "" for none), so that one can tell its own notices from others'. Call
// it after the commit, not inside the ingestion transaction.
func (s *Store) NotifyDeliveries(ctx context.Context, from string) error {
	return s.sqlDialect.notify(ctx, s.db, from)
}

// requestHash identifies what an Idempotency-Key was first used for.
func requestHash(r IngestRequest) string {
	h := sha256.New()
	h.Write([]byte(r.EventType))
	h.Write([]byte{0})
	h.Write(r.Payload)
	return hex.EncodeToString(h.Sum(nil))
}

func ptr[T any](v T) *T { return &v }
