package store

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
)

// A webhook's rate limit is a GCRA bucket (the generic cell rate
// algorithm, a token bucket kept as one number): webhooks.rate_tat is the
// theoretical arrival time of its next request. Every process taking
// tokens for the webhook moves it forward with a compare-and-set (on
// PostgreSQL inside hookboard_take_tokens, one round trip), so the limit
// holds across all of them; what the bucket refuses goes back to the
// queue, due when its turn comes, without touching the retry schedule.

// rateInterval is the time between two requests at limit per second, 2 %
// longer than exact: the requests leave on time but reach the endpoint a
// little early or late, and the endpoint must still never see more than
// its limit.
func rateInterval(limit int) time.Duration {
	return (102*time.Second/100 + time.Duration(limit) - 1) / time.Duration(limit)
}

// rateBurst is how many requests may go at once after a quiet spell: a
// 25th of a second's worth, at least 2 (so a claim that comes a little
// late loses no turn) and at most the limit (so any 10 s hold at most
// 10 % more than the limit, even at 1/s).
func rateBurst(limit int) int64 { return int64(min(max(2, limit/25), limit)) }

// takeTokens takes up to n tokens of a webhook's bucket at now and returns
// how many it got and when the next one is free.
func (s *Store) takeTokens(ctx context.Context, webhookID string, limit, n int, now time.Time) (int, time.Time, error) {
	return s.takeTokensIn(ctx, s.db, webhookID, limit, n, now)
}

// takeTokensIn is takeTokens in db or a transaction (a recovery job takes
// its tokens in the transaction that marks its items in flight).
func (s *Store) takeTokensIn(ctx context.Context, db sqlx.ExtContext, webhookID string, limit, n int, now time.Time) (int, time.Time, error) {
	return s.sqlDialect.takeTokens(ctx, db, webhookID, limit, n, now)
}

// takeTokensCalled is takeTokens as one call of hookboard_take_tokens
// (PostgreSQL, migration 0019): the same read and compare-and-set in one
// round trip, their plans kept.
func takeTokensCalled(ctx context.Context, db sqlx.ExtContext, webhookID string, limit, n int, now time.Time) (int, time.Time, error) {
	t := rateInterval(limit).Microseconds()
	tau := (rateBurst(limit) - 1) * t
	var r struct {
		Taken int64         `db:"taken"`
		TAT   sql.NullInt64 `db:"tat"`
	}
	if err := sqlx.GetContext(ctx, db, &r, `SELECT taken, tat FROM hookboard_take_tokens($1, $2, $3, $4, $5)`,
		webhookID, t, tau, n, now.UnixMicro()); err != nil {
		return 0, now, err
	}
	if !r.TAT.Valid {
		return n, now, nil // deleted: the sender finds out and drops them
	}
	return int(r.Taken), time.UnixMicro(r.TAT.Int64 - tau).UTC(), nil
}

// takeTokensStepwise is takeTokens as a read and a compare-and-set
// (SQLite: in-process, and one writer at a time).
func takeTokensStepwise(ctx context.Context, db sqlx.ExtContext, webhookID string, limit, n int, now time.Time) (int, time.Time, error) {
	t := rateInterval(limit).Microseconds()
	tau := (rateBurst(limit) - 1) * t
	nowUS := now.UnixMicro()
	for range 16 {
		var tat int64
		err := sqlx.GetContext(ctx, db, &tat, db.Rebind(`SELECT rate_tat FROM webhooks WHERE id = ?`), webhookID)
		if errors.Is(err, sql.ErrNoRows) {
			return n, now, nil // deleted: the sender finds out and drops them
		}
		if err != nil {
			return 0, now, err
		}
		base := max(tat, nowUS)
		k := min(max((nowUS+tau+t-base)/t, 0), int64(n))
		if k == 0 {
			return 0, time.UnixMicro(base - tau).UTC(), nil
		}
		next := base + k*t
		res, err := db.ExecContext(ctx, db.Rebind(`UPDATE webhooks SET rate_tat = ? WHERE id = ? AND rate_tat = ?`), next, webhookID, tat)
		if err != nil {
			return 0, now, err
		}
		if c, _ := res.RowsAffected(); c == 1 {
			return int(k), time.UnixMicro(next - tau).UTC(), nil
		}
		// Another claim took tokens meanwhile: read again.
	}
	return 0, now.Add(rateInterval(limit)), nil
}

