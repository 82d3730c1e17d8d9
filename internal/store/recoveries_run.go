package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
)

// What a recovery runner calls: ClaimRecovery, then TakeRecoveryBatch and
// RecordRecoveryBatch in turn until the batch says the job is over.

// ClaimRecovery leases to owner (until now+lease) the oldest open job that
// no live process runs: a queued one, one whose lease ran out, or one whose
// owner's process is gone (on PostgreSQL its advisory lock is free; on
// SQLite the caller holds the database's lock file, so every other owner
// is gone). The caller must hold owner's lock (HoldOwner). Items the last
// owner left in flight are marked interrupted, never to be sent again.
// running lists the jobs the caller runs already (they are not claimed
// again even if their lease ran out). false when there is none to claim.
func (s *Store) ClaimRecovery(ctx context.Context, owner string, lease time.Duration, running []string) (hook.Recovery, bool, error) {
	var candidates []struct {
		ID         string     `db:"id"`
		LeaseOwner string     `db:"lease_owner"`
		LeaseUntil *time.Time `db:"lease_until"`
	}
	if err := s.db.SelectContext(ctx, &candidates, s.db.Rebind(`SELECT id, lease_owner, lease_until FROM recoveries
		WHERE status IN ('queued', 'running') ORDER BY created_at LIMIT 50`)); err != nil {
		return hook.Recovery{}, false, fmt.Errorf("claim recovery: %w", err)
	}
	for _, c := range candidates {
		if slices.Contains(running, c.ID) {
			continue
		}
		var claimed hook.Recovery
		ok := false
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			now := s.now()
			free := c.LeaseOwner == "" || c.LeaseUntil == nil || c.LeaseUntil.Before(now)
			if !free {
				gone, err := s.sqlDialect.ownerGone(ctx, tx, c.LeaseOwner, owner)
				if err != nil || !gone {
					return err
				}
			}
			res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE recoveries SET status = 'running', lease_owner = ?, lease_until = ?,
				started_at = COALESCE(started_at, ?) WHERE id = ? AND lease_owner = ? AND status IN ('queued', 'running')`),
				owner, now.Add(lease), now, c.ID, c.LeaseOwner)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // someone else was quicker
			}
			if err := s.interruptInFlight(ctx, tx, c.ID, c.LeaseOwner, now); err != nil {
				return err
			}
			var row recoveryRow
			if err := tx.GetContext(ctx, &row, tx.Rebind(`SELECT `+recoveryColumns+` FROM recoveries WHERE id = ?`), c.ID); err != nil {
				return err
			}
			claimed, ok = row.recovery(), true
			return nil
		})
		if err != nil {
			return hook.Recovery{}, false, fmt.Errorf("claim recovery: %w", err)
		}
		if ok {
			// The job's items went in at once when it started, and the
			// planner may never have counted them: without statistics
			// PostgreSQL guessed a job had two queued items and read all
			// of them to move each batch in flight. Analyzing costs a
			// sample of the table, once per claim; a failure (a role that
			// may not analyze) only leaves the plans as they were.
			_ = s.sqlDialect.refreshStats(ctx, s.db, "recovery_items")
			return claimed, true, nil
		}
	}
	return hook.Recovery{}, false, nil
}

// interruptInFlight marks the job's items in flight interrupted: their
// request may or may not have reached the webhook, so they are not sent
// again. Each gets an attempt that says so (trigger recovery, failed), so
// the delivery's page tells what happened, and counts as failed. A
// replay's delivery made for it ends failed (resendable by hand).
func (s *Store) interruptInFlight(ctx context.Context, tx *sqlx.Tx, id, prevOwner string, now time.Time) error {
	var items []struct {
		DeliveryID *string `db:"delivery_id"`
		WebhookID  string  `db:"webhook_id"`
	}
	if err := tx.SelectContext(ctx, &items, tx.Rebind(`SELECT delivery_id, webhook_id FROM recovery_items WHERE recovery_id = ? AND state = 'inflight'`), id); err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}
	headers, _ := json.Marshal(map[string][]string{})
	counts := minuteCounts{}
	for _, it := range items {
		if it.DeliveryID == nil {
			continue
		}
		// The delivery may be gone (retention, its webhook deleted).
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE deliveries SET attempts = attempts + 1, last_attempt_at = ?, updated_at = ?,
			status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END,
			lease_owner = CASE WHEN lease_owner = ? THEN '' ELSE lease_owner END,
			lease_until = CASE WHEN lease_owner = ? THEN NULL ELSE lease_until END
			WHERE id = ?`), now, now, prevOwner, prevOwner, *it.DeliveryID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO attempts (id, delivery_id, webhook_id, trigger_type, succeeded, request_url, request_headers,
			duration_ms, error, created_at) SELECT ?, ?, ?, ?, ?, w.url, ?, 0, ?, ? FROM webhooks w WHERE w.id = ?`),
			s.newID(), *it.DeliveryID, it.WebhookID, hook.TriggerRecovery, false, string(headers), hook.InterruptedDetail, now, it.WebhookID); err != nil {
			return err
		}
		counts.add(it.WebhookID, now, false)
	}
	if err := s.writeMinuteCounts(ctx, tx, counts); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE recovery_items SET state = 'interrupted', detail = ? WHERE recovery_id = ? AND state = 'inflight'`),
		hook.InterruptedDetail, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE recoveries SET failed = failed + ?, interrupted = interrupted + ? WHERE id = ?`), len(items), len(items), id)
	return err
}

// RecoveryBatch is what TakeRecoveryBatch hands a runner.
type RecoveryBatch struct {
	Recovery hook.Recovery // the job, its lease renewed (counts as of the take)
	// Jobs are the items to send now, each marked in flight and its
	// delivery leased to the owner (a replay's delivery created so).
	Jobs []hook.Job
	// Waiting is how many items were left for now because their delivery
	// is leased elsewhere (an automatic retry under way).
	Waiting int
	// InFlight, when no item is left to take, is how many the caller has
	// in flight (taken, not recorded): the job is done once they are.
	InFlight int
	// Finished: nothing is left to send; the job is done.
	Finished bool
	// Held: items are left, but only to the busy webhooks the caller
	// excluded; it takes them when their turn comes.
	Held bool
	// LimitedUntil, when set, is when the next token of a rate-limited
	// webhook is free: items to it were left queued, waiting their turn.
	LimitedUntil time.Time
}

// recoveryItem is an item with its delivery as it is now (NULL columns
// when the delivery is gone or, for a replay, not made yet).
type recoveryItem struct {
	ItemID      string  `db:"item_id"`
	DeliveryID  *string `db:"delivery_id"`
	EventID     string  `db:"event_id"`
	WebhookID   string  `db:"webhook_id"`
	Active      *bool   `db:"active"`
	RateLimit   *int    `db:"rate_limit"`
	HasDelivery bool    `db:"has_delivery"`

	DStatus     *string    `db:"d_status"`
	DLeaseOwner *string    `db:"d_lease_owner"`
	DLeaseUntil *time.Time `db:"d_lease_until"`
}

// TakeRecoveryBatch renews owner's lease on the job and takes up to limit
// of its queued items, in order: a delivery that succeeded meanwhile (or
// went, or whose webhook is off) is skipped and counted; one leased
// elsewhere waits; the rest are marked in flight, committed, before the
// caller sends them. ErrRecoveryLost when owner no longer runs the job
// (cancelled, or taken over). The caller may take the next batch before
// it recorded the last (a pipeline); items it never records are marked
// interrupted when the job is next claimed (ClaimRecovery), so a runner
// that cannot record gives the job back (ReleaseRecovery). Items to the
// busy webhooks (the runner's pacing has no room for them now) are left
// queued.
func (s *Store) TakeRecoveryBatch(ctx context.Context, owner, id string, limit int, lease time.Duration, busy ...string) (RecoveryBatch, error) {
	var b RecoveryBatch
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		b = RecoveryBatch{}
		now := s.now()
		row, err := s.renewLease(ctx, tx, owner, id, now.Add(lease))
		if err != nil {
			return err
		}
		b.Recovery = row
		items, err := s.queuedItems(ctx, tx, id, limit, busy)
		if err != nil {
			return err
		}
		if len(items) == 0 && len(busy) > 0 {
			q, args, err := sqlx.In(`SELECT COUNT(*) FROM recovery_items WHERE recovery_id = ? AND state = 'queued' AND webhook_id IN (?)`, id, busy)
			if err != nil {
				return err
			}
			n := 0
			if err := tx.GetContext(ctx, &n, tx.Rebind(q), args...); err != nil || n > 0 {
				b.Held = n > 0
				return err
			}
		}
		if len(items) == 0 {
			// Done once the caller has recorded what it has in flight.
			if err := tx.GetContext(ctx, &b.InFlight, tx.Rebind(`SELECT COUNT(*) FROM recovery_items WHERE recovery_id = ? AND state = 'inflight'`), id); err != nil || b.InFlight > 0 {
				return err
			}
			b.Finished = true
			return s.endRecovery(ctx, tx, id, hook.RecoveryDone, "")
		}
		if err := s.takeItems(ctx, tx, &b, row.Kind, owner, id, items, now, lease); err != nil {
			return err
		}
		return s.attachPayloads(ctx, tx, b.Jobs)
	})
	return b, err
}

// renewLease extends owner's lease on the job to until and returns the
// job; ErrRecoveryLost when owner does not run it (any more).
func (s *Store) renewLease(ctx context.Context, tx *sqlx.Tx, owner, id string, until time.Time) (hook.Recovery, error) {
	var row recoveryRow
	err := tx.GetContext(ctx, &row, tx.Rebind(`UPDATE recoveries SET lease_until = ? WHERE id = ? AND lease_owner = ? AND status = 'running'
		RETURNING `+recoveryColumns), until, id, owner)
	if errors.Is(err, sql.ErrNoRows) {
		return hook.Recovery{}, ErrRecoveryLost
	}
	return row.recovery(), err
}

// queuedItems reads the next queued items with their deliveries, but for
// those to the busy webhooks.
func (s *Store) queuedItems(ctx context.Context, tx *sqlx.Tx, id string, limit int, busy []string) ([]recoveryItem, error) {
	q, args, err := queuedItemsQuery(id, limit, busy)
	if err != nil {
		return nil, err
	}
	var items []recoveryItem
	err = tx.SelectContext(ctx, &items, tx.Rebind(q), args...)
	return items, err
}

func queuedItemsQuery(id string, limit int, busy []string) (string, []any, error) {
	not, args := "", []any{id}
	if len(busy) > 0 {
		not, args = " AND i.webhook_id NOT IN (?)", append(args, busy)
	}
	return sqlx.In(`SELECT i.item_id, i.delivery_id, i.event_id, i.webhook_id, w.active, w.rate_limit,
		CASE WHEN i.delivery_id IS NULL THEN EXISTS (SELECT 1 FROM deliveries x WHERE x.event_id = i.event_id AND x.webhook_id = i.webhook_id) ELSE FALSE END AS has_delivery,
		d.status AS d_status, d.lease_owner AS d_lease_owner, d.lease_until AS d_lease_until
		FROM recovery_items i LEFT JOIN deliveries d ON d.id = i.delivery_id LEFT JOIN webhooks w ON w.id = i.webhook_id
		WHERE i.recovery_id = ? AND i.state = 'queued'`+not+` ORDER BY i.item_id LIMIT ?`, append(args, limit)...)
}

// ExplainRecoveryTake returns the database's plans for taking a batch of
// the job's items and moving them on, one line per plan row, to check
// they read the items they move and not the job's others: the next queued
// items, the move of itemIDs from queued to in flight, and from in flight
// to succeeded.
func (s *Store) ExplainRecoveryTake(ctx context.Context, id string, itemIDs []string) ([]string, error) {
	q, args, err := queuedItemsQuery(id, 50, nil)
	if err != nil {
		return nil, err
	}
	plan, err := s.explainPlan(ctx, q, args...)
	for _, move := range [][2]string{{"queued", "inflight"}, {"inflight", "succeeded"}} {
		if err != nil {
			return nil, err
		}
		var more []string
		if q, args, err = itemsMoveQuery(id, itemIDs, move[0], move[1], ""); err == nil {
			more, err = s.explainPlan(ctx, q, args...)
		}
		plan = append(plan, more...)
	}
	return plan, err
}

func itemsMoveQuery(id string, itemIDs []string, from, state, detail string) (string, []any, error) {
	return sqlx.In(`UPDATE recovery_items SET state = ?, detail = ? WHERE recovery_id = ? AND state = ? AND item_id IN (?)`, state, detail, id, from, itemIDs)
}

// takeItems decides each item's fate: skipped (counted), waiting, or in
// flight with its delivery leased to owner (made, for a replay). A few
// statements per batch, not per item: SQLite has one writer.
func (s *Store) takeItems(ctx context.Context, tx *sqlx.Tx, b *RecoveryBatch, kind hook.RecoveryKind, owner, id string, items []recoveryItem, now time.Time, lease time.Duration) error {
	skips := map[string][]string{} // reason → item ids
	var send []recoveryItem
	for _, it := range items {
		reason := skipReason(kind, it)
		switch {
		case reason != "":
			skips[reason] = append(skips[reason], it.ItemID)
		case kind != hook.ReplayMissing && it.DLeaseUntil != nil && it.DLeaseUntil.After(now) && *it.DLeaseOwner != owner:
			b.Waiting++ // an automatic retry of it is under way
		default:
			send = append(send, it)
		}
	}
	skipped := 0
	for reason, ids := range skips {
		if err := s.setItems(ctx, tx, id, ids, "skipped", reason); err != nil {
			return err
		}
		skipped += len(ids)
	}
	if skipped > 0 {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE recoveries SET skipped = skipped + ? WHERE id = ?`), skipped, id); err != nil {
			return err
		}
		b.Recovery.Skipped += skipped
	}
	send, err := s.takeRateTokens(ctx, tx, b, send, now)
	if err != nil || len(send) == 0 {
		return err
	}
	if kind == hook.ReplayMissing {
		return s.takeReplays(ctx, tx, b, owner, id, send, now, lease)
	}
	return s.takeResends(ctx, tx, b, owner, id, send, now, lease)
}

