package store

import (
	"context"
	"time"
)

// Rate counts a webhook's attempts and how many succeeded.
type Rate struct {
	Succeeded int
	Total     int
}

// SuccessRates returns, per webhook of the app, the attempts since the given
// time and how many succeeded.
func (s *Store) SuccessRates(ctx context.Context, appID string, since time.Time) (map[string]Rate, error) {
	var rows []struct {
		WebhookID string `db:"webhook_id"`
		Succeeded int    `db:"succeeded"`
		Total     int    `db:"total"`
	}
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`
		SELECT a.webhook_id, SUM(CASE WHEN a.succeeded THEN 1 ELSE 0 END) AS succeeded, COUNT(*) AS total
		FROM attempts a JOIN webhooks w ON w.id = a.webhook_id
		WHERE w.app_id = ? AND a.created_at >= ?
		GROUP BY a.webhook_id`), appID, since.UTC())
	if err != nil {
		return nil, err
	}
	out := make(map[string]Rate, len(rows))
	for _, r := range rows {
		out[r.WebhookID] = Rate{Succeeded: r.Succeeded, Total: r.Total}
	}
	return out, nil
}
