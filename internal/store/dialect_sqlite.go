package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
)

// sqliteDialect is SQLite through modernc.org/sqlite: one file, one process
// sending from it (the lock file of leases_sqlite.go), one writer at a time.
type sqliteDialect struct {
	driverDSN string
	path      string // the database file

	swept atomic.Bool // every earlier process's leases taken over
}

func (d *sqliteDialect) name() string { return SQLite }

func (d *sqliteDialect) open() (*sqlx.DB, error) {
	if dir := filepath.Dir(d.path); dir != "." {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("DATABASE_URL: folder %s does not exist", dir)
		}
	}
	db, err := sqlx.Open("sqlite", d.driverDSN)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	// One writer at a time anyway; a small pool keeps readers concurrent.
	db.SetMaxOpenConns(8)
	return db, nil
}

// lockMigrations: the transaction took the write lock at BEGIN (_txlock=immediate).
func (d *sqliteDialect) lockMigrations(context.Context, *sqlx.Tx) error { return nil }

// forUpdate: SQLite transactions here take the write lock at BEGIN.
func (d *sqliteDialect) forUpdate() string { return "" }

// forKeyShare: SQLite transactions here take the write lock at BEGIN (and
// SQLite keeps its foreign keys).
func (d *sqliteDialect) forKeyShare() string { return "" }

// refreshStats does nothing: without statistics SQLite's planner takes the
// index that matches the most terms, the one the queries are written for.
func (d *sqliteDialect) refreshStats(context.Context, *sqlx.DB, string) error { return nil }

// lockApp: SQLite transactions here take the write lock at BEGIN.
func (d *sqliteDialect) lockApp(context.Context, *sqlx.Tx, string) error { return nil }

// hourBucket: SQLite keeps times as integer microseconds.
func (d *sqliteDialect) hourBucket() string { return `CAST(created_at / 3600000000 AS INTEGER)` }

// minuteBucket: SQLite keeps times as integer microseconds.
func (d *sqliteDialect) minuteBucket() string { return `CAST(created_at / 60000000 AS INTEGER)` }

func (d *sqliteDialect) explain() string { return "EXPLAIN QUERY PLAN " }

// appHealthQuery: none. SQLite has no LATERAL join, and its queries run
// in-process, so reading webhook by webhook costs no round trips.
func (d *sqliteDialect) appHealthQuery() string { return "" }

// recordOutcomes: a prepared one-row UPDATE run per delivery, in-process.
func (d *sqliteDialect) recordOutcomes(ctx context.Context, tx *sqlx.Tx, kept keptStmts, outs []outcomeRow, owner string, now time.Time) (map[string]bool, error) {
	return recordOutcomesEach(ctx, tx, kept, outs, owner, now)
}

// keptQueries: the one-row UPDATE recordOutcomesEach runs per outcome.
func (d *sqliteDialect) keptQueries() []string { return []string{recordOutcomeQuery} }

// promoteFIFO: a statement at a time, in-process.
func (d *sqliteDialect) promoteFIFO(ctx context.Context, tx *sqlx.Tx, webhookID string, now time.Time, to *leaseTo) (hook.Job, error) {
	return promoteFIFOStepwise(ctx, tx, webhookID, now, to)
}

// takeTokens: a read and a compare-and-set, in-process.
func (d *sqliteDialect) takeTokens(ctx context.Context, db sqlx.ExtContext, webhookID string, limit, n int, now time.Time) (int, time.Time, error) {
	return takeTokensStepwise(ctx, db, webhookID, limit, n, now)
}

// fifoHeadLive: one statement, in-process.
func (d *sqliteDialect) fifoHeadLive(ctx context.Context, tx *sqlx.Tx, webhookID string) (bool, error) {
	return fifoHeadLive(ctx, tx, webhookID)
}

// oneWriter: SQLite locks the whole file for a write transaction.
func (d *sqliteDialect) oneWriter() bool { return true }

// ingestWriters: SQLite takes one writer at a time anyway.
func (d *sqliteDialect) ingestWriters() int { return 1 }

// bulkInsert is one prepared INSERT, run once per row in the transaction.
func (d *sqliteDialect) bulkInsert(tx *sql.Tx, table string, columns []string) (*sql.Stmt, bool, error) {
	quoted := make([]string, len(columns))
	for i, c := range columns {
		quoted[i] = quoteIdent(c)
	}
	q := `INSERT INTO ` + quoteIdent(table) + ` (` + strings.Join(quoted, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(columns)-1) + `)`
	stmt, err := tx.Prepare(q)
	return stmt, false, err
}

// quoteIdent quotes a table or column name (SQL's double quotes, which
// SQLite and PostgreSQL both read).
func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
