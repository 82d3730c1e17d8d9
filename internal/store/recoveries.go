package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
)

// Recovery jobs (issue 16): a job's row and its items are its whole state.
// StartRecovery snapshots the items a job covers; a runner (the sender's
// recovery runner) claims the job under a lease (ClaimRecovery), takes
// items a batch at a time, marking them in flight before it sends
// (TakeRecoveryBatch), and records their attempts and outcomes
// (RecordRecoveryBatch). An item left in flight by a process that died is
// marked interrupted, never sent again, when the job is next claimed or
// taken from: that is what makes "never twice within a job" hold.

// ErrRecoveryLost is returned to a runner whose lease on a job is gone:
// the job was cancelled, finished, or taken over by another process.
var ErrRecoveryLost = errors.New("recovery job: not running under this owner any more")

// recoveryColumns are the columns of hook.Recovery (recoveryRow).
const recoveryColumns = `id, app_id, kind, status, webhook_id, since_time, until_time, filter_status, event_type, from_time, to_time,
	rate, total, sent, succeeded, failed, skipped, interrupted, error, started_by, started_by_id, created_at, started_at, finished_at`

// recoveryRow is a recoveries row; webhook_id may be NULL.
type recoveryRow struct {
	hook.Recovery
	WebhookIDNull *string `db:"webhook_id"`
}

func (r recoveryRow) recovery() hook.Recovery {
	out := r.Recovery
	if r.WebhookIDNull != nil {
		out.WebhookID = *r.WebhookIDNull
	}
	return out
}

// selection is the query of the items a spec covers: item_id, delivery_id
// (NULL for a replay), event_id, webhook_id.
func (s *Store) recoverySelection(appID string, sp hook.RecoverySpec) (string, []any, error) {
	switch sp.Kind {
	case hook.RecoverFailed:
		q := `SELECT d.id AS item_id, d.id AS delivery_id, d.event_id, d.webhook_id FROM deliveries d
			WHERE d.webhook_id = ? AND d.app_id = ? AND d.status IN ('failed', 'retrying') AND d.attempts > 0 AND d.id >= ?`
		args := []any{sp.WebhookID, appID, idAt(sp.Since)}
		if !sp.Until.IsZero() {
			q += ` AND d.id < ?`
			args = append(args, idAt(sp.Until))
		}
		return q, args, nil
	case hook.BulkResend:
		where, args, err := deliveryWhere(appID, DeliveryFilter{WebhookID: sp.WebhookID, Status: sp.Status, EventType: sp.EventType, From: sp.From, To: sp.To})
		if err != nil {
			return "", nil, err
		}
		// The Resend rule: failed, or retrying after a failed attempt.
		where = append(where, `d.status IN ('failed', 'retrying')`, `d.attempts > 0`)
		return `SELECT d.id AS item_id, d.id AS delivery_id, d.event_id, d.webhook_id FROM deliveries d WHERE ` + strings.Join(where, " AND "), args, nil
	case hook.ReplayMissing:
		// (delivery_id is NULL, typed as an id for PostgreSQL.)
		// The events since the time of the types the webhook subscribes to
		// (or all, for "*"; never another webhook's test pings) that it
		// has no delivery for.
		return `SELECT e.id AS item_id, CASE WHEN FALSE THEN e.id END AS delivery_id, e.id AS event_id, w.id AS webhook_id FROM events e JOIN webhooks w ON w.id = ?
			WHERE e.app_id = ? AND w.app_id = e.app_id AND e.id >= ? AND e.event_type <> ?
			  AND EXISTS (SELECT 1 FROM webhook_event_types t WHERE t.webhook_id = w.id AND t.event_type IN (e.event_type, '*'))
			  AND NOT EXISTS (SELECT 1 FROM deliveries x WHERE x.event_id = e.id AND x.webhook_id = w.id)`,
			[]any{sp.WebhookID, appID, idAt(sp.Since), hook.PingEventType}, nil
	}
	return "", nil, hook.Errorf(hook.EINVALID, "Unknown recovery kind %q.", string(sp.Kind))
}