// takeRateTokens takes, for the items to rate-limited webhooks, tokens of
// each webhook's shared bucket (the one its deliveries take, issue 18), in
// the transaction that marks them in flight: what the bucket refuses stays
// queued, waiting its turn, and b.LimitedUntil says when the next token is
// free. A webhook limited to N/s so gets N/s in all, the job's requests
// and its normal traffic together.
func (s *Store) takeRateTokens(ctx context.Context, tx *sqlx.Tx, b *RecoveryBatch, send []recoveryItem, now time.Time) ([]recoveryItem, error) {
	limited := map[string][]int{} // webhook → indexes in send
	var ids []string
	for i, it := range send {
		if it.RateLimit != nil && *it.RateLimit > 0 {
			if _, ok := limited[it.WebhookID]; !ok {
				ids = append(ids, it.WebhookID)
			}
			limited[it.WebhookID] = append(limited[it.WebhookID], i)
		}
	}
	if len(ids) == 0 {
		return send, nil
	}
	slices.Sort(ids)
	drop := make([]bool, len(send))
	for _, wid := range ids {
		idx := limited[wid]
		got, free, err := s.takeTokensIn(ctx, tx, wid, *send[idx[0]].RateLimit, len(idx), now)
		if err != nil {
			return nil, err
		}
		if got == len(idx) {
			continue
		}
		for _, i := range idx[got:] {
			drop[i] = true
		}
		b.Waiting += len(idx) - got
		if b.LimitedUntil.IsZero() || free.Before(b.LimitedUntil) {
			b.LimitedUntil = free
		}
	}
	kept := send[:0:0]
	for i, it := range send {
		if !drop[i] {
			kept = append(kept, it)
		}
	}
	return kept, nil
}

