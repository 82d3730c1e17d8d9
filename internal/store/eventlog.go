package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
)

// DeliveryFilter narrows an event log. Zero values mean "any".
type DeliveryFilter struct {
	WebhookID string
	Status    string
	EventType string
	From      time.Time // inclusive
	To        time.Time // exclusive
	Cursor    string    // the last id of the previous page
	Limit     int       // default 50, at most 100
	// Query finds rows directly: a delivery (Event Log) ID, an event ID or
	// an Idempotency-Key the event was sent with.
	Query string
	// EventID keeps an event's deliveries (its page, and a search).
	EventID string
	// DeliveryID keeps one delivery (a search).
	DeliveryID string
}

// DeliveryRow is a delivery with its webhook's name and URL and what its
// latest attempt got (nil before the first attempt).
type DeliveryRow struct {
	hook.Delivery
	WebhookName    string  `db:"webhook_name"`
	WebhookURL     string  `db:"webhook_url"`
	LastStatus     *int    `db:"last_status"`
	LastDurationMS *int64  `db:"last_duration_ms"`
	LastError      *string `db:"last_error"`
}

// LastAttempted reports whether the delivery has a latest attempt.
func (d DeliveryRow) LastAttempted() bool { return d.LastDurationMS != nil }

// LastResponseStatus is the latest attempt's HTTP status, 0 without one.
func (d DeliveryRow) LastResponseStatus() int {
	if d.LastStatus == nil {
		return 0
	}
	return *d.LastStatus
}

// LastDuration is how long the latest attempt took.
func (d DeliveryRow) LastDuration() time.Duration {
	if d.LastDurationMS == nil {
		return 0
	}
	return time.Duration(*d.LastDurationMS) * time.Millisecond
}

// LastErrorText is the latest attempt's error, "" without one.
func (d DeliveryRow) LastErrorText() string {
	if d.LastError == nil {
		return ""
	}
	return *d.LastError
}

// ListDeliveries returns the app's deliveries newest first, one page, and
// the cursor of the next page ("" on the last). The id is a UUIDv7, so the
// date range is an id range and every filter stays on an index that starts
// with the app or the webhook.
func (s *Store) ListDeliveries(ctx context.Context, appID string, f DeliveryFilter) ([]DeliveryRow, string, error) {
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 50
	}
	if f.WebhookID != "" && !validID(f.WebhookID) {
		return nil, "", nil
	}
	f, found, err := s.resolveQuery(ctx, appID, f)
	if err != nil || !found {
		return nil, "", err
	}
	q, args, err := listDeliveriesQuery(appID, f)
	if err != nil {
		return nil, "", err
	}
	var rows []DeliveryRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		next = rows[len(rows)-1].ID
	}
	return rows, next, nil
}

// DeliveryDetail is everything the event details page shows.
type DeliveryDetail struct {
	DeliveryRow
	Event    hook.Event
	Attempts []hook.Attempt // newest first
}

// DeliveryDetail returns one delivery of the app with its event, webhook and
// attempts.
func (s *Store) DeliveryDetail(ctx context.Context, appID, id string) (DeliveryDetail, error) {
	var d DeliveryDetail
	if !validID(id) {
		return d, hook.Errorf(hook.ENOTFOUND, "Delivery not found.")
	}
	err := s.db.GetContext(ctx, &d.DeliveryRow, s.db.Rebind(`SELECT d.id, d.app_id, d.webhook_id, d.event_id, d.event_type, d.status, d.attempts,
		d.next_attempt_at, d.last_attempt_at, d.created_at, d.updated_at, w.name AS webhook_name, w.url AS webhook_url
		FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = ? AND d.app_id = ?`), id, appID)
	if err != nil {
		return d, notFound(err, "Delivery")
	}
	if d.Event, err = s.Event(ctx, appID, d.EventID); err != nil {
		return d, err
	}
	d.Attempts, err = s.Attempts(ctx, id)
	return d, err
}

// Resendable reports whether a delivery may be resent: its latest attempt
// failed, whether it is still retrying or has failed for good.
func Resendable(d hook.Delivery) bool {
	return d.Attempts > 0 && (d.Status == hook.StatusFailed || d.Status == hook.StatusRetrying)
}

// ClaimForResend leases one failed delivery to owner for a manual resend and
// records who asked. ECONFLICT when it did not fail, or when a retry of it
// is under way right now.
func (s *Store) ClaimForResend(ctx context.Context, actor hook.Actor, appID, id, owner string, lease time.Duration) (hook.Job, error) {
	var job hook.Job
	if !validID(id) {
		return job, hook.Errorf(hook.ENOTFOUND, "Delivery not found.")
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		q := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE id = ? AND app_id = ?` + s.sqlDialect.forUpdate()
		if err := tx.GetContext(ctx, &job.Delivery, tx.Rebind(q), id, appID); err != nil {
			return notFound(err, "Delivery")
		}
		if !Resendable(job.Delivery) {
			if job.Status == hook.StatusSucceeded {
				return hook.Errorf(hook.ECONFLICT, "This delivery succeeded; only failed deliveries can be resent.")
			}
			return hook.Errorf(hook.ECONFLICT, "This delivery has not been attempted yet; only failed deliveries can be resent.")
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE id = ? AND (lease_until IS NULL OR lease_until < ?)`),
			owner, now.Add(lease), id, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hook.Errorf(hook.ECONFLICT, "A retry of this delivery is under way right now; look again in a moment.")
		}
		if err := tx.GetContext(ctx, &job.Payload, tx.Rebind(`SELECT payload FROM events WHERE id = ?`), job.EventID); err != nil {
			return err
		}
		return s.audit(ctx, tx, appID, actor, "delivery.resend", "delivery", id, job.EventType)
	})
	return job, err
}

