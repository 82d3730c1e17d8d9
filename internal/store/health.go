package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
)

// HealthFigures are what a webhook's endpoint did lately: the raw figures
// hook.HealthOf judges.
type HealthFigures struct {
	WebhookID string
	// Total and Succeeded count the attempts since the window's start
	// (the latest HealthCap of them: Total == HealthCap means at least).
	Total     int
	Succeeded int
	// LatencyP50 is the median duration of those attempts (ms); -1 when
	// there were none.
	LatencyP50 int
	// RecentFailed is how many of the (up to) 10 latest attempts failed.
	RecentFailed int
	// Last is the latest attempt ever; zero LastAt when there is none.
	LastAt        time.Time
	LastSucceeded bool
	LastStatus    int // HTTP status, 0 when no answer
	LastError     string
}

// A webhook's figures are two reads of the index attempts_webhook
// (webhook_id, created_at, with succeeded and duration_ms), backwards: its
// latest HealthCap attempts of the window, counted and their median taken
// here in one pass, from the index alone (migration 0012); and its ten
// latest attempts ever, for the last one and how many of them failed. So a
// page costs the same however many attempts a day brings, and never reads
// other webhooks' or older attempts.
const (
	healthWindowQuery = `SELECT succeeded, duration_ms FROM attempts WHERE webhook_id = ? AND created_at >= ?
		ORDER BY created_at DESC LIMIT ` + healthCapText
	// healthWindowQueryOf is the window's read for each webhook w of a
	// statement over the app (the dialect's appHealthQuery).
	healthWindowQueryOf = `SELECT succeeded, duration_ms FROM attempts WHERE webhook_id = w.id AND created_at >= ?
		ORDER BY created_at DESC LIMIT ` + healthCapText
	healthLatestQuery = `SELECT created_at, succeeded, response_status, error FROM attempts WHERE webhook_id = ?
		ORDER BY created_at DESC LIMIT ` + recentText
)

// HealthCap bounds the 24-hour figures of a busy webhook: they are taken
// over its latest HealthCap attempts of the last 24 hours, so a page costs
// the same however many attempts a day brings.
const HealthCap = 2000

const (
	healthCapText = "2000" // HealthCap, in the SQL text
	recentText    = "10"   // RecentFailed's latest attempts
)

// WebhookHealth returns, per webhook of the app, its figures since the
// given time and its latest attempts: in one statement where the dialect
// has one (PostgreSQL), else webhook by webhook.
func (s *Store) WebhookHealth(ctx context.Context, appID string, since time.Time) (map[string]HealthFigures, error) {
	if q := s.sqlDialect.appHealthQuery(); q != "" {
		return s.appHealth(ctx, q, appID, since)
	}
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, s.db.Rebind(`SELECT id FROM webhooks WHERE app_id = ?`), appID); err != nil {
		return nil, err
	}
	out := make(map[string]HealthFigures, len(ids))
	durations := make([]int, 0, HealthCap)
	for _, id := range ids {
		f, err := s.healthOf(ctx, id, since, durations[:0])
		if err != nil {
			return nil, err
		}
		out[id] = f
	}
	return out, nil
}