// checkRecoverySpec validates sp (without the retention, which the caller
// checks) and that its webhook is the app's.
func (s *Store) checkRecoverySpec(ctx context.Context, q sqlx.QueryerContext, appID string, sp hook.RecoverySpec) error {
	if err := sp.Validate(s.now().Add(time.Minute), 0); err != nil {
		return err
	}
	if sp.WebhookID == "" {
		return nil
	}
	var wh struct {
		Active   bool   `db:"active"`
		Ordering string `db:"ordering"`
	}
	err := sqlx.GetContext(ctx, q, &wh, s.db.Rebind(`SELECT active, ordering FROM webhooks WHERE id = ? AND app_id = ?`), sp.WebhookID, appID)
	if !validID(sp.WebhookID) || errors.Is(err, sql.ErrNoRows) {
		return hook.FieldErrors{{Field: "webhookId", Message: "No such webhook in this app."}}
	}
	if err != nil {
		return err
	}
	if sp.Kind == hook.ReplayMissing && !wh.Active {
		return hook.Errorf(hook.ECONFLICT, "This webhook is turned off; turn it on before replaying events to it.")
	}
	if sp.Kind == hook.ReplayMissing && wh.Ordering == hook.OrderingFIFO {
		// Its endpoint has seen later events already: replayed ones would
		// reach it out of order, which a FIFO webhook promises never to do.
		return ErrReplayFIFO
	}
	return nil
}

// ReplayFIFOMessage is why Replay missing is refused on a FIFO webhook.
const ReplayFIFOMessage = "This webhook delivers events in order (FIFO), and its endpoint has seen later events already: " +
	"replayed events would reach it out of order. Set its ordering to none to replay missing events."

// ErrReplayFIFO refuses Replay missing on a FIFO webhook (EINVALID).
var ErrReplayFIFO = hook.Errorf(hook.EINVALID, ReplayFIFOMessage)

// PreviewRecovery counts what a job of sp would cover now, up to limit
// items: the items, the webhooks they go to, and how long the job should
// take at rate per webhook. Past limit, More is set, Count is limit and the
// ETA is for the items counted (the job takes at least that long): one
// query that stops at limit+1 items, for a page that must answer fast over
// any history (the job's page shows the exact total once it starts).
// Field errors as StartRecovery.
func (s *Store) PreviewRecovery(ctx context.Context, appID string, sp hook.RecoverySpec, rate, limit int) (hook.RecoveryPreview, error) {
	if sp.WebhookID != "" && !validID(sp.WebhookID) {
		return hook.RecoveryPreview{}, hook.FieldErrors{{Field: "webhookId", Message: "No such webhook in this app."}}
	}
	if err := s.checkRecoverySpec(ctx, s.db, appID, sp); err != nil {
		return hook.RecoveryPreview{}, err
	}
	sel, args, err := s.recoverySelection(appID, sp)
	if err != nil {
		return hook.RecoveryPreview{}, err
	}
	// Counted per webhook without a join (SQLite built an index on the
	// counted items to join them); the webhooks' rate limits come next.
	var counts []struct {
		WebhookID string `db:"webhook_id"`
		N         int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &counts, s.db.Rebind(`SELECT sel.webhook_id, COUNT(*) AS n FROM (`+sel+` LIMIT ?) sel GROUP BY sel.webhook_id`),
		append(args, limit+1)...); err != nil {
		return hook.RecoveryPreview{}, fmt.Errorf("preview recovery: %w", err)
	}
	var limits []struct {
		ID        string `db:"id"`
		RateLimit *int   `db:"rate_limit"`
	}
	if err := s.db.SelectContext(ctx, &limits, s.db.Rebind(`SELECT id, rate_limit FROM webhooks WHERE app_id = ? AND rate_limit IS NOT NULL`), appID); err != nil {
		return hook.RecoveryPreview{}, fmt.Errorf("preview recovery: %w", err)
	}
	rateLimit := make(map[string]int, len(limits))
	for _, l := range limits {
		rateLimit[l.ID] = *l.RateLimit
	}
	// The webhook that takes longest sets the ETA; one with a rate limit
	// below the job's rate gets its limit (its own traffic shares it).
	total, slowest, slowRate := 0, 0, rate
	for _, c := range counts {
		total += c.N
		r := rate
		if l := rateLimit[c.WebhookID]; l > 0 {
			r = min(r, l)
		}
		if c.N*slowRate > slowest*r {
			slowest, slowRate = c.N, r
		}
	}
	more := total > limit
	if more {
		// The extra item told there are more; the ETA keeps it (a lower bound).
		total = limit
	}
	p := hook.NewRecoveryPreview(total, len(counts), slowest, slowRate)
	p.Limited, p.More = slowRate < rate, more
	return p, nil
}