// listDeliveriesQuery builds the event log query (f.Limit already set).
// The page is chosen on the deliveries' indexes first; only its rows then
// look up their latest attempt, one probe of attempts_delivery each, so the
// cost does not grow with the log.
func listDeliveriesQuery(appID string, f DeliveryFilter) (string, []any, error) {
	where, args, err := deliveryWhere(appID, f)
	if err != nil {
		return "", nil, err
	}
	// The three lookups of the latest attempt sit above the LIMIT, so they
	// run for the page's rows only, each an index probe.
	latest := func(col string) string {
		return `(SELECT la.` + col + ` FROM attempts la WHERE la.delivery_id = p.id ORDER BY la.id DESC LIMIT 1)`
	}
	q := `SELECT p.*, ` + latest("response_status") + ` AS last_status, ` + latest("duration_ms") + ` AS last_duration_ms, ` +
		latest("error") + ` AS last_error
		FROM (SELECT d.id, d.app_id, d.webhook_id, d.event_id, d.event_type, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at,
			d.created_at, d.updated_at, w.name AS webhook_name, w.url AS webhook_url
			FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE ` + strings.Join(where, " AND ") + `
			ORDER BY d.id DESC LIMIT ?) p
		ORDER BY p.id DESC`
	args = append(args, f.Limit+1)
	return q, args, nil
}

// deliveryWhere is the event log's WHERE clause for f, every part of it on
// an index that starts with the app, the webhook, the event or the id.
func deliveryWhere(appID string, f DeliveryFilter) ([]string, []any, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if f.WebhookID != "" {
		add("d.webhook_id = ?", f.WebhookID)
	}
	add("d.app_id = ?", appID)
	if f.DeliveryID != "" {
		add("d.id = ?", f.DeliveryID)
	}
	if f.EventID != "" {
		add("d.event_id = ?", f.EventID)
	}
	if f.Status != "" {
		add("d.status = ?", f.Status)
	}
	if f.EventType != "" {
		add("d.event_type = ?", f.EventType)
	}
	if !f.From.IsZero() {
		add("d.id >= ?", idAt(f.From))
	}
	if !f.To.IsZero() {
		add("d.id < ?", idAt(f.To))
	}
	if f.Cursor != "" {
		if !validID(f.Cursor) {
			return nil, nil, hook.Errorf(hook.EINVALID, "The page cursor is not valid.")
		}
		add("d.id < ?", f.Cursor)
	}
	return where, args, nil
}

// resolveQuery turns a search (f.Query) into the delivery or event it names,
// looked up by primary key in this order: a delivery ID, an event ID, an
// Idempotency-Key. found is false when it names nothing of the app's.
func (s *Store) resolveQuery(ctx context.Context, appID string, f DeliveryFilter) (DeliveryFilter, bool, error) {
	q := strings.TrimSpace(f.Query)
	f.Query = ""
	if q == "" {
		return f, (f.EventID == "" || validID(f.EventID)) && (f.DeliveryID == "" || validID(f.DeliveryID)), nil
	}
	var id string
	if validID(q) {
		lower := strings.ToLower(q)
		err := s.db.GetContext(ctx, &id, s.db.Rebind(`SELECT id FROM deliveries WHERE id = ? AND app_id = ?`), lower, appID)
		if err == nil {
			f.DeliveryID = lower
			return f, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return f, false, err
		}
		err = s.db.GetContext(ctx, &id, s.db.Rebind(`SELECT id FROM events WHERE id = ? AND app_id = ?`), lower, appID)
		if err == nil {
			f.EventID = lower
			return f, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return f, false, err
		}
	}
	err := s.db.GetContext(ctx, &id, s.db.Rebind(`SELECT event_id FROM idempotency_keys WHERE app_id = ? AND idem_key = ?`), appID, q)
	if errors.Is(err, sql.ErrNoRows) {
		return f, false, nil
	}
	f.EventID = id
	return f, err == nil, err
}

// ExplainListDeliveries returns the database's plan for an event log query,
// one line per plan row, to check that it stays on an index.
func (s *Store) ExplainListDeliveries(ctx context.Context, appID string, f DeliveryFilter) ([]string, error) {
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 50
	}
	q, args, err := listDeliveriesQuery(appID, f)
	if err != nil {
		return nil, err
	}
	return s.explainPlan(ctx, q, args...)
}
