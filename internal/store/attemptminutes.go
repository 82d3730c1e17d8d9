package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// attempt_minutes (migration 0011) counts attempts per webhook and minute as
// they are recorded, in the transaction that records them, so the chart
// reads a row per minute for the hours attempt_hours does not hold yet
// instead of every attempt of them. Minutes before attempt_minutes_since
// (the store's first open after the migration) are read from attempts.

// minuteOf is the minute since the epoch that t falls in, as the
// dialects' minuteBucket computes it from created_at.
func minuteOf(t time.Time) int64 { return floorDiv(t.Unix(), 60) }

// minuteTime is the start of the minute m since the epoch, in UTC.
func minuteTime(m int64) time.Time { return time.Unix(m*60, 0).UTC() }

type minuteKey struct {
	webhook string
	minute  int64
}

// minuteCounts are attempts to add to attempt_minutes: succeeded, failed.
type minuteCounts map[minuteKey][2]int

func (m minuteCounts) add(webhookID string, at time.Time, succeeded bool) {
	k := minuteKey{webhookID, minuteOf(at)}
	c := m[k]
	if succeeded {
		c[0]++
	} else {
		c[1]++
	}
	m[k] = c
}

// execer is a transaction of either kind (sqlx's or database/sql's).
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// minuteUpsertRows bounds one statement of writeMinuteCounts.
const minuteUpsertRows = 200

// writeMinuteCounts adds m to attempt_minutes within tx, the rows in key
// order so that concurrent transactions lock them alike. Recorders call
// it last before their commit: a concurrent one counting the same
// webhook's minute waits for these rows only until then.
func (s *Store) writeMinuteCounts(ctx context.Context, tx execer, m minuteCounts) error {
	keys := slices.SortedFunc(maps.Keys(m), func(a, b minuteKey) int {
		return cmp.Or(strings.Compare(a.webhook, b.webhook), cmp.Compare(a.minute, b.minute))
	})
	for len(keys) > 0 {
		n := min(len(keys), minuteUpsertRows)
		args := make([]any, 0, 4*n)
		for _, k := range keys[:n] {
			c := m[k]
			args = append(args, k.webhook, k.minute, c[0], c[1])
		}
		q := s.db.Rebind(minuteUpsertQuery(n))
		var err error
		if t, ok := tx.(*sqlx.Tx); ok {
			_, err = s.kept.on(ctx, t, q).ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, q, args...)
		}
		if err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// minuteUpsertQuery adds n rows of counts to attempt_minutes.
func minuteUpsertQuery(n int) string {
	var q strings.Builder
	q.WriteString(`INSERT INTO attempt_minutes (webhook_id, minute, succeeded, failed) VALUES `)
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?)")
	}
	q.WriteString(` ON CONFLICT (webhook_id, minute) DO UPDATE SET succeeded = attempt_minutes.succeeded + excluded.succeeded,
			failed = attempt_minutes.failed + excluded.failed`)
	return q.String()
}

// countRecorded counts recorded attempts into attempt_minutes.
func (s *Store) countRecorded(ctx context.Context, tx execer, recs []AttemptRecord, now time.Time) error {
	m := minuteCounts{}
	for _, r := range recs {
		m.add(r.Job.WebhookID, attemptTime(r, now), r.Attempt.Succeeded)
	}
	return s.writeMinuteCounts(ctx, tx, m)
}

// startCountingMinutes marks the next minute as the first attempt_minutes
// counts whole, unless a mark is there (an earlier open).
func (s *Store) startCountingMinutes(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO attempt_minutes_since (id, minute) VALUES (1, ?) ON CONFLICT (id) DO NOTHING`),
		minuteOf(s.now())+1)
	if err != nil {
		return fmt.Errorf("migrate: mark attempt counting: %w", err)
	}
	return nil
}

// countedSince is the first minute attempt_minutes counts whole; false
// when it counts none.
func (s *Store) countedSince(ctx context.Context) (time.Time, bool, error) {
	var m int64
	err := s.db.GetContext(ctx, &m, `SELECT minute FROM attempt_minutes_since WHERE id = 1`)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	return minuteTime(m), true, nil
}

// RecountAttemptMinutes counts attempt_minutes anew from attempts, from the
// minute of `from` on, and marks them whole from there: for attempts
// written around the store's recording (a benchmark's seeded history).
func (s *Store) RecountAttemptMinutes(ctx context.Context, from time.Time) error {
	m := minuteOf(from)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM attempt_minutes WHERE minute >= ?`), m); err != nil {
			return err
		}
		q := `INSERT INTO attempt_minutes (webhook_id, minute, succeeded, failed)
			SELECT webhook_id, minute, SUM(CASE WHEN succeeded THEN 1 ELSE 0 END), SUM(CASE WHEN succeeded THEN 0 ELSE 1 END)
			FROM (SELECT webhook_id, succeeded, ` + s.sqlDialect.minuteBucket() + ` AS minute FROM attempts WHERE created_at >= ?) t
			GROUP BY webhook_id, minute`
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), minuteTime(m)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE attempt_minutes_since SET minute = ? WHERE id = 1`), m)
		return err
	})
}

// addUnrolled adds the attempts of ids in [from, to), which attempt_hours
// does not hold, to the buckets: the whole minutes from since (the first
// attempt_minutes counts) from attempt_minutes, the rest (earlier minutes,
// part-minutes at either end) from attempts.
func (s *Store) addUnrolled(ctx context.Context, out []Bucket, ids []string, since, from, to time.Time, step time.Duration) error {
	if !from.Before(to) {
		return nil
	}
	c0 := from.Truncate(time.Minute)
	if c0.Before(from) {
		c0 = c0.Add(time.Minute)
	}
	if c0.Before(since) {
		c0 = since
	}
	c1 := to.Truncate(time.Minute)
	if !c0.Before(c1) {
		return s.addLiveAttempts(ctx, out, ids, from, to, step)
	}
	if err := s.addLiveAttempts(ctx, out, ids, from, c0, step); err != nil {
		return err
	}
	if err := s.addCountedMinutes(ctx, out, ids, c0, c1, step); err != nil {
		return err
	}
	return s.addLiveAttempts(ctx, out, ids, c1, to, step)
}

// addCountedMinutes adds attempt_minutes' counts of ids for the whole
// minutes of [from, to) to the buckets.
func (s *Store) addCountedMinutes(ctx context.Context, out []Bucket, ids []string, from, to time.Time, step time.Duration) error {
	q, args, err := sqlx.In(`SELECT minute, SUM(succeeded) AS succeeded, SUM(failed) AS failed FROM attempt_minutes
		WHERE webhook_id IN (?) AND minute >= ? AND minute < ? GROUP BY minute`, ids, minuteOf(from), minuteOf(to))
	if err != nil {
		return err
	}
	return s.addMinuteQuery(ctx, out, step, q, args)
}