// appHealth runs the dialect's one statement for the app's webhooks.
func (s *Store) appHealth(ctx context.Context, q, appID string, since time.Time) (map[string]HealthFigures, error) {
	var rows []struct {
		WebhookID     string         `db:"webhook_id"`
		Total         int            `db:"total"`
		OK            int            `db:"ok"`
		P50           int            `db:"p50"`
		RecentFailed  int            `db:"recent_failed"`
		LastAt        sql.NullTime   `db:"last_at"`
		LastSucceeded sql.NullBool   `db:"last_succeeded"`
		LastStatus    sql.NullInt64  `db:"last_status"`
		LastError     sql.NullString `db:"last_error"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), since.UTC(), appID); err != nil {
		return nil, fmt.Errorf("webhook health: %w", err)
	}
	out := make(map[string]HealthFigures, len(rows))
	for _, r := range rows {
		f := HealthFigures{WebhookID: r.WebhookID, Total: r.Total, Succeeded: r.OK, LatencyP50: r.P50, RecentFailed: r.RecentFailed}
		if r.LastAt.Valid {
			f.LastAt, f.LastSucceeded = r.LastAt.Time.UTC(), r.LastSucceeded.Bool
			f.LastStatus, f.LastError = int(r.LastStatus.Int64), r.LastError.String
		}
		out[r.WebhookID] = f
	}
	return out, nil
}

// WebhookHealthOf returns one webhook's figures since the given time and
// its latest attempts (its page's, whatever the app's other webhooks).
// The caller has checked the webhook is the app's.
func (s *Store) WebhookHealthOf(ctx context.Context, webhookID string, since time.Time) (HealthFigures, error) {
	return s.healthOf(ctx, webhookID, since, make([]int, 0, HealthCap))
}

// healthOf reads a webhook's figures, using durations as scratch space.
func (s *Store) healthOf(ctx context.Context, webhookID string, since time.Time, durations []int) (HealthFigures, error) {
	f := HealthFigures{WebhookID: webhookID}
	if err := s.healthWindow(ctx, &f, since.UTC(), durations); err != nil {
		return f, err
	}
	return f, s.healthLatest(ctx, &f)
}

// healthWindow sets f's Total, Succeeded and LatencyP50 from its webhook's
// latest attempts since the time, using durations as scratch space (its
// length is 0; appending within its capacity reuses it).
func (s *Store) healthWindow(ctx context.Context, f *HealthFigures, since time.Time, durations []int) error {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(healthWindowQuery), f.WebhookID, since)
	if err != nil {
		return fmt.Errorf("webhook health: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ok bool
		var ms int
		if err := rows.Scan(&ok, &ms); err != nil {
			return fmt.Errorf("webhook health: %w", err)
		}
		if ok {
			f.Succeeded++
		}
		durations = append(durations, ms)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("webhook health: %w", err)
	}
	f.Total = len(durations)
	f.LatencyP50 = median(durations)
	return nil
}

// median is the middle of ms (the lower middle of an even count), or -1
// for none. It sorts ms.
func median(ms []int) int {
	if len(ms) == 0 {
		return -1
	}
	slices.Sort(ms)
	return ms[(len(ms)+1)/2-1]
}

// healthLatest sets f's latest attempt and RecentFailed.
func (s *Store) healthLatest(ctx context.Context, f *HealthFigures) error {
	var latest []struct {
		CreatedAt time.Time      `db:"created_at"`
		Succeeded bool           `db:"succeeded"`
		Status    sql.NullInt64  `db:"response_status"`
		Error     sql.NullString `db:"error"`
	}
	if err := s.db.SelectContext(ctx, &latest, s.db.Rebind(healthLatestQuery), f.WebhookID); err != nil {
		return fmt.Errorf("webhook health: %w", err)
	}
	for _, a := range latest {
		if !a.Succeeded {
			f.RecentFailed++
		}
	}
	if len(latest) > 0 {
		f.LastAt, f.LastSucceeded = latest[0].CreatedAt.UTC(), latest[0].Succeeded
		f.LastStatus, f.LastError = int(latest[0].Status.Int64), latest[0].Error.String
	}
	return nil
}

// ExplainWebhookHealth returns the database's plans for the health
// figures, one line per plan row, to check they stay on the index: a
// webhook's (the window's read, then the latest attempts'), then the app's
// one statement where the dialect has one.
func (s *Store) ExplainWebhookHealth(ctx context.Context, appID, webhookID string, since time.Time) ([]string, error) {
	window, err := s.explainPlan(ctx, healthWindowQuery, webhookID, since.UTC())
	if err != nil {
		return nil, err
	}
	latest, err := s.explainPlan(ctx, healthLatestQuery, webhookID)
	plan := append(window, latest...)
	if q := s.sqlDialect.appHealthQuery(); q != "" && err == nil {
		var app []string
		app, err = s.explainPlan(ctx, q, since.UTC(), appID)
		plan = append(plan, app...)
	}
	return plan, err
}

// explainPlan runs the dialect's EXPLAIN on q and returns the plan text.
func (s *Store) explainPlan(ctx context.Context, q string, args ...any) ([]string, error) {
	return s.explainOn(ctx, s.db, q, args...)
}

// explainOn is explainPlan on db, a transaction's settings included.
func (s *Store) explainOn(ctx context.Context, db sqlx.QueryerContext, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, s.db.Rebind(s.sqlDialect.explain()+q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var plan []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		switch v := vals[len(vals)-1].(type) { // the plan text is the last column
		case []byte:
			plan = append(plan, string(v))
		case string:
			plan = append(plan, v)
		}
	}
	return plan, rows.Err()
}
