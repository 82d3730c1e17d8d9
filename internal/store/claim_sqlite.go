package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
)

// claimDue leases the due deliveries with one UPDATE … RETURNING (SQLite has
// one writer, so no two claims overlap), then reads their payloads.
func (d *sqliteDialect) claimDue(ctx context.Context, db *sqlx.DB, now time.Time, owner string, limit int, lease time.Duration, exclude []string) ([]hook.Job, error) {
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
	if err := db.SelectContext(ctx, &claimed, q, args...); err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	if len(claimed) == 0 {
		return nil, nil
	}
	payloads, err := eventPayloads(ctx, db, claimed)
	if err != nil {
		return nil, err
	}
	jobs := make([]hook.Job, len(claimed))
	for i, d := range claimed {
		jobs[i] = hook.Job{Delivery: d, Payload: payloads[d.EventID]}
	}
	return jobs, nil
}

// eventPayloads returns the payloads of the deliveries' events by event id.
func eventPayloads(ctx context.Context, db *sqlx.DB, ds []hook.Delivery) (map[string][]byte, error) {
	eventIDs := make([]string, len(ds))
	for i, d := range ds {
		eventIDs[i] = d.EventID
	}
	q, args, err := sqlx.In(`SELECT id, payload FROM events WHERE id IN (?)`, eventIDs)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID      string `db:"id"`
		Payload []byte `db:"payload"`
	}
	if err := db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	byID := make(map[string][]byte, len(rows))
	for _, p := range rows {
		byID[p.ID] = p.Payload
	}
	return byID, nil
}
