package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
)

// Endpoint policies (issue 18) in storage: a webhook's rate limit, custom
// headers and ordering. The rate limit and FIFO work in the claim path:
// ratelimit.go takes tokens from a bucket every process shares; FIFO keeps
// all but one of a webhook's pending deliveries parked (no
// next_attempt_at), so no claim can see them, and promotes the next when
// the head succeeds or fails for good.

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func splitNames(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func headersContext(webhookID string) string { return "webhook-headers:" + webhookID }

// openHeaders decrypts a webhook row's custom headers.
func (s *Store) openHeaders(row webhookRow) ([]hook.Header, error) {
	if len(row.Headers) == 0 {
		return nil, nil
	}
	pt, err := s.box.Open(row.Headers, headersContext(row.ID))
	if err != nil {
		return nil, err
	}
	var hs []hook.Header
	if err := json.Unmarshal(pt, &hs); err != nil {
		return nil, err
	}
	return hs, nil
}

// setPolicies puts in's policies on row, sealing the headers; a blank value
// keeps the stored value of the same name. It returns the names of the
// policies that changed, for the audit log (never a value).
func (s *Store) setPolicies(row *webhookRow, in hook.WebhookInput, stored []hook.Header) []string {
	var changed []string
	if deref(row.RateLimit) != in.RateLimit {
		changed = append(changed, "rate limit")
	}
	row.RateLimit = nil
	if in.RateLimit > 0 {
		row.RateLimit = ptr(in.RateLimit)
	}
	if row.Ordering != "" && row.Ordering != in.Ordering {
		changed = append(changed, "ordering")
	}
	row.Ordering = in.Ordering
	headers := make([]hook.Header, 0, len(in.Headers))
	names := make([]string, 0, len(in.Headers))
	for _, h := range in.Headers {
		if h.Value == "" {
			if i := slices.IndexFunc(stored, func(o hook.Header) bool { return o.Name == h.Name }); i >= 0 {
				h.Value = stored[i].Value
			}
		}
		headers = append(headers, h)
		names = append(names, h.Name)
	}
	if !slices.Equal(headers, stored) && (len(headers) > 0 || len(stored) > 0) {
		changed = append(changed, "headers")
	}
	row.HeaderNames, row.Headers = strings.Join(names, "\n"), nil
	if len(headers) > 0 {
		pt, _ := json.Marshal(headers)
		row.Headers = s.box.Seal(pt, headersContext(row.ID))
	}
	s.forgetPolicy(row.ID)
	return changed
}

// policy is what the claim and the recorder need to know of a webhook.
type policy struct {
	limit   int  // requests per second, 0 for none
	fifo    bool // one at a time in event order
	fetched time.Time
}

// policyTTL is how long a webhook's policy is trusted: a change reaches
// every process within it (as the sender's target cache does).
const policyTTL = time.Second

// policies is the store's cache of webhook policies, and what the rate
// limit's deferrals tell the sender.
type policies struct {
	cache sync.Map // webhook id → policy

	mu       sync.Mutex
	horizon  map[string]time.Time // rate-limited webhook → end of the slots handed out here
	onDue    []func(first, until time.Time, every time.Duration)
	deferred int64 // deliveries pushed back by a rate limit, for tests and benchmarks
}

func (s *Store) forgetPolicy(id string) { s.pol.cache.Delete(id) }

// policiesOf returns the policies of the jobs' webhooks that have one (a
// limit or FIFO), from the cache or, for those not cached, one query.
func (s *Store) policiesOf(ctx context.Context, jobs []hook.Job) (map[string]policy, error) {
	var out map[string]policy
	var missing []string
	now := time.Now()
	for _, j := range jobs {
		v, ok := s.pol.cache.Load(j.WebhookID)
		if ok && now.Sub(v.(policy).fetched) < policyTTL {
			if p := v.(policy); p.limit > 0 || p.fifo {
				if out == nil {
					out = map[string]policy{}
				}
				out[j.WebhookID] = p
			}
			continue
		}
		if !slices.Contains(missing, j.WebhookID) {
			missing = append(missing, j.WebhookID)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	q, args, err := sqlx.In(`SELECT id, rate_limit, ordering FROM webhooks WHERE id IN (?)`, missing)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID        string `db:"id"`
		RateLimit *int   `db:"rate_limit"`
		Ordering  string `db:"ordering"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, err
	}
	for _, id := range missing {
		s.pol.cache.Store(id, policy{fetched: now}) // a deleted webhook has none
	}
	for _, r := range rows {
		p := policy{limit: deref(r.RateLimit), fifo: r.Ordering == hook.OrderingFIFO, fetched: now}
		s.pol.cache.Store(r.ID, p)
		if p.limit > 0 || p.fifo {
			if out == nil {
				out = map[string]policy{}
			}
			out[r.ID] = p
		}
	}
	return out, nil
}

// OnDue registers fn, called when deliveries come due at a time no claim
// would otherwise look: pushed back for a rate limit (the first due at
// first, the last by until, one every every in between; first is now when
// the claim took all it could, so more may be due), or a FIFO webhook's
// next one promoted (first = until = now, every 0). The sender claims
// again then.
func (s *Store) OnDue(fn func(first, until time.Time, every time.Duration)) {
	s.pol.mu.Lock()
	defer s.pol.mu.Unlock()
	s.pol.onDue = append(s.pol.onDue, fn)
}

// Deferred is how many deliveries rate limits pushed back in this process.
func (s *Store) Deferred() int64 {
	s.pol.mu.Lock()
	defer s.pol.mu.Unlock()
	return s.pol.deferred
}

// applyOrdering releases a FIFO webhook's parked deliveries when it
// switches to none: all of them become due at once.
func (s *Store) applyOrdering(ctx context.Context, tx *sqlx.Tx, webhookID, from, to string) error {
	if from != hook.OrderingFIFO || to == hook.OrderingFIFO {
		return nil
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE deliveries SET next_attempt_at = ? WHERE webhook_id = ? AND next_attempt_at IS NULL AND status IN ('pending', 'retrying') AND lease_owner = ''`),
		s.now(), webhookID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE webhooks SET fifo_head = NULL WHERE id = ?`), webhookID)
	return err
}

// promoteFIFO makes the next parked delivery of a FIFO webhook due, in
// event order (the event's time, then its id), unless its head is still
// pending or waiting for a retry; with to, it is stored leased to to.owner
// (handed to that sender: no claim) and returned whole, with its payload.
// It returns the delivery it promoted (only its id without to), or none
// (an empty ID).
func (s *Store) promoteFIFO(ctx context.Context, tx *sqlx.Tx, webhookID string, now time.Time, to *leaseTo) (hook.Job, error) {
	return s.sqlDialect.promoteFIFO(ctx, tx, webhookID, now, to)
}

// promoteFIFOStepwise is promoteFIFO a statement at a time (SQLite:
// in-process, a statement costs no round trip).
func promoteFIFOStepwise(ctx context.Context, tx *sqlx.Tx, webhookID string, now time.Time, to *leaseTo) (hook.Job, error) {
	// Touching the row locks it (SQLite has one writer anyway), so two
	// processes never promote two heads. What follows reads with a
	// snapshot taken after the lock: it sees the head that the last holder
	// promoted.
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE webhooks SET fifo_head = fifo_head WHERE id = ? AND ordering = 'fifo'`), webhookID)
	if err != nil {
		return hook.Job{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return hook.Job{}, nil
	}
	return advanceFIFOStepwise(ctx, tx, webhookID, now, to)
}

// advanceFIFOStepwise is promoteFIFO's work after the lock, a statement
// at a time (SQLite: in-process, a statement costs no round trip).
func advanceFIFOStepwise(ctx context.Context, tx *sqlx.Tx, webhookID string, now time.Time, to *leaseTo) (hook.Job, error) {
	if live, err := fifoHeadLive(ctx, tx, webhookID); err != nil || live {
		return hook.Job{}, err
	}
	var next struct {
		ID        string    `db:"id"`
		CreatedAt time.Time `db:"created_at"`
	}
	err := tx.GetContext(ctx, &next, tx.Rebind(`SELECT id, created_at FROM deliveries WHERE webhook_id = ? AND next_attempt_at IS NULL AND status IN ('pending', 'retrying') AND lease_owner = ''
		ORDER BY created_at, event_id LIMIT 1`), webhookID)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE webhooks SET fifo_head = NULL WHERE id = ?`), webhookID)
		return hook.Job{}, err
	}
	if err != nil {
		return hook.Job{}, err
	}
	// Due since it was created: the claim takes deliveries oldest first,
	// and a FIFO delivery has waited its turn already; due now, it would
	// queue again behind every delivery that came due meanwhile.
	due := now
	if next.CreatedAt.Before(now) {
		due = next.CreatedAt
	}
	if to == nil {
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE deliveries SET next_attempt_at = ? WHERE id = ?`), due, next.ID)
	} else {
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE deliveries SET next_attempt_at = ?, lease_owner = ?, lease_until = ?, updated_at = ? WHERE id = ?`),
			due, to.owner, to.until, now, next.ID)
	}
	if err != nil {
		return hook.Job{}, err
	}
	if _, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE webhooks SET fifo_head = ? WHERE id = ?`), next.ID, webhookID); err != nil {
		return hook.Job{}, err
	}
	if to == nil {
		return hook.Job{Delivery: hook.Delivery{ID: next.ID}}, nil
	}
	var row struct {
		hook.Delivery
		Payload []byte `db:"payload"`
	}
	err = tx.GetContext(ctx, &row, tx.Rebind(`SELECT `+deliveryColumns+`,
		(SELECT payload FROM events WHERE events.id = deliveries.event_id) AS payload FROM deliveries WHERE id = ?`), next.ID)
	return hook.Job{Delivery: row.Delivery, Payload: row.Payload}, err
}

