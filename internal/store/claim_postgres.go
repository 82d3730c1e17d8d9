package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hookboard/hookboard/internal/hook"
)

// claimDue takes the due deliveries and their payloads in one round trip,
// through a function whose plan is kept: the due ids in order down
// deliveries_due (an index scan, never a bitmap: migration 0004 says why),
// then each delivery and its event by primary key (migration 0020). FOR
// UPDATE SKIP LOCKED in it lets any number of processes claim at once
// without taking the same delivery.
func (d *postgresDialect) claimDue(ctx context.Context, db *sqlx.DB, now time.Time, owner string, limit int, lease time.Duration, exclude []string) ([]hook.Job, error) {
	if exclude == nil {
		exclude = []string{}
	}
	var rows []struct {
		hook.Delivery
		Payload []byte `db:"payload"`
	}
	err := db.SelectContext(ctx, &rows, `SELECT id, app_id, webhook_id, event_id, event_type, status, attempts, automatic_attempts,
			next_attempt_at, last_attempt_at, created_at, updated_at, payload
		FROM hookboard_claim($1, $2, $3, $4, $5::uuid[])`,
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
