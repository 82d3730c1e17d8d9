package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
)

// rollUpMaxHours bounds one roll-up: the first one counts the day before
// it, and one after a longer pause starts over a day back (the hours in
// between stay read live from attempts).
const rollUpMaxHours = 24

// rollupMark is the one row of attempt_rollup: attempt_hours holds every
// hour from Since up to (not including) Through, in hours since the epoch.
type rollupMark struct {
	Since   int64 `db:"since_hour"`
	Through int64 `db:"through_hour"`
}

// errRollupMoved: another process rolled up the same hours first.
var errRollupMoved = errors.New("attempt roll-up moved meanwhile")

// hourOf is the hour since the epoch that t falls in.
func hourOf(t time.Time) int64 { return floorDiv(t.Unix(), 3600) }

// floorDiv is a / b rounded down (Go's / rounds toward zero).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// hourTime is the start of the hour h since the epoch, in UTC.
func hourTime(h int64) time.Time { return time.Unix(h*3600, 0).UTC() }

// readRollupMark returns the roll-up's mark, and false when nothing was
// rolled up yet.
func (s *Store) readRollupMark(ctx context.Context) (rollupMark, bool, error) {
	var m rollupMark
	err := s.db.GetContext(ctx, &m, `SELECT since_hour, through_hour FROM attempt_rollup WHERE id = 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return m, false, nil
	}
	return m, err == nil, err
}

// RollUpAttemptHours counts into attempt_hours the attempts of every hour
// that ended at or before `before` and is not rolled up yet, at most a day
// of hours per call (see rollUpMaxHours). Call it with a `before` some
// minutes in the past: an attempt is recorded after it starts (its
// created_at), so an hour is only counted once every attempt that started
// in it has been written; until then AttemptBuckets reads the hour live. It
// is idempotent, and processes that run it at once agree (the mark moves
// only from where it was read).
func (s *Store) RollUpAttemptHours(ctx context.Context, before time.Time) error {
	upto := hourOf(before)
	old, found, err := s.readRollupMark(ctx)
	if err != nil {
		return err
	}
	next := old
	if !found || old.Through < upto-rollUpMaxHours {
		next = rollupMark{Since: upto - rollUpMaxHours, Through: upto - rollUpMaxHours}
	}
	if next.Through >= upto {
		return nil
	}
	from := next.Through
	next.Through = upto
	var rows []struct {
		WebhookID string `db:"webhook_id"`
		Hour      int64  `db:"hour"`
		Succeeded int    `db:"succeeded"`
		Total     int    `db:"total"`
	}
	q := `SELECT webhook_id, ` + s.sqlDialect.hourBucket() + ` AS hour, SUM(CASE WHEN succeeded THEN 1 ELSE 0 END) AS succeeded, COUNT(*) AS total
		FROM attempts WHERE webhook_id IN (SELECT id FROM webhooks) AND created_at >= ? AND created_at < ? GROUP BY webhook_id, hour`
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), hourTime(from), hourTime(upto)); err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		ins := tx.Rebind(`INSERT INTO attempt_hours (webhook_id, app_id, hour, succeeded, failed)
			SELECT id, app_id, ?, ?, ? FROM webhooks WHERE id = ? ON CONFLICT DO NOTHING`)
		for _, r := range rows {
			if _, err := tx.ExecContext(ctx, ins, hourTime(r.Hour), r.Succeeded, r.Total-r.Succeeded, r.WebhookID); err != nil {
				return err
			}
		}
		// Minutes of hours rolled up a day ago or more are not read again.
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM attempt_minutes WHERE minute < ?`), (next.Through-rollUpMaxHours)*60); err != nil {
			return err
		}
		return moveRollupMark(ctx, tx, found, old, next)
	})
	if errors.Is(err, errRollupMoved) {
		return nil
	}
	return err
}

// moveRollupMark writes the mark, unless another process moved it since it
// was read (errRollupMoved).
func moveRollupMark(ctx context.Context, tx *sqlx.Tx, found bool, old, next rollupMark) error {
	var res sql.Result
	var err error
	if found {
		res, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE attempt_rollup SET since_hour = ?, through_hour = ? WHERE id = 1 AND through_hour = ?`),
			next.Since, next.Through, old.Through)
	} else {
		res, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO attempt_rollup (id, since_hour, through_hour) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING`),
			next.Since, next.Through)
	}
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errors.Join(errRollupMoved, err)
	}
	return nil
}

// rolledRange is the part of [start, end) that attempt_hours holds (empty,
// lo == hi == start, when none).
func (s *Store) rolledRange(ctx context.Context, start, end time.Time) (lo, hi time.Time, err error) {
	m, found, err := s.readRollupMark(ctx)
	if err != nil || !found {
		return start, start, err
	}
	lo, hi = hourTime(m.Since), hourTime(m.Through)
	if lo.Before(start) {
		lo = start
	}
	if hi.After(end) {
		hi = end
	}
	if !lo.Before(hi) {
		return start, start, nil
	}
	return lo, hi, nil
}

// addRolledHours adds attempt_hours' counts of [lo, hi) to the buckets.
func (s *Store) addRolledHours(ctx context.Context, out []Bucket, scope, arg string, lo, hi time.Time, step time.Duration) error {
	var rows []struct {
		Hour      time.Time `db:"hour"`
		Succeeded int       `db:"succeeded"`
		Failed    int       `db:"failed"`
	}
	q := `SELECT hour, succeeded, failed FROM attempt_hours WHERE ` + scope + ` AND hour >= ? AND hour < ?`
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), arg, lo, hi); err != nil {
		return err
	}
	start := out[0].Start
	for _, r := range rows {
		if i := int(r.Hour.Sub(start) / step); i >= 0 && i < len(out) {
			out[i].Succeeded += r.Succeeded
			out[i].Failed += r.Failed
		}
	}
	return nil
}