// promoteFIFOCalled is promoteFIFO as one call of hookboard_fifo_promote
// (PostgreSQL, migration 0018): the lock, the head's check, the next
// parked delivery, the webhook's new head and the promoted delivery in one
// round trip, with plans the function keeps instead of planning them at
// every step.
func promoteFIFOCalled(ctx context.Context, tx *sqlx.Tx, webhookID string, now time.Time, to *leaseTo) (hook.Job, error) {
	var owner *string
	var until *time.Time
	if to != nil {
		owner, until = &to.owner, &to.until
	}
	var rows []struct {
		hook.Delivery
		Payload []byte `db:"payload"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT `+deliveryColumns+`, payload FROM hookboard_fifo_promote($1, $2, $3, $4)`,
		webhookID, now, owner, until); err != nil || len(rows) == 0 {
		return hook.Job{}, err
	}
	if to == nil {
		return hook.Job{Delivery: hook.Delivery{ID: rows[0].ID}}, nil
	}
	return hook.Job{Delivery: rows[0].Delivery, Payload: rows[0].Payload}, nil
}

// leaseTo is a lease a delivery is stored with: its owner and its end.
type leaseTo struct {
	owner string
	until time.Time
}

// fifoHeadLive reports, without locking, whether a FIFO webhook's head is
// pending or waiting for a retry (SQLite; PostgreSQL calls
// hookboard_fifo_head_live, fifoHeadLiveCalled).
func fifoHeadLive(ctx context.Context, tx *sqlx.Tx, webhookID string) (bool, error) {
	var n int
	err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM webhooks w JOIN deliveries h ON h.id = w.fifo_head
		WHERE w.id = ? AND h.status IN ('pending', 'retrying') AND h.next_attempt_at IS NOT NULL`), webhookID)
	return n > 0, err
}

// fifoHeadLiveCalled is fifoHeadLive as a call of hookboard_fifo_head_live
// (PostgreSQL, migration 0018), whose plan is kept.
func fifoHeadLiveCalled(ctx context.Context, tx *sqlx.Tx, webhookID string) (bool, error) {
	var live bool
	err := tx.GetContext(ctx, &live, `SELECT hookboard_fifo_head_live($1)`, webhookID)
	return live, err
}

// PromoteFIFO promotes the next delivery of every FIFO webhook whose head
// is done, and reports how many it made due. Recording an attempt does it
// for its own webhook; this catches the rest (a head deleted by retention,
// an ordering changed while a head was in flight). The sender calls it
// every poll interval.
func (s *Store) PromoteFIFO(ctx context.Context) (int, error) {
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, `SELECT id FROM webhooks WHERE ordering = 'fifo'`); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		var stuck int
		// Only when something waits and nothing is due: no write otherwise.
		if err := s.db.GetContext(ctx, &stuck, s.db.Rebind(`SELECT COUNT(*) FROM webhooks w WHERE w.id = ?
			AND EXISTS (SELECT 1 FROM deliveries p WHERE p.webhook_id = w.id AND p.next_attempt_at IS NULL AND p.status IN ('pending', 'retrying') AND p.lease_owner = '')
			AND NOT EXISTS (SELECT 1 FROM deliveries h WHERE h.id = w.fifo_head AND h.status IN ('pending', 'retrying') AND h.next_attempt_at IS NOT NULL)`), id); err != nil {
			return n, err
		}
		if stuck == 0 {
			continue
		}
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			promoted, err := s.promoteFIFO(ctx, tx, id, s.now(), nil)
			if promoted.ID != "" {
				n++
			}
			return err
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// FIFOWaiting is how many deliveries of a webhook wait behind its FIFO
// head.
func (s *Store) FIFOWaiting(ctx context.Context, webhookID string) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(*) FROM deliveries WHERE webhook_id = ? AND next_attempt_at IS NULL AND status IN ('pending', 'retrying')`), webhookID)
	return n, err
}
