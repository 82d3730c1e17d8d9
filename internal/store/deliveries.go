package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
)

// IdempotencyWindow is how long an Idempotency-Key returns its first event.
const IdempotencyWindow = 24 * time.Hour

// DisableAfter is how long a webhook may fail every attempt before
// Hookboard turns it off.
const DisableAfter = 5 * 24 * time.Hour

const notifyChannel = "hookboard_deliveries"

const deliveryColumns = `id, app_id, webhook_id, event_id, event_type, status, attempts, automatic_attempts, next_attempt_at, last_attempt_at, created_at, updated_at`

// IngestResult is what ingesting an event did.
type IngestResult struct {
	Event      hook.Event
	Deliveries int
	Replayed   bool // the Idempotency-Key was seen: nothing new was created
	// Queued is how many deliveries were stored due, for a claim (not
	// leased to this process's sender): other senders may want waking.
	Queued int
	// Refused is how many of them are due because this process's sender
	// had no room for them (IngestLease.Reserve said no): it knows, and
	// claims them when it has; a claim now would find none it may take.
	Refused int
}

// Listen calls onNotify with the sender's name (NotifyDeliveries' from)
// for each PostgreSQL notification about new deliveries, from any process
// on the same schema, until ctx ends. On SQLite there is only one process,
// so it just waits.
func (s *Store) Listen(ctx context.Context, onNotify func(from string), onError func(error)) {
	s.sqlDialect.listen(ctx, s.db, onNotify, onError)
}

// ClaimDue leases up to limit due deliveries to owner until now+lease and
// returns them with their payloads. Deliveries of the excluded webhooks
// (busy ones) are left for later. On PostgreSQL any number of processes
// may claim at once without taking the same delivery (claim_postgres.go).
//
// Deliveries of rate-limited webhooks beyond what their limit allows now go
// back to the queue, each due at its turn (ratelimit.go), and are not
// returned; OnDeferred tells when they come due.
func (s *Store) ClaimDue(ctx context.Context, owner string, limit int, lease time.Duration, exclude []string) ([]hook.Job, error) {
	now := s.now()
	jobs, err := s.sqlDialect.claimDue(ctx, s.db, now, owner, limit, lease, exclude)
	if err != nil || len(jobs) == 0 {
		return jobs, err
	}
	kept, err := s.admit(ctx, owner, jobs, now, len(jobs) == limit)
	if err != nil {
		// Nothing is started: the queue gets them all back.
		ids := make([]string, len(jobs))
		for i, j := range jobs {
			ids[i] = j.ID
		}
		return nil, errors.Join(err, s.ReleaseJobs(context.WithoutCancel(ctx), owner, ids, nil))
	}
	return kept, nil
}

// ReleaseJobs gives claimed deliveries back, due again at next (now when nil).
func (s *Store) ReleaseJobs(ctx context.Context, owner string, ids []string, next *time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	at := s.now()
	if next != nil {
		at = *next
	}
	q, args, err := sqlx.In(`UPDATE deliveries SET lease_owner = '', lease_until = NULL, next_attempt_at = ? WHERE lease_owner = ? AND id IN (?)`, at, owner, ids)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.db.Rebind(q), args...)
	return err
}

// WebhookTarget returns a webhook with its decrypted credential and signing
// secrets, for the sender.
func (s *Store) WebhookTarget(ctx context.Context, webhookID string) (hook.Target, error) {
	var t hook.Target
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var row webhookRow
		if err := tx.GetContext(ctx, &row, tx.Rebind(`SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`), webhookID); err != nil {
			return notFound(err, "Webhook")
		}
		t.Webhook = row.webhook(nil)
		hs, err := s.openHeaders(row)
		if err != nil {
			return err
		}
		t.Headers = hs
		if len(row.AuthSecret) > 0 {
			pt, err := s.box.Open(row.AuthSecret, authContext(row.ID))
			if err != nil {
				return err
			}
			t.AuthSecret = string(pt)
		}
		rows, err := s.validSecretRows(ctx, tx, webhookID, s.now())
		if err != nil {
			return err
		}
		for _, r := range rows {
			secret, err := s.open(r)
			if err != nil {
				return err
			}
			t.Secrets = append(t.Secrets, secret)
		}
		return nil
	})
	return t, err
}

