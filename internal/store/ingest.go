package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
)

// Ingestion is group-committed: concurrent IngestEvent calls queue here and
// one goroutine writes whatever is queued in a single transaction, so many
// API requests share one commit. A lone request waits for nobody.

type ingestReq struct {
	appID, eventType string
	payload          []byte
	idemKey          string
	done             chan ingestResp
}

type ingestResp struct {
	res IngestResult
	err error
}

const maxIngestBatch = 200

// A Dispatcher is this process's sender, taking new deliveries straight
// from ingestion: a delivery it reserves is stored already leased to it
// and handed over once committed, so it costs no claim query and no
// wake-up. Deliveries it has no room for are stored due, for a claim by
// any process.
type Dispatcher interface {
	Owner() string
	Lease() time.Duration
	// Reserve takes room for one new delivery of the webhook, or reports
	// that there is none.
	Reserve(webhookID string) bool
	// Unreserve gives back room when the transaction failed.
	Unreserve(webhookID string)
	// Take hands over committed deliveries, each reserved before.
	Take(jobs []hook.Job)
}

type dispatcherRef struct{ d Dispatcher }

// SetDispatcher sets (or, with nil, removes) the sender that takes this
// process's new deliveries.
func (s *Store) SetDispatcher(d Dispatcher) {
	if d == nil {
		s.dispatch.Store(nil)
		return
	}
	s.dispatch.Store(&dispatcherRef{d})
}

func (s *Store) dispatcher() Dispatcher {
	if r := s.dispatch.Load(); r != nil {
		return r.d
	}
	return nil
}

var errStoreClosed = errors.New("store: closed")

func (s *Store) startIngester() {
	s.ingestQ = make(chan *ingestReq, 1024)
	s.closing = make(chan struct{})
	s.ingestDone = make(chan struct{})
	s.notifyReq = make(chan struct{}, 1)
	if s.dialect == Postgres {
		go s.notifyLoop()
	}
	// On PostgreSQL two batches may be written at once, so one commits
	// while the next is written; SQLite takes one writer at a time anyway.
	writers := 1
	if s.dialect == Postgres {
		writers = 2
	}
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			batch := make([]*ingestReq, 0, maxIngestBatch)
			for {
				select {
				case <-s.closing:
					return
				case r := <-s.ingestQ:
					batch = append(batch[:0], r)
				}
			more:
				for len(batch) < maxIngestBatch {
					select {
					case r := <-s.ingestQ:
						batch = append(batch, r)
					default:
						break more
					}
				}
				s.ingestBatch(batch)
			}
		})
	}
	go func() {
		wg.Wait()
		close(s.ingestDone)
	}()
}

// IngestEvent stores an event and, in the same transaction, one pending
// delivery per active webhook of the app subscribed to its type (or *).
// payload must be a JSON object; its bytes are stored as given. With an
// idempotency key seen in the last 24 hours it returns the first event and
// creates nothing.
func (s *Store) IngestEvent(ctx context.Context, appID, eventType string, payload []byte, idemKey string) (IngestResult, error) {
	if msg := hook.ValidateEventTypeName(eventType); msg != "" {
		return IngestResult{}, hook.FieldErrors{{Field: "eventType", Message: msg}}
	}
	if len(idemKey) > 255 {
		return IngestResult{}, hook.FieldErrors{{Field: "Idempotency-Key", Message: "The Idempotency-Key header must be at most 255 characters."}}
	}
	r := &ingestReq{appID: appID, eventType: eventType, payload: payload, idemKey: idemKey, done: make(chan ingestResp, 1)}
	select {
	case s.ingestQ <- r:
	case <-s.closing:
		return IngestResult{}, errStoreClosed
	case <-ctx.Done():
		return IngestResult{}, ctx.Err()
	}
	select {
	case resp := <-r.done:
		return resp.res, resp.err
	case <-s.closing:
		return IngestResult{}, errStoreClosed
	}
}

// ingestBatch writes a batch in one transaction; if that fails (an
// idempotency key taken by another process meanwhile, say), each request is
// written on its own so only the one at fault sees an error.
func (s *Store) ingestBatch(batch []*ingestReq) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	results, errs, err := s.ingestTx(ctx, batch)
	if err != nil && len(batch) > 1 {
		s.batchRetries.Add(1)
		for _, r := range batch {
			res, errs, err := s.ingestTx(ctx, []*ingestReq{r})
			if errors.Is(err, errIdempotencyRace) {
				res, errs, err = s.ingestTx(ctx, []*ingestReq{r}) // now it sees the other's event
			}
			s.reply(r, res, errs, err)
		}
		return
	}
	if errors.Is(err, errIdempotencyRace) {
		results, errs, err = s.ingestTx(ctx, batch)
	}
	for i, r := range batch {
		s.reply(r, results[i:i+1], errs[i:i+1], err)
	}
}

