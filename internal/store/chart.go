package store

import (
	"context"
	"time"
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
// every webhook's of the app. It groups by minute in the database (at most
// one row a minute comes back) and by bucket here; step is a whole number
// of minutes.
func (s *Store) AttemptBuckets(ctx context.Context, appID, webhookID string, start time.Time, step time.Duration, n int) ([]Bucket, error) {
	start = start.UTC()
	end := start.Add(time.Duration(n) * step)
	scope, arg := `webhook_id IN (SELECT id FROM webhooks WHERE app_id = ?)`, appID
	if webhookID != "" {
		scope, arg = `webhook_id = ?`, webhookID
	}
	var rows []struct {
		Minute    int64 `db:"minute"`
		Succeeded int   `db:"succeeded"`
		Total     int   `db:"total"`
	}
	q := `SELECT ` + s.sqlDialect.minuteBucket() + ` AS minute, SUM(CASE WHEN succeeded THEN 1 ELSE 0 END) AS succeeded, COUNT(*) AS total
		FROM attempts WHERE ` + scope + ` AND created_at >= ? AND created_at < ? GROUP BY minute`
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), arg, start, end); err != nil {
		return nil, err
	}
	out := make([]Bucket, n)
	for i := range out {
		out[i].Start = start.Add(time.Duration(i) * step)
	}
	stepMin := int64(step / time.Minute)
	first := start.Unix() / 60
	for _, r := range rows {
		i := (r.Minute - first) / max(stepMin, 1)
		if i >= 0 && i < int64(n) {
			out[i].Succeeded += r.Succeeded
			out[i].Failed += r.Total - r.Succeeded
		}
	}
	return out, nil
}

// StatusCounts counts the app's deliveries created since the given time by
// status (pending, retrying, succeeded, failed).
func (s *Store) StatusCounts(ctx context.Context, appID string, since time.Time) (map[string]int, error) {
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT status, COUNT(*) AS n FROM deliveries
		WHERE app_id = ? AND id >= ? GROUP BY status`), appID, idAt(since)); err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}
