package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
)

// Bucket is one bar of a chart: the attempts that started in
// [Start, Start+step).
type Bucket struct {
	Start     time.Time
	Succeeded int
	Failed    int
}

// AttemptBuckets counts attempts in n buckets of step from start, oldest
// first, empty ones included: one webhook's when webhookID is set, else
// every webhook's of the app. With whole hours from a whole hour, the hours
// RollUpAttemptHours has counted come from attempt_hours and only the
// others (the current and latest hours, any not reached yet) from attempts;
// with shorter steps everything comes from attempts. Attempts are grouped
// by minute in the database (at most one row a minute comes back) and by
// bucket here; step is a whole number of minutes.
func (s *Store) AttemptBuckets(ctx context.Context, appID, webhookID string, start time.Time, step time.Duration, n int) ([]Bucket, error) {
	start = start.UTC()
	end := start.Add(time.Duration(n) * step)
	out := make([]Bucket, n)
	for i := range out {
		out[i].Start = start.Add(time.Duration(i) * step)
	}
	lo, hi := start, start
	if n > 0 && step%time.Hour == 0 && start.Equal(start.Truncate(time.Hour)) {
		var err error
		if lo, hi, err = s.rolledRange(ctx, start, end); err != nil {
			return nil, err
		}
	}
	if lo.Before(hi) {
		scope, arg := `app_id = ?`, appID
		if webhookID != "" {
			scope, arg = `webhook_id = ?`, webhookID
		}
		if err := s.addRolledHours(ctx, out, scope, arg, lo, hi, step); err != nil {
			return nil, err
		}
	}
	// What the hours not rolled up read: the webhooks, and from when
	// attempt_minutes counts, looked up once for both ranges.
	ids, err := s.chartWebhooks(ctx, appID, webhookID)
	if err != nil || len(ids) == 0 {
		return out, err
	}
	since, counting, err := s.countedSince(ctx)
	if err != nil {
		return nil, err
	}
	if !counting {
		since = end // nothing counted: every minute from attempts
	}
	for _, r := range [][2]time.Time{{start, lo}, {hi, end}} {
		if err := s.addUnrolled(ctx, out, ids, since, r[0], r[1], step); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// addLiveAttempts adds the attempts of [from, to) to the buckets, counted
// in attempts.
func (s *Store) addLiveAttempts(ctx context.Context, out []Bucket, ids []string, from, to time.Time, step time.Duration) error {
	if !from.Before(to) {
		return nil
	}
	q, args, err := sqlx.In(`SELECT `+s.sqlDialect.minuteBucket()+` AS minute, SUM(CASE WHEN succeeded THEN 1 ELSE 0 END) AS succeeded,
		SUM(CASE WHEN succeeded THEN 0 ELSE 1 END) AS failed
		FROM attempts WHERE webhook_id IN (?) AND created_at >= ? AND created_at < ? GROUP BY minute`, ids, from, to)
	if err != nil {
		return err
	}
	return s.addMinuteQuery(ctx, out, step, q, args)
}

// addMinuteQuery runs q, whose rows are minuteRows, and adds each minute's
// counts to the bucket it falls in.
func (s *Store) addMinuteQuery(ctx context.Context, out []Bucket, step time.Duration, q string, args []any) error {
	var rows []minuteRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return err
	}
	addMinuteRows(out, rows, step)
	return nil
}

// chartWebhooks is the webhook, or the app's webhooks as a list, not a
// subquery: PostgreSQL then reads each one's range of the index instead of
// scanning the table when the range read is a large part of it.
func (s *Store) chartWebhooks(ctx context.Context, appID, webhookID string) ([]string, error) {
	if webhookID != "" {
		return []string{webhookID}, nil
	}
	var ids []string
	err := s.db.SelectContext(ctx, &ids, s.db.Rebind(`SELECT id FROM webhooks WHERE app_id = ?`), appID)
	return ids, err
}

// minuteRow is one minute's attempts, from attempts or attempt_minutes.
type minuteRow struct {
	Minute    int64 `db:"minute"`
	Succeeded int   `db:"succeeded"`
	Failed    int   `db:"failed"`
}

// addMinuteRows adds each minute's counts to the bucket it falls in.
func addMinuteRows(out []Bucket, rows []minuteRow, step time.Duration) {
	stepMin := int64(step / time.Minute)
	first := out[0].Start.Unix() / 60
	for _, r := range rows {
		i := (r.Minute - first) / max(stepMin, 1)
		if i >= 0 && i < int64(len(out)) {
			out[i].Succeeded += r.Succeeded
			out[i].Failed += r.Failed
		}
	}
}

// StatusCap bounds each count of StatusCounts: a count of StatusCap means
// "at least", so the overview costs the same however busy the app is.
const StatusCap = 10000

// StatusCounts counts the app's deliveries created since the given time by
// status (pending, retrying, succeeded, failed), each up to StatusCap: one
// index range (deliveries_app_status) per status, read up to the cap.
func (s *Store) StatusCounts(ctx context.Context, appID string, since time.Time) (map[string]int, error) {
	var row struct {
		Pending   int `db:"pending"`
		Retrying  int `db:"retrying"`
		Succeeded int `db:"succeeded"`
		Failed    int `db:"failed"`
	}
	one := `(SELECT COUNT(*) FROM (SELECT 1 AS one FROM deliveries WHERE app_id = ? AND status = ? AND id >= ? LIMIT ` + statusCapText + `) t)`
	q := `SELECT ` + one + ` AS pending, ` + one + ` AS retrying, ` + one + ` AS succeeded, ` + one + ` AS failed`
	from := idAt(since)
	var args []any
	for _, st := range []string{hook.StatusPending, hook.StatusRetrying, hook.StatusSucceeded, hook.StatusFailed} {
		args = append(args, appID, st, from)
	}
	if err := s.db.GetContext(ctx, &row, s.db.Rebind(q), args...); err != nil {
		return nil, err
	}
	out := map[string]int{}
	for st, n := range map[string]int{hook.StatusPending: row.Pending, hook.StatusRetrying: row.Retrying,
		hook.StatusSucceeded: row.Succeeded, hook.StatusFailed: row.Failed} {
		if n > 0 {
			out[st] = n
		}
	}
	return out, nil
}

const statusCapText = "10000" // StatusCap, in the SQL text