// CountRecovery counts what a job of sp would cover, up to limit: more is
// true when there are more than limit (the count is then limit). One
// query that stops at limit+1 rows, for a page that shows it on every
// load. Field errors as StartRecovery.
func (s *Store) CountRecovery(ctx context.Context, appID string, sp hook.RecoverySpec, limit int) (n int, more bool, err error) {
	if sp.WebhookID != "" && !validID(sp.WebhookID) {
		return 0, false, hook.FieldErrors{{Field: "webhookId", Message: "No such webhook in this app."}}
	}
	if err := s.checkRecoverySpec(ctx, s.db, appID, sp); err != nil {
		return 0, false, err
	}
	sel, args, err := s.recoverySelection(appID, sp)
	if err != nil {
		return 0, false, err
	}
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(*) FROM (`+sel+` LIMIT ?) sel`), append(args, limit+1)...); err != nil {
		return 0, false, fmt.Errorf("count recovery: %w", err)
	}
	if n > limit {
		return limit, true, nil
	}
	return n, false, nil
}

// StartRecovery creates a queued job of sp sending at rate requests per
// second to each webhook: it snapshots the items the job covers and audits
// the start. Errors: hook.FieldErrors for a bad spec (the caller checks
// the retention with sp.Validate first); EINVALID when nothing matches;
// *hook.RecoveryRunningError (ECONFLICT) when another job is queued or
// running for one of its webhooks; ECONFLICT for a replay to a webhook
// that is off.
func (s *Store) StartRecovery(ctx context.Context, actor hook.Actor, appID string, sp hook.RecoverySpec, rate int) (hook.Recovery, error) {
	if sp.WebhookID != "" && !validID(sp.WebhookID) {
		return hook.Recovery{}, hook.FieldErrors{{Field: "webhookId", Message: "No such webhook in this app."}}
	}
	if rate < 1 || rate > hook.MaxRecoveryRate {
		return hook.Recovery{}, fmt.Errorf("start recovery: rate %d out of range", rate)
	}
	var id string
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.checkRecoverySpec(ctx, tx, appID, sp); err != nil {
			return err
		}
		var err error
		id, err = s.insertRecovery(ctx, tx, actor, appID, sp, rate)
		return err
	})
	if isUniqueViolation(err) {
		// Another job took one of the webhooks meanwhile.
		err = s.runningConflict(ctx, s.db, appID, sp)
	}
	if err != nil {
		return hook.Recovery{}, err
	}
	return s.GetRecovery(ctx, appID, id)
}

// insertRecovery writes the job, its items and its webhooks, and audits.
func (s *Store) insertRecovery(ctx context.Context, tx *sqlx.Tx, actor hook.Actor, appID string, sp hook.RecoverySpec, rate int) (string, error) {
	now := s.now()
	id := s.newID()
	actorID, label := actorColumns(actor)
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO recoveries (id, app_id, kind, status, webhook_id, since_time, until_time, filter_status,
		event_type, from_time, to_time, rate, started_by, started_by_id, created_at) VALUES (?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		id, appID, string(sp.Kind), nullString(sp.WebhookID), nullTime(sp.Since), nullTime(sp.Until), sp.Status, sp.EventType,
		nullTime(sp.From), nullTime(sp.To), rate, label, actorID, now); err != nil {
		return "", err
	}
	sel, args, err := s.recoverySelection(appID, sp)
	if err != nil {
		return "", err
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO recovery_items (recovery_id, item_id, delivery_id, event_id, webhook_id, state)
		SELECT r.id, sel.item_id, sel.delivery_id, sel.event_id, sel.webhook_id, 'queued' FROM recoveries r, (`+sel+`) sel WHERE r.id = ?`),
		append(args, id)...)
	if err != nil {
		return "", fmt.Errorf("start recovery: %w", err)
	}
	total, _ := res.RowsAffected()
	if total == 0 {
		return "", hook.Errorf(hook.EINVALID, "%s", nothingMatches(sp.Kind))
	}
	var open []struct {
		RecoveryID string `db:"recovery_id"`
		WebhookID  string `db:"webhook_id"`
	}
	if err := tx.SelectContext(ctx, &open, tx.Rebind(`SELECT rw.recovery_id, rw.webhook_id FROM recovery_webhooks rw
		WHERE rw.active AND rw.webhook_id IN (SELECT webhook_id FROM recovery_items WHERE recovery_id = ?) ORDER BY rw.recovery_id LIMIT 1`), id); err != nil {
		return "", err
	}
	if len(open) > 0 {
		return "", &hook.RecoveryRunningError{RecoveryID: open[0].RecoveryID, WebhookID: open[0].WebhookID}
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO recovery_webhooks (recovery_id, webhook_id, active)
		SELECT DISTINCT recovery_id, webhook_id, TRUE FROM recovery_items WHERE recovery_id = ?`), id); err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE recoveries SET total = ? WHERE id = ?`), total, id); err != nil {
		return "", err
	}
	return id, s.audit(ctx, tx, appID, actor, "recovery.start", "recovery", id, recoveryDetail(sp, int(total)))
}

