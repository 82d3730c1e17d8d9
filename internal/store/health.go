package store

import (
	"context"
	"database/sql"
	"time"
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

// webhookHealthQuery gives one row per webhook of the app. Every figure is
// a subquery on one webhook's attempts through the index attempts_webhook
// (webhook_id, created_at), read backwards: the 24-hour counts and median
// read that webhook's latest HealthCap attempts of the last 24 hours, the
// latest attempt and the last ten read the index's first entries. So the page is one query whatever the number of
// webhooks, and it never scans other apps' or older attempts.
const webhookHealthQuery = `
SELECT w.id AS webhook_id,
	(SELECT COUNT(*) FROM (SELECT 1 AS one FROM attempts c WHERE c.webhook_id = w.id AND c.created_at >= ?
		ORDER BY c.created_at DESC LIMIT ` + healthCapText + `) cc) AS total,
	(SELECT COUNT(*) FROM (SELECT s.succeeded FROM attempts s WHERE s.webhook_id = w.id AND s.created_at >= ?
		ORDER BY s.created_at DESC LIMIT ` + healthCapText + `) ss WHERE ss.succeeded) AS ok,
	COALESCE((SELECT MAX(CASE WHEN q.rn = (q.n + 1) / 2 THEN q.duration_ms END) FROM (
		SELECT zz.duration_ms, ROW_NUMBER() OVER (ORDER BY zz.duration_ms) AS rn, COUNT(*) OVER () AS n FROM (
			SELECT z.duration_ms FROM attempts z WHERE z.webhook_id = w.id AND z.created_at >= ?
			ORDER BY z.created_at DESC LIMIT ` + healthCapText + `) zz) q), -1) AS p50,
	COALESCE((SELECT COUNT(*) FROM (SELECT x.succeeded FROM attempts x WHERE x.webhook_id = w.id
		ORDER BY x.created_at DESC LIMIT 10) t WHERE NOT t.succeeded), 0) AS recent_failed,
	la.created_at AS last_at, la.succeeded AS last_succeeded, la.response_status AS last_status, la.error AS last_error
FROM webhooks w
LEFT JOIN attempts la ON la.id = (SELECT y.id FROM attempts y WHERE y.webhook_id = w.id ORDER BY y.created_at DESC LIMIT 1)
WHERE w.app_id = ?`

// HealthCap bounds the 24-hour figures of a busy webhook: they are taken
// over its latest HealthCap attempts of the last 24 hours, so a page costs
// the same however many attempts a day brings.
const HealthCap = 2000

const healthCapText = "2000" // HealthCap, in the SQL text

// WebhookHealth returns, per webhook of the app, its figures since the
// given time and its latest attempts — in one query for the whole page.
func (s *Store) WebhookHealth(ctx context.Context, appID string, since time.Time) (map[string]HealthFigures, error) {
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
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(webhookHealthQuery), since.UTC(), since.UTC(), since.UTC(), appID); err != nil {
		return nil, err
	}
	out := make(map[string]HealthFigures, len(rows))
	for _, r := range rows {
		f := HealthFigures{WebhookID: r.WebhookID, Total: r.Total, Succeeded: r.OK, LatencyP50: r.P50, RecentFailed: r.RecentFailed}
		if r.LastAt.Valid {
			f.LastAt = r.LastAt.Time.UTC()
			f.LastSucceeded = r.LastSucceeded.Bool
			f.LastStatus = int(r.LastStatus.Int64)
			f.LastError = r.LastError.String
		}
		out[r.WebhookID] = f
	}
	return out, nil
}

// ExplainWebhookHealth returns the database's plan for WebhookHealth, one
// line per plan row, to check it stays on indexes.
func (s *Store) ExplainWebhookHealth(ctx context.Context, appID string, since time.Time) ([]string, error) {
	return s.explainPlan(ctx, webhookHealthQuery, since.UTC(), since.UTC(), since.UTC(), appID)
}

// explainPlan runs the dialect's EXPLAIN on q and returns the plan text.
func (s *Store) explainPlan(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.db.Rebind(s.sqlDialect.explain()+q), args...)
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
