package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// beat writes owner's beat, deletes the beats that lapsed, and counts the
// others that did not, in one statement on PostgreSQL's clock (the
// processes' clocks may differ). Its parts share one snapshot: the count
// sees neither the beat nor the deletion, so it counts the others and adds
// the caller.
func (d *postgresDialect) beat(ctx context.Context, db *sqlx.DB, owner string, lapse time.Duration) (int, error) {
	var n int
	err := db.GetContext(ctx, &n, `WITH beat AS (
			INSERT INTO processes (owner, beat_at) VALUES ($1, now())
			ON CONFLICT (owner) DO UPDATE SET beat_at = excluded.beat_at
		), lapsed AS (
			DELETE FROM processes WHERE owner <> $1 AND beat_at < now() - make_interval(secs => $2)
		)
		SELECT 1 + COUNT(*) FROM processes WHERE owner <> $1 AND beat_at >= now() - make_interval(secs => $2)`,
		owner, lapse.Seconds())
	return n, err
}

func (d *postgresDialect) leave(ctx context.Context, db *sqlx.DB, owner string) error {
	_, err := db.ExecContext(ctx, `DELETE FROM processes WHERE owner = $1`, owner)
	return err
}