// runningConflict returns a *hook.RecoveryRunningError when a job is open
// for a webhook sp covers (for a bulk resend without a webhook, any of the
// app's), nil otherwise.
func (s *Store) runningConflict(ctx context.Context, q sqlx.QueryerContext, appID string, sp hook.RecoverySpec) error {
	var open []struct {
		RecoveryID string `db:"recovery_id"`
		WebhookID  string `db:"webhook_id"`
	}
	query := `SELECT rw.recovery_id, rw.webhook_id FROM recovery_webhooks rw JOIN webhooks w ON w.id = rw.webhook_id
		WHERE rw.active AND w.app_id = ?`
	args := []any{appID}
	if sp.WebhookID != "" {
		query += ` AND rw.webhook_id = ?`
		args = append(args, sp.WebhookID)
	}
	if err := sqlx.SelectContext(ctx, q, &open, s.db.Rebind(query+` ORDER BY rw.recovery_id`), args...); err != nil {
		return err
	}
	if len(open) == 0 {
		return nil
	}
	if sp.WebhookID != "" || sp.Kind != hook.BulkResend {
		return &hook.RecoveryRunningError{RecoveryID: open[0].RecoveryID, WebhookID: open[0].WebhookID}
	}
	// A bulk resend over every webhook conflicts only if it covers one of
	// theirs.
	sel, args, err := s.recoverySelection(appID, sp)
	if err != nil {
		return err
	}
	for _, o := range open {
		var n int
		if err := sqlx.GetContext(ctx, q, &n, s.db.Rebind(`SELECT COUNT(*) FROM (`+sel+` AND d.webhook_id = ? LIMIT 1) sel`), append(args, o.WebhookID)...); err != nil {
			return err
		}
		if n > 0 {
			return &hook.RecoveryRunningError{RecoveryID: o.RecoveryID, WebhookID: o.WebhookID}
		}
	}
	return nil
}

func nothingMatches(k hook.RecoveryKind) string {
	if k == hook.ReplayMissing {
		return "No events to replay: every matching event already has a delivery to this webhook."
	}
	return "No failed deliveries match: there is nothing to resend."
}

