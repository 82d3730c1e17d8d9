package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

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
}

// Listen calls onNotify for each PostgreSQL notification about new
// deliveries (NotifyDeliveries, from any process) until ctx ends. On SQLite
// there is only one process, so it just waits.
func (s *Store) Listen(ctx context.Context, onNotify func(), onError func(error)) {
	if !s.notifies() {
		<-ctx.Done()
		return
	}
	l := pq.NewListener(s.driverDSN, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil && onError != nil {
			onError(redactErr(err))
		}
	})
	defer l.Close()
	if err := l.Listen(notifyChannel); err != nil && onError != nil {
		onError(redactErr(err))
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.Notify:
			onNotify()
		case <-time.After(90 * time.Second):
			go l.Ping()
		}
	}
}

// ClaimDue leases up to limit due deliveries to owner until now+lease and
// returns them with their payloads. Deliveries of the excluded webhooks
// (busy ones) are left for later. On PostgreSQL, FOR UPDATE SKIP LOCKED lets
// any number of processes claim at once without taking the same delivery.
func (s *Store) ClaimDue(ctx context.Context, owner string, limit int, lease time.Duration, exclude []string) ([]hook.Job, error) {
	now := s.now()
	if s.dialect == Postgres {
		// One round trip: the payloads come back with the claim. The due
		// ids come from a function that keeps the scan an index scan
		// (migration 0004 says why).
		if exclude == nil {
			exclude = []string{}
		}
		var rows []struct {
			hook.Delivery
			Payload []byte `db:"payload"`
		}
		err := s.db.SelectContext(ctx, &rows, `UPDATE deliveries d SET lease_owner = $1, lease_until = $2, updated_at = $3 FROM events e
			WHERE e.id = d.event_id AND d.id = ANY (ARRAY(SELECT hookboard_due_deliveries($3, $4, $5::uuid[])))
			RETURNING d.id, d.app_id, d.webhook_id, d.event_id, d.event_type, d.status, d.attempts, d.automatic_attempts, d.next_attempt_at, d.last_attempt_at, d.created_at, d.updated_at, e.payload`,
			owner, now.Add(lease), now, limit, pq.StringArray(exclude))
		if err != nil {
			return nil, fmt.Errorf("claim deliveries: %w", err)
		}
		jobs := make([]hook.Job, len(rows))
		for i, r := range rows {
			jobs[i] = hook.Job{Delivery: r.Delivery, Payload: r.Payload}
		}
		return jobs, nil
	}
	inner := `SELECT id FROM deliveries WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?)`
	args := []any{owner, now.Add(lease), now, now, now}
	if len(exclude) > 0 {
		inner += ` AND webhook_id NOT IN (?)`
		args = append(args, exclude)
	}
	inner += ` ORDER BY next_attempt_at LIMIT ?`
	args = append(args, limit)
	q, args, err := sqlx.In(`UPDATE deliveries SET lease_owner = ?, lease_until = ?, updated_at = ? WHERE id IN (`+inner+`) RETURNING `+deliveryColumns, args...)
	if err != nil {
		return nil, err
	}
	var claimed []hook.Delivery
	if err := s.db.SelectContext(ctx, &claimed, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	if len(claimed) == 0 {
		return nil, nil
	}
	eventIDs := make([]string, len(claimed))
	for i, d := range claimed {
		eventIDs[i] = d.EventID
	}
	q, args, err = sqlx.In(`SELECT id, payload FROM events WHERE id IN (?)`, eventIDs)
	if err != nil {
		return nil, err
	}
	var payloads []struct {
		ID      string `db:"id"`
		Payload []byte `db:"payload"`
	}
	if err := s.db.SelectContext(ctx, &payloads, s.db.Rebind(q), args...); err != nil {
		return nil, err
	}
	byID := make(map[string][]byte, len(payloads))
	for _, p := range payloads {
		byID[p.ID] = p.Payload
	}
	jobs := make([]hook.Job, len(claimed))
	for i, d := range claimed {
		jobs[i] = hook.Job{Delivery: d, Payload: byID[d.EventID]}
	}
	return jobs, nil
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
// delivery left to the new owner). It tracks the webhook's run of failures
// and turns the webhook off after DisableAfter of nothing but failures; it
// reports whether it did.
func (s *Store) RecordAttempt(ctx context.Context, owner string, job hook.Job, a hook.Attempt, out hook.Outcome) (disabled bool, err error) {
	r := AttemptRecord{Job: job, Attempt: a, Outcome: out}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		now := s.now()
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO attempts (id, delivery_id, webhook_id, trigger_type, succeeded, request_url, request_headers,
			response_status, response_headers, response_body, response_truncated, duration_ms, error, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), attemptArgs(s.newID(), r, now)...); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE deliveries SET status = ?, attempts = attempts + 1, automatic_attempts = automatic_attempts + ?,
			next_attempt_at = ?, last_attempt_at = ?, lease_owner = '', lease_until = NULL, updated_at = ? WHERE id = ? AND lease_owner = ?`),
			out.Status, automatic(a), out.NextAttemptAt, attemptTime(r, now), now, job.ID, owner); err != nil {
			return err
		}
		disabled, err = s.trackFailures(ctx, tx, r, now)
		return err
	})
	return disabled, err
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

// DeleteOlderThan removes events (with their deliveries and attempts) created
// before cutoff, at most batch events per call; it returns how many went.
// Call it until it returns less than batch.
func (s *Store) DeleteOlderThan(ctx context.Context, cutoff time.Time, batch int) (int, error) {
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, s.db.Rebind(`SELECT id FROM events WHERE created_at < ? ORDER BY created_at LIMIT ?`), cutoff.UTC(), batch); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, q := range []string{
			`DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE event_id IN (?))`,
			`DELETE FROM deliveries WHERE event_id IN (?)`,
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