// RecordAttempt stores one attempt and applies its outcome to the delivery
// if owner still holds the lease (otherwise the attempt is kept and the
// delivery left to the new owner). A delivery deleted meanwhile gets no
// attempt. It tracks the webhook's run of failures and turns the webhook
// off after DisableAfter of nothing but failures; it reports whether it
// did.
func (s *Store) RecordAttempt(ctx context.Context, owner string, job hook.Job, a hook.Attempt, out hook.Outcome) (disabled bool, err error) {
	rec, err := s.recordBatch(ctx, owner, []AttemptRecord{{Job: job, Attempt: a, Outcome: out}}, Handover{})
	return len(rec.disabled) > 0, err
}

func summarize(a hook.Attempt) string {
	if a.Error != "" {
		return a.Error
	}
	return fmt.Sprintf("HTTP %d", a.ResponseStatus)
}

// CreateTestDelivery stores a webhook.ping event with one delivery to the
// webhook, leased to owner so the caller sends it at once.
func (s *Store) CreateTestDelivery(ctx context.Context, actor hook.Actor, appID, webhookID, owner string, lease time.Duration) (hook.Job, error) {
	var job hook.Job
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		row, _, err := s.webhookRow(ctx, tx, appID, webhookID)
		if err != nil {
			return err
		}
		now := s.now()
		ev := hook.Event{ID: s.newID(), AppID: appID, EventType: hook.PingEventType, CreatedAt: now}
		ev.Payload, _ = json.Marshal(map[string]any{
			"type": hook.PingEventType,
			"data": map[string]any{"webhookId": row.ID, "webhookName": row.Name, "message": "Test event from Hookboard"},
		})
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO events (id, app_id, event_type, payload, created_at) VALUES (?, ?, ?, ?, ?)`),
			ev.ID, appID, ev.EventType, ev.Payload, now); err != nil {
			return err
		}
		d := hook.Delivery{ID: s.newID(), AppID: appID, WebhookID: webhookID, EventID: ev.ID, EventType: ev.EventType, Status: hook.StatusPending, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO deliveries (id, app_id, webhook_id, event_id, event_type, status, attempts, lease_owner, lease_until, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?)`), d.ID, appID, webhookID, ev.ID, ev.EventType, owner, now.Add(lease), now, now); err != nil {
			return err
		}
		job = hook.Job{Delivery: d, Payload: ev.Payload}
		return s.audit(ctx, tx, appID, actor, "webhook.test", "webhook", webhookID, row.Name)
	})
	return job, err
}

// Delivery returns one delivery of the app.
func (s *Store) Delivery(ctx context.Context, appID, id string) (hook.Delivery, error) {
	var d hook.Delivery
	if !validID(id) {
		return d, hook.Errorf(hook.ENOTFOUND, "Delivery not found.")
	}
	err := s.db.GetContext(ctx, &d, s.db.Rebind(`SELECT `+deliveryColumns+` FROM deliveries WHERE id = ? AND app_id = ?`), id, appID)
	return d, notFound(err, "Delivery")
}

type attemptRow struct {
	ID                string    `db:"id"`
	DeliveryID        string    `db:"delivery_id"`
	WebhookID         string    `db:"webhook_id"`
	Trigger           string    `db:"trigger_type"`
	Succeeded         bool      `db:"succeeded"`
	RequestURL        string    `db:"request_url"`
	RequestHeaders    string    `db:"request_headers"`
	ResponseStatus    *int      `db:"response_status"`
	ResponseHeaders   string    `db:"response_headers"`
	ResponseBody      []byte    `db:"response_body"`
	ResponseTruncated bool      `db:"response_truncated"`
	DurationMS        int64     `db:"duration_ms"`
	Error             string    `db:"error"`
	CreatedAt         time.Time `db:"created_at"`
}

