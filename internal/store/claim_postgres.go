package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hookboard/hookboard/internal/hook"
)

// claimDue takes the due deliveries and their payloads in one round trip.
// The due ids come from a function that keeps the scan an index scan
// (migration 0004 says why), and FOR UPDATE SKIP LOCKED in it lets any
// number of processes claim at once without taking the same delivery.
func (d *postgresDialect) claimDue(ctx context.Context, db *sqlx.DB, now time.Time, owner string, limit int, lease time.Duration, exclude []string) ([]hook.Job, error) {
	if exclude == nil {
		exclude = []string{}
	}
	var rows []struct {
		hook.Delivery
		Payload []byte `db:"payload"`
	}
	err := db.SelectContext(ctx, &rows, `UPDATE deliveries d SET lease_owner = $1, lease_until = $2, updated_at = $3 FROM events e
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