// takeResends leases the items' deliveries to owner in one statement (those
// another owner took meanwhile wait) and marks the leased ones in flight.
func (s *Store) takeResends(ctx context.Context, tx *sqlx.Tx, b *RecoveryBatch, owner, id string, send []recoveryItem, now time.Time, lease time.Duration) error {
	ids := make([]string, len(send))
	for i, it := range send {
		ids[i] = *it.DeliveryID
	}
	q, args, err := sqlx.In(`UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE id IN (?) AND (lease_until IS NULL OR lease_until < ? OR lease_owner = ?)
		RETURNING `+deliveryColumns, owner, now.Add(lease), ids, now, owner)
	if err != nil {
		return err
	}
	var leased []hook.Delivery
	if err := tx.SelectContext(ctx, &leased, tx.Rebind(q), args...); err != nil {
		return err
	}
	b.Waiting += len(send) - len(leased)
	if len(leased) == 0 {
		return nil
	}
	// In item order (the statement returns them in any).
	byID := make(map[string]hook.Delivery, len(leased))
	taken := make([]string, 0, len(leased))
	for _, d := range leased {
		byID[d.ID] = d
	}
	for _, it := range send {
		if d, ok := byID[*it.DeliveryID]; ok {
			b.Jobs = append(b.Jobs, hook.Job{Delivery: d})
			taken = append(taken, it.ItemID)
		}
	}
	return s.setItems(ctx, tx, id, taken, "inflight", "")
}

