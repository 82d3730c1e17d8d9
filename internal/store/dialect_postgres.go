package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hookboard/hookboard/internal/hook"
)

// postgresDialect is PostgreSQL through lib/pq: any number of processes on
// one database, told of new deliveries by LISTEN/NOTIFY (listen_postgres.go),
// their liveness kept by advisory locks (leases_postgres.go).
type postgresDialect struct {
	driverDSN string

	channelMu   sync.Mutex
	channelName string // the schema's NOTIFY channel, once looked up (listen_postgres.go)
}

func (d *postgresDialect) name() string { return Postgres }

func (d *postgresDialect) open() (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", d.driverDSN)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	return db, nil
}

// lockMigrations: several processes may start at once; one migrates, the
// others wait.
func (d *postgresDialect) lockMigrations(ctx context.Context, tx *sqlx.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7276832)`)
	return err
}

func (d *postgresDialect) forUpdate() string { return ` FOR UPDATE` }

func (d *postgresDialect) forKeyShare() string { return ` FOR KEY SHARE` }

// refreshStats analyzes the table (a sample of its rows: a few tens of
// milliseconds however large). Autovacuum would, a minute or so later,
// where it is on.
func (d *postgresDialect) refreshStats(ctx context.Context, db *sqlx.DB, table string) error {
	_, err := db.ExecContext(ctx, `ANALYZE `+pq.QuoteIdentifier(table))
	return err
}

func (d *postgresDialect) lockApp(ctx context.Context, tx *sqlx.Tx, appID string) error {
	_, err := tx.ExecContext(ctx, `SELECT id FROM apps WHERE id = $1 FOR UPDATE`, appID)
	return err
}

// hourBucket: PostgreSQL keeps timestamps.
func (d *postgresDialect) hourBucket() string {
	return `CAST(FLOOR(EXTRACT(EPOCH FROM created_at) / 3600) AS BIGINT)`
}

// minuteBucket: PostgreSQL keeps timestamps.
func (d *postgresDialect) minuteBucket() string {
	return `CAST(FLOOR(EXTRACT(EPOCH FROM created_at) / 60) AS BIGINT)`
}

func (d *postgresDialect) explain() string { return "EXPLAIN " }

// appHealthQuery: the per-webhook reads of health.go, each as a LATERAL
// subquery, so the app's webhooks take one round trip, not two each (an
// app of 50 webhooks took 15 ms in round trips). percentile_disc(0.5) is
// the lower middle, as median is.
func (d *postgresDialect) appHealthQuery() string { return postgresAppHealthQuery }

const postgresAppHealthQuery = `
SELECT w.id AS webhook_id, win.total, win.ok, COALESCE(win.p50, -1) AS p50, lt.recent_failed,
	la.created_at AS last_at, la.succeeded AS last_succeeded, la.response_status AS last_status, la.error AS last_error
FROM webhooks w
CROSS JOIN LATERAL (SELECT COUNT(*) AS total, COUNT(*) FILTER (WHERE x.succeeded) AS ok,
		percentile_disc(0.5) WITHIN GROUP (ORDER BY x.duration_ms) AS p50
	FROM (` + healthWindowQueryOf + `) x) win
CROSS JOIN LATERAL (SELECT COUNT(*) FILTER (WHERE NOT y.succeeded) AS recent_failed
	FROM (SELECT succeeded FROM attempts WHERE webhook_id = w.id ORDER BY created_at DESC LIMIT ` + recentText + `) y) lt
LEFT JOIN LATERAL (SELECT created_at, succeeded, response_status, error FROM attempts WHERE webhook_id = w.id
	ORDER BY created_at DESC LIMIT 1) la ON TRUE
WHERE w.app_id = ?`

// recordOutcomes: one function call, its plan kept (migrations 0017, 0021).
func (d *postgresDialect) recordOutcomes(ctx context.Context, tx *sqlx.Tx, kept keptStmts, outs []outcomeRow, owner string, now time.Time) (map[string]bool, error) {
	return recordOutcomesArrays(ctx, tx, kept, outs, owner, now)
}

// keptQueries: the outcomes' function call, sent for every batch recorded.
func (d *postgresDialect) keptQueries() []string { return []string{recordOutcomesQuery} }

// promoteFIFO: one function call, one round trip, its plans kept
// (migration 0018).
func (d *postgresDialect) promoteFIFO(ctx context.Context, tx *sqlx.Tx, webhookID string, now time.Time, to *leaseTo) (hook.Job, error) {
	return promoteFIFOCalled(ctx, tx, webhookID, now, to)
}

// takeTokens: one function call, its plans kept (migration 0019).
func (d *postgresDialect) takeTokens(ctx context.Context, db sqlx.ExtContext, webhookID string, limit, n int, now time.Time) (int, time.Time, error) {
	return takeTokensCalled(ctx, db, webhookID, limit, n, now)
}

// fifoHeadLive: one function call, its plan kept (migration 0018).
func (d *postgresDialect) fifoHeadLive(ctx context.Context, tx *sqlx.Tx, webhookID string) (bool, error) {
	return fifoHeadLiveCalled(ctx, tx, webhookID)
}

// oneWriter: PostgreSQL locks rows, not the database.
func (d *postgresDialect) oneWriter() bool { return false }

// ingestWriters: two batches may be written at once, so one commits while
// the next is written.
func (d *postgresDialect) ingestWriters() int { return 2 }

// bulkInsert is COPY FROM STDIN: each row is sent by a run with arguments,
// and the rows are written by one final run without.
func (d *postgresDialect) bulkInsert(tx *sql.Tx, table string, columns []string) (*sql.Stmt, bool, error) {
	stmt, err := tx.Prepare(pq.CopyIn(table, columns...))
	return stmt, true, err
}