func (s *Store) reply(r *ingestReq, res []IngestResult, errs []error, err error) {
	switch {
	case err != nil:
		r.done <- ingestResp{err: err}
	case errs[0] != nil:
		r.done <- ingestResp{err: errs[0]}
	default:
		r.done <- ingestResp{res: res[0]}
		if res[0].queued > 0 && !res[0].Replayed {
			s.Wake()
			if s.dialect == Postgres {
				select {
				case s.notifyReq <- struct{}{}:
				default:
				}
			}
		}
	}
}

// ingestTx writes a batch. errs holds each request's own error (an event
// type not in the catalog); err fails the whole transaction.
func (s *Store) ingestTx(ctx context.Context, batch []*ingestReq) ([]IngestResult, []error, error) {
	results := make([]IngestResult, len(batch))
	errs := make([]error, len(batch))
	d := s.dispatcher()
	var taken []hook.Job // reserved by the dispatcher, stored leased to it
	undo := func() {
		for _, j := range taken {
			d.Unreserve(j.WebhookID)
		}
		taken = taken[:0]
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		clear(errs)
		clear(results)
		undo()
		now := s.now()
		type key struct{ app, idem string }
		seen := map[key]int{} // idempotency keys earlier in this batch
		var dups [][2]int     // a request and the earlier one of its key
		answerDups := func() {
			for _, d := range dups {
				results[d[0]] = results[d[1]]
				results[d[0]].Replayed = true
				results[d[0]].queued = 0
			}
		}
		var fresh []int // requests that create an event
		type appType struct{ app, typ string }
		known := map[appType]bool{}
		for i, r := range batch {
			k := appType{r.appID, r.eventType}
			ok, checked := known[k]
			if !checked {
				ok, checked = s.typeKnown(r.appID, r.eventType)
			}
			if !checked {
				var n int
				if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM event_types WHERE app_id = ? AND name = ? AND archived_at IS NULL`), r.appID, r.eventType); err != nil {
					return err
				}
				ok = n > 0
				if ok {
					s.typeCache.Store(r.appID+"\x00"+r.eventType, time.Now())
				}
			}
			known[k] = ok
			if !ok {
				errs[i] = hook.FieldErrors{{Field: "eventType", Message: "“" + r.eventType + "” is not an active type of this app's event catalog; add it on the Event types page or with POST /event-types."}}
				continue
			}
			if r.idemKey == "" {
				fresh = append(fresh, i)
				continue
			}
			if j, ok := seen[key{r.appID, r.idemKey}]; ok {
				if requestHash(batch[j]) != requestHash(r) {
					errs[i] = hook.Errorf(hook.ECONFLICT, "This Idempotency-Key was used in the last 24 hours for a different event (another type or payload); use a new key for a new event.")
					continue
				}
				dups = append(dups, [2]int{i, j}) // answered once j is written
				continue
			}
			var prior struct {
				EventID     string    `db:"event_id"`
				CreatedAt   time.Time `db:"created_at"`
				RequestHash string    `db:"request_hash"`
			}
			err := tx.GetContext(ctx, &prior, tx.Rebind(`SELECT event_id, created_at, request_hash FROM idempotency_keys WHERE app_id = ? AND idem_key = ?`), r.appID, r.idemKey)
			switch {
			case err == nil && prior.CreatedAt.After(now.Add(-IdempotencyWindow)) && prior.RequestHash != "" && prior.RequestHash != requestHash(r):
				errs[i] = hook.Errorf(hook.ECONFLICT, "This Idempotency-Key was used in the last 24 hours for a different event (another type or payload); use a new key for a new event.")
				continue
			case err == nil && prior.CreatedAt.After(now.Add(-IdempotencyWindow)):
				if err := tx.GetContext(ctx, &results[i].Event, tx.Rebind(`SELECT id, app_id, event_type, payload, created_at FROM events WHERE id = ?`), prior.EventID); err != nil {
					return err
				}
				results[i].Replayed = true
				if err := tx.GetContext(ctx, &results[i].Deliveries, tx.Rebind(`SELECT COUNT(*) FROM deliveries WHERE event_id = ?`), prior.EventID); err != nil {
					return err
				}
				seen[key{r.appID, r.idemKey}] = i
				continue
			case err == nil:
				// Older than the window: the key may be used again.
				if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM idempotency_keys WHERE app_id = ? AND idem_key = ?`), r.appID, r.idemKey); err != nil {
					return err
				}
			case hook.ErrorCode(notFound(err, "")) != hook.ENOTFOUND:
				return err
			}
			seen[key{r.appID, r.idemKey}] = i
			fresh = append(fresh, i)
		}
		if len(fresh) == 0 {
			answerDups()
			return nil
		}

		// Events, in one statement.
		var q strings.Builder
		q.WriteString(`INSERT INTO events (id, app_id, event_type, payload, created_at) VALUES `)
		args := make([]any, 0, 5*len(fresh))
		for n, i := range fresh {
			r := batch[i]
			results[i].Event = hook.Event{ID: s.newID(), AppID: r.appID, EventType: r.eventType, Payload: r.payload, CreatedAt: now}
			if n > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, results[i].Event.ID, r.appID, r.eventType, r.payload, now)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(q.String()), args...); err != nil {
			return err
		}

		// Idempotency keys.
		for _, i := range fresh {
			if r := batch[i]; r.idemKey != "" {
				_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO idempotency_keys (app_id, idem_key, event_id, created_at, request_hash) VALUES (?, ?, ?, ?, ?)`), r.appID, r.idemKey, results[i].Event.ID, now, requestHash(r))
				if isUniqueViolation(err) {
					return errIdempotencyRace
				}
				if err != nil {
					return err
				}
			}
		}

		// Subscribers, once per app and type in the batch; then deliveries
		// in multi-row statements.
		type sub struct{ app, typ string }
		subs := map[sub][]string{}
		q.Reset()
		args = args[:0]
		rows := 0
		flush := func() error {
			if rows == 0 {
				return nil
			}
			_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO deliveries (id, app_id, webhook_id, event_id, event_type, status, attempts, next_attempt_at, lease_owner, lease_until, created_at, updated_at) VALUES `+q.String()), args...)
			q.Reset()
			args = args[:0]
			rows = 0
			return err
		}
		for _, i := range fresh {
			r := batch[i]
			k := sub{r.appID, r.eventType}
			ids, ok := subs[k]
			if !ok {
				if err := tx.SelectContext(ctx, &ids, tx.Rebind(`
					SELECT DISTINCT w.id FROM webhooks w JOIN webhook_event_types t ON t.webhook_id = w.id
					WHERE w.app_id = ? AND w.active AND t.event_type IN (?, '*') ORDER BY w.id`), r.appID, r.eventType); err != nil {
					return err
				}
				subs[k] = ids
			}
			results[i].Deliveries = len(ids)
			for _, wid := range ids {
				if rows > 0 {
					q.WriteString(", ")
				}
				q.WriteString("(?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)")
				id := s.newID()
				owner, leaseUntil := "", (*time.Time)(nil)
				if d != nil && d.Reserve(wid) {
					owner, leaseUntil = d.Owner(), ptr(now.Add(d.Lease()))
					next := now
					taken = append(taken, hook.Job{Delivery: hook.Delivery{ID: id, AppID: r.appID, WebhookID: wid, EventID: results[i].Event.ID,
						EventType: r.eventType, Status: hook.StatusPending, NextAttemptAt: &next, CreatedAt: now, UpdatedAt: now}, Payload: r.payload})
				} else {
					results[i].queued++
				}
				args = append(args, id, r.appID, wid, results[i].Event.ID, r.eventType, now, owner, leaseUntil, now, now)
				if rows++; rows == 400 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		answerDups()
		return nil
	})
	if err != nil {
		undo()
	} else if len(taken) > 0 {
		d.Take(taken)
	}
	return results, errs, err
}

// typeCacheTTL is how long an event type found active in the catalog is
// trusted; archiving one stops ingestion within this time.
const typeCacheTTL = 2 * time.Second

func (s *Store) typeKnown(appID, eventType string) (known, checked bool) {
	v, ok := s.typeCache.Load(appID + "\x00" + eventType)
	if ok && time.Since(v.(time.Time)) < typeCacheTTL {
		return true, true
	}
	return false, false
}

// notifyLoop tells other processes on PostgreSQL that deliveries are due:
// outside the ingestion transaction, and at most once per few milliseconds
// however many batches were written meanwhile.
func (s *Store) notifyLoop() {
	for {
		select {
		case <-s.closing:
			return
		case <-s.notifyReq:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.db.ExecContext(ctx, `SELECT pg_notify('`+notifyChannel+`', '')`)
		cancel()
		select {
		case <-s.closing:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// requestHash identifies what an Idempotency-Key was first used for.
func requestHash(r *ingestReq) string {
	h := sha256.New()
	h.Write([]byte(r.eventType))
	h.Write([]byte{0})
	h.Write(r.payload)
	return hex.EncodeToString(h.Sum(nil))
}

func ptr[T any](v T) *T { return &v }