// takeReplays creates each item's delivery, pending and leased to owner
// (due never: only this job sends it), and marks the item in flight. Each
// event is locked first, so that retention, which deletes events before
// their deliveries, cannot miss the delivery made here (on PostgreSQL no
// foreign key ties them, migration 0015). An event gone by now is skipped.
func (s *Store) takeReplays(ctx context.Context, tx *sqlx.Tx, b *RecoveryBatch, owner, id string, send []recoveryItem, now time.Time, lease time.Duration) error {
	var gone []string
	for _, it := range send {
		var ev struct {
			AppID     string `db:"app_id"`
			EventType string `db:"event_type"`
		}
		err := tx.GetContext(ctx, &ev, tx.Rebind(`SELECT app_id, event_type FROM events WHERE id = ?`+s.sqlDialect.forKeyShare()), it.EventID)
		if errors.Is(err, sql.ErrNoRows) {
			gone = append(gone, it.ItemID)
			continue
		}
		if err != nil {
			return err
		}
		d := hook.Delivery{ID: s.newID(), AppID: ev.AppID, WebhookID: it.WebhookID, EventID: it.EventID, EventType: ev.EventType,
			Status: hook.StatusPending, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO deliveries (id, app_id, webhook_id, event_id, event_type, status, attempts, lease_owner, lease_until, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)`), d.ID, d.AppID, d.WebhookID, d.EventID, d.EventType, owner, now.Add(lease), now, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE recovery_items SET state = 'inflight', delivery_id = ? WHERE recovery_id = ? AND item_id = ?`), d.ID, id, it.ItemID); err != nil {
			return err
		}
		b.Jobs = append(b.Jobs, hook.Job{Delivery: d})
	}
	if len(gone) == 0 {
		return nil
	}
	if err := s.setItems(ctx, tx, id, gone, "skipped", "the event was deleted"); err != nil {
		return err
	}
	b.Recovery.Skipped += len(gone)
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE recoveries SET skipped = skipped + ? WHERE id = ?`), len(gone), id)
	return err
}

// setItemsFrom moves the job's items that are in state from to state, and
// returns how many moved.
func (s *Store) setItemsFrom(ctx context.Context, tx *sqlx.Tx, id string, itemIDs []string, from, state, detail string) (int, error) {
	if len(itemIDs) == 0 {
		return 0, nil
	}
	q, args, err := itemsMoveQuery(id, itemIDs, from, state, detail)
	if err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(q), args...)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// setItems moves queued items to state.
func (s *Store) setItems(ctx context.Context, tx *sqlx.Tx, id string, itemIDs []string, state, detail string) error {
	_, err := s.setItemsFrom(ctx, tx, id, itemIDs, "queued", state, detail)
	return err
}

// skipReason says why an item is not sent, or "" when it is to be.
func skipReason(kind hook.RecoveryKind, it recoveryItem) string {
	switch {
	case it.Active == nil:
		return "the webhook was deleted"
	case !*it.Active:
		return "the webhook is turned off"
	case kind == hook.ReplayMissing && it.HasDelivery:
		return "the event has a delivery to this webhook by now"
	case kind == hook.ReplayMissing:
		return ""
	case it.DStatus == nil:
		return "the delivery was deleted"
	case *it.DStatus == hook.StatusSucceeded:
		return "the delivery succeeded since the job started"
	}
	return ""
}

// attachPayloads fills in the jobs' event payloads.
func (s *Store) attachPayloads(ctx context.Context, tx *sqlx.Tx, jobs []hook.Job) error {
	if len(jobs) == 0 {
		return nil
	}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.EventID
	}
	q, args, err := sqlx.In(`SELECT id, payload FROM events WHERE id IN (?)`, ids)
	if err != nil {
		return err
	}
	var rows []struct {
		ID      string `db:"id"`
		Payload []byte `db:"payload"`
	}
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), args...); err != nil {
		return err
	}
	byID := make(map[string][]byte, len(rows))
	for _, r := range rows {
		byID[r.ID] = r.Payload
	}
	for i := range jobs {
		jobs[i].Payload = byID[jobs[i].EventID]
	}
	return nil
}

// RecordRecoveryBatch stores the attempts of a batch's items (as
// RecordAttempts does: the deliveries' outcomes, the webhooks' runs of
// failures) and the items' outcomes and the job's counts, in one
// transaction. ErrRecoveryLost, writing nothing, when owner no longer holds
// the job's lease (another process took it over and marked these items
// interrupted). A cancelled job still records what was in flight.
func (s *Store) RecordRecoveryBatch(ctx context.Context, owner, id string, recs []AttemptRecord) error {
	if len(recs) == 0 {
		return nil
	}
	fifo, err := s.endedFIFO(ctx, recs)
	if err != nil {
		return err
	}
	promoted := 0
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var job struct {
			Kind       hook.RecoveryKind `db:"kind"`
			LeaseOwner string            `db:"lease_owner"`
		}
		if err := tx.GetContext(ctx, &job, tx.Rebind(`SELECT kind, lease_owner FROM recoveries WHERE id = ?`+s.sqlDialect.forUpdate()), id); err != nil {
			return notFound(err, "Recovery job")
		}
		if job.LeaseOwner != owner {
			return ErrRecoveryLost
		}
		rec, err := s.recordIn(ctx, tx, owner, recs, fifo, Handover{})
		if err != nil {
			return err
		}
		promoted = rec.promoted
		var okIDs, failedIDs []string
		for _, r := range recs {
			item := r.Job.ID
			if job.Kind == hook.ReplayMissing {
				item = r.Job.EventID
			}
			if r.Attempt.Succeeded {
				okIDs = append(okIDs, item)
			} else {
				failedIDs = append(failedIDs, item)
			}
		}
		succeeded, err := s.setItemsFrom(ctx, tx, id, okIDs, "inflight", "succeeded", "")
		if err != nil {
			return err
		}
		failed, err := s.setItemsFrom(ctx, tx, id, failedIDs, "inflight", "failed", "")
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE recoveries SET sent = sent + ?, succeeded = succeeded + ?, failed = failed + ? WHERE id = ?`),
			succeeded+failed, succeeded, failed, id)
		return err
	})
	if err == nil && promoted > 0 {
		s.dueNow()
	}
	return err
}

// ReleaseRecovery gives up owner's lease on a job (the process is
// stopping): the job stays running, for the next process to claim at once.
func (s *Store) ReleaseRecovery(ctx context.Context, owner, id string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE recoveries SET lease_owner = '', lease_until = NULL WHERE id = ? AND lease_owner = ?`), id, owner)
	return err
}