// recoveryDetail is the audit entry's detail of a start.
func recoveryDetail(sp hook.RecoverySpec, total int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d", sp.Kind, total)
	if sp.Kind == hook.ReplayMissing {
		b.WriteString(" events")
	} else {
		b.WriteString(" deliveries")
	}
	if !sp.Since.IsZero() {
		fmt.Fprintf(&b, " since %s", sp.Since.UTC().Format(time.RFC3339))
	}
	if !sp.Until.IsZero() {
		fmt.Fprintf(&b, " until %s", sp.Until.UTC().Format(time.RFC3339))
	}
	for _, kv := range [][2]string{{"status", sp.Status}, {"type", sp.EventType}} {
		if kv[1] != "" {
			fmt.Fprintf(&b, ", %s %s", kv[0], kv[1])
		}
	}
	if !sp.From.IsZero() {
		fmt.Fprintf(&b, ", from %s", sp.From.UTC().Format(time.RFC3339))
	}
	if !sp.To.IsZero() {
		fmt.Fprintf(&b, ", to %s", sp.To.UTC().Format(time.RFC3339))
	}
	return b.String()
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// GetRecovery returns one job of the app with its counts.
func (s *Store) GetRecovery(ctx context.Context, appID, id string) (hook.Recovery, error) {
	if !validID(id) {
		return hook.Recovery{}, hook.Errorf(hook.ENOTFOUND, "Recovery job not found.")
	}
	var row recoveryRow
	err := s.db.GetContext(ctx, &row, s.db.Rebind(`SELECT `+recoveryColumns+` FROM recoveries WHERE id = ? AND app_id = ?`), id, appID)
	return row.recovery(), notFound(err, "Recovery job")
}

// RecoveryFilter narrows ListRecoveries. Zero values mean "any".
type RecoveryFilter struct {
	WebhookID string
	Open      bool   // queued or running only
	Cursor    string // the last id of the previous page
	Limit     int    // default 50, at most 100
}

// ListRecoveries returns the app's jobs newest first, one page, and the
// cursor of the next ("" on the last).
func (s *Store) ListRecoveries(ctx context.Context, appID string, f RecoveryFilter) ([]hook.Recovery, string, error) {
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 50
	}
	q := `SELECT ` + recoveryColumns + ` FROM recoveries WHERE app_id = ?`
	args := []any{appID}
	if f.WebhookID != "" {
		if !validID(f.WebhookID) {
			return nil, "", nil
		}
		q += ` AND webhook_id = ?`
		args = append(args, f.WebhookID)
	}
	if f.Open {
		q += ` AND status IN ('queued', 'running')`
	}
	if f.Cursor != "" {
		if !validID(f.Cursor) {
			return nil, "", hook.Errorf(hook.EINVALID, "The page cursor is not valid.")
		}
		q += ` AND id < ?`
		args = append(args, f.Cursor)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit+1)
	var rows []recoveryRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, "", err
	}
	out := make([]hook.Recovery, len(rows))
	for i, r := range rows {
		out[i] = r.recovery()
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

// OpenRecovery returns the job queued or running for a webhook of the app,
// if any (a bulk resend that covers it included).
func (s *Store) OpenRecovery(ctx context.Context, appID, webhookID string) (hook.Recovery, bool, error) {
	if !validID(webhookID) {
		return hook.Recovery{}, false, nil
	}
	var id string
	err := s.db.GetContext(ctx, &id, s.db.Rebind(`SELECT rw.recovery_id FROM recovery_webhooks rw JOIN recoveries r ON r.id = rw.recovery_id
		WHERE rw.webhook_id = ? AND rw.active AND r.app_id = ?`), webhookID, appID)
	if errors.Is(err, sql.ErrNoRows) {
		return hook.Recovery{}, false, nil
	}
	if err != nil {
		return hook.Recovery{}, false, err
	}
	r, err := s.GetRecovery(ctx, appID, id)
	return r, err == nil, err
}

// CancelRecovery stops an open job of the app and audits it: its runner
// stops at its next batch (within a second), recording what is in flight;
// the items not sent stay unsent. A job cancelled already is returned as
// it is (no new audit entry); ECONFLICT when it is done or failed.
func (s *Store) CancelRecovery(ctx context.Context, actor hook.Actor, appID, id string) (hook.Recovery, error) {
	if !validID(id) {
		return hook.Recovery{}, hook.Errorf(hook.ENOTFOUND, "Recovery job not found.")
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var row recoveryRow
		if err := tx.GetContext(ctx, &row, tx.Rebind(`SELECT `+recoveryColumns+` FROM recoveries WHERE id = ? AND app_id = ?`+s.sqlDialect.forUpdate()), id, appID); err != nil {
			return notFound(err, "Recovery job")
		}
		if row.Status == hook.RecoveryCancelled {
			return nil // a second click: nothing to do, nothing to audit
		}
		if !row.Status.Open() {
			return hook.Errorf(hook.ECONFLICT, "This recovery job has already finished (%s).", row.Status)
		}
		if err := s.endRecovery(ctx, tx, id, hook.RecoveryCancelled, ""); err != nil {
			return err
		}
		return s.audit(ctx, tx, appID, actor, "recovery.cancel", "recovery", id,
			fmt.Sprintf("%s: %d of %d done", row.Kind, row.Processed(), row.Total))
	})
	if err != nil {
		return hook.Recovery{}, err
	}
	return s.GetRecovery(ctx, appID, id)
}

// endRecovery sets a job's final status and frees its webhooks for the
// next job. The lease stays, so its runner can record what is in flight.
func (s *Store) endRecovery(ctx context.Context, tx *sqlx.Tx, id string, status hook.RecoveryStatus, reason string) error {
	now := s.now()
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE recoveries SET status = ?, error = ?, finished_at = ? WHERE id = ?`), string(status), reason, now, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE recovery_webhooks SET active = ? WHERE recovery_id = ? AND active`), false, id)
	return err
}

// DeleteRecoveriesOlderThan removes the jobs that ended before cutoff, with
// their items, one job per transaction; it returns how many went. The
// retention loop calls it with the retention's cutoff: by then every
// delivery a job covered is gone too.
func (s *Store) DeleteRecoveriesOlderThan(ctx context.Context, cutoff time.Time) (int, error) {
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, s.db.Rebind(`SELECT id FROM recoveries WHERE finished_at < ? ORDER BY id LIMIT 100`), cutoff.UTC()); err != nil {
		return 0, err
	}
	for i, id := range ids {
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			for _, q := range []string{`DELETE FROM recovery_items WHERE recovery_id = ?`, `DELETE FROM recovery_webhooks WHERE recovery_id = ?`, `DELETE FROM recoveries WHERE id = ?`} {
				if _, err := tx.ExecContext(ctx, tx.Rebind(q), id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return i, err
		}
	}
	return len(ids), nil
}