// Attempts returns a delivery's attempts, newest first.
func (s *Store) Attempts(ctx context.Context, deliveryID string) ([]hook.Attempt, error) {
	var rows []attemptRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT id, delivery_id, webhook_id, trigger_type, succeeded, request_url, request_headers,
		response_status, response_headers, response_body, response_truncated, duration_ms, error, created_at
		FROM attempts WHERE delivery_id = ? ORDER BY created_at DESC, id DESC`), deliveryID); err != nil {
		return nil, err
	}
	out := make([]hook.Attempt, len(rows))
	for i, r := range rows {
		a := hook.Attempt{ID: r.ID, DeliveryID: r.DeliveryID, WebhookID: r.WebhookID, Trigger: r.Trigger, Succeeded: r.Succeeded,
			RequestURL: r.RequestURL, ResponseBody: r.ResponseBody, ResponseTruncated: r.ResponseTruncated,
			Duration: time.Duration(r.DurationMS) * time.Millisecond, Error: r.Error, CreatedAt: r.CreatedAt}
		if r.ResponseStatus != nil {
			a.ResponseStatus = *r.ResponseStatus
		}
		json.Unmarshal([]byte(r.RequestHeaders), &a.RequestHeaders)
		if r.ResponseHeaders != "" {
			json.Unmarshal([]byte(r.ResponseHeaders), &a.ResponseHeaders)
		}
		out[i] = a
	}
	return out, nil
}

// Event returns one event of the app.
func (s *Store) Event(ctx context.Context, appID, id string) (hook.Event, error) {
	var ev hook.Event
	if !validID(id) {
		return ev, hook.Errorf(hook.ENOTFOUND, "Event not found.")
	}
	err := s.db.GetContext(ctx, &ev, s.db.Rebind(`SELECT id, app_id, event_type, payload, created_at FROM events WHERE id = ? AND app_id = ?`), id, appID)
	return ev, notFound(err, "Event")
}

// retentionEventsQuery finds a batch of the events made before a time: the
// ids below idAt(it), oldest first, on the primary key.
const retentionEventsQuery = `SELECT id FROM events WHERE id < ? ORDER BY id LIMIT ?`

// DeleteOlderThan removes events (with their deliveries and attempts) created
// before cutoff, at most batch events per call; it returns how many went.
// Call it until it returns less than batch. The chart's hours that ended
// by cutoff (attempt_hours) go too.
func (s *Store) DeleteOlderThan(ctx context.Context, cutoff time.Time, batch int) (int, error) {
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM attempt_hours WHERE hour <= ?`), cutoff.UTC().Add(-time.Hour)); err != nil {
		return 0, err
	}
	// An event's id is a UUIDv7 of the time it was made (the history
	// import's too): the events before cutoff are the ids below idAt(cutoff),
	// found on the primary key (migration 0022 dropped the created_at index).
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, s.db.Rebind(retentionEventsQuery), idAt(cutoff), batch); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	// The deliveries go in the order the scan finds them, and a batch of
	// outcomes locks its deliveries in the batch's order: PostgreSQL may
	// break a deadlock between the two by failing this transaction, which
	// then runs again (the sender falls back to one attempt at a time).
	err := s.inTxRetrying(ctx, func(tx *sqlx.Tx) error {
		// Parents first, each its own statement (PostgreSQL's read
		// committed: each sees what committed while the one before waited
		// for a row), so nothing is added beneath a row once it is going.
		// On PostgreSQL no foreign key stops that (migration 0015): a
		// replay locks its event before making a delivery of it, and an
		// attempt is recorded only for a delivery its transaction updated
		// or locked (record.go). Deleting the events first makes a replay
		// of one wait or find it gone; the deliveries then include any
		// replay's, and their attempts any recorded before the delivery's
		// row was taken.
		for _, q := range []string{
			`DELETE FROM idempotency_keys WHERE event_id IN (?)`,
			`DELETE FROM events WHERE id IN (?)`,
		} {
			q, args, err := sqlx.In(q, ids)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
				return err
			}
		}
		q, args, err := sqlx.In(`DELETE FROM deliveries WHERE event_id IN (?) RETURNING id`, ids)
		if err != nil {
			return err
		}
		var gone []string
		if err := tx.SelectContext(ctx, &gone, tx.Rebind(q), args...); err != nil {
			return err
		}
		for part := range slices.Chunk(gone, 1000) {
			q, args, err := sqlx.In(`DELETE FROM attempts WHERE delivery_id IN (?)`, part)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
				return err
			}
		}
		return nil
	})
	return len(ids), err
}

// ListEvents returns one page of the app's events, newest first, optionally
// of one type, and the next cursor.
func (s *Store) ListEvents(ctx context.Context, appID, eventType, cursor string, limit int) ([]hook.Event, string, error) {
	q := `SELECT id, app_id, event_type, payload, created_at FROM events WHERE app_id = ?`
	args := []any{appID}
	if eventType != "" {
		q += ` AND event_type = ?`
		args = append(args, eventType)
	}
	if cursor != "" {
		if !validID(cursor) {
			return nil, "", hook.Errorf(hook.EINVALID, "The page cursor is not valid.")
		}
		q += ` AND id < ?`
		args = append(args, cursor)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit+1)
	var out []hook.Event
	if err := s.db.SelectContext(ctx, &out, s.db.Rebind(q), args...); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// DueCount counts deliveries due now, for the queue-depth metric.
func (s *Store) DueCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ?`), s.now())
	return n, err
}