// deferral is a claimed delivery going back to the queue, due at at.
type deferral struct {
	id string
	at time.Time
}

// admit keeps the claimed jobs whose webhooks' rate limits allow them now
// and gives the others back, each due at a slot of its own after the
// bucket's next free token. Plain webhooks (cached as such) cost a map
// lookup each.
func (s *Store) admit(ctx context.Context, owner string, jobs []hook.Job, now time.Time, full bool) ([]hook.Job, error) {
	pols, err := s.policiesOf(ctx, jobs)
	if err != nil {
		return nil, err
	}
	limited := map[string][]int{}
	for i, j := range jobs {
		if p, ok := pols[j.WebhookID]; ok && p.limit > 0 {
			limited[j.WebhookID] = append(limited[j.WebhookID], i)
		}
	}
	if len(limited) == 0 {
		return jobs, nil
	}
	drop := make([]bool, len(jobs))
	var back []deferral
	var first, until time.Time
	every := time.Duration(1<<63 - 1)
	ids := make([]string, 0, len(limited))
	for id := range limited {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, wid := range ids {
		idx, limit := limited[wid], pols[wid].limit
		got, free, err := s.takeTokens(ctx, wid, limit, len(idx), now)
		if err != nil {
			return nil, err
		}
		if got == len(idx) {
			continue
		}
		slots := s.slots(wid, free, rateInterval(limit), len(idx)-got)
		for n, i := range idx[got:] {
			drop[i] = true
			back = append(back, deferral{id: jobs[i].ID, at: slots[n]})
		}
		if first.IsZero() || slots[0].Before(first) {
			first = slots[0]
		}
		until = later(until, slots[len(slots)-1])
		every = min(every, rateInterval(limit))
	}
	if len(back) == 0 {
		return jobs, nil
	}
	if err := s.deferJobs(ctx, owner, back); err != nil {
		return nil, err
	}
	s.deferred(len(back), full, first, until, every)
	kept := make([]hook.Job, 0, len(jobs)-len(back))
	for i, j := range jobs {
		if !drop[i] {
			kept = append(kept, j)
		}
	}
	return kept, nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// slots hands out n times, one interval apart, from the bucket's next free
// token or after the slots this process handed out before, whichever is
// later: deliveries pushed back come due one by one, as the limit allows,
// not all at once to be pushed back again.
func (s *Store) slots(webhookID string, free time.Time, interval time.Duration, n int) []time.Time {
	s.pol.mu.Lock()
	defer s.pol.mu.Unlock()
	if s.pol.horizon == nil {
		s.pol.horizon = map[string]time.Time{}
	}
	start := later(free, s.pol.horizon[webhookID])
	out := make([]time.Time, n)
	for i := range out {
		out[i] = start.Add(time.Duration(i) * interval).Truncate(time.Microsecond)
	}
	s.pol.horizon[webhookID] = start.Add(time.Duration(n) * interval)
	if len(s.pol.horizon) > 10000 {
		clear(s.pol.horizon)
	}
	return out
}

// deferJobs gives claimed deliveries back, each due at its own time.
func (s *Store) deferJobs(ctx context.Context, owner string, back []deferral) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, d := range back {
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE deliveries SET lease_owner = '', lease_until = NULL, next_attempt_at = ? WHERE id = ? AND lease_owner = ?`),
				d.at, d.id, owner); err != nil {
				return err
			}
		}
		return nil
	})
}

// deferred counts deliveries pushed back and tells the senders when to
// claim them; more says the claim took all it could, so more may be due
// now.
func (s *Store) deferred(n int, more bool, first, until time.Time, every time.Duration) {
	s.pol.mu.Lock()
	s.pol.deferred += int64(n)
	fns := slices.Clone(s.pol.onDue)
	s.pol.mu.Unlock()
	if more {
		first = time.Now()
	}
	for _, fn := range fns {
		fn(first, until, every)
	}
}

// dueNow tells the senders that a delivery came due now (a FIFO webhook's
// next one).
func (s *Store) dueNow() {
	now := time.Now()
	s.pol.mu.Lock()
	fns := slices.Clone(s.pol.onDue)
	s.pol.mu.Unlock()
	for _, fn := range fns {
		fn(now, now, 0)
	}
}
