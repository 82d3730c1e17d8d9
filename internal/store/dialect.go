package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/dburl"
	"github.com/hookboard/hookboard/internal/hook"
)

// dialect is everything that differs between SQLite and PostgreSQL. Connect
// builds one (newDialect) and the rest of the store asks it instead of
// comparing names. Each concern's two halves sit in files named for the
// concern and the dialect: claim_sqlite.go and claim_postgres.go,
// leases_*.go, listen_*.go; the small pieces are in dialect_sqlite.go and
// dialect_postgres.go.
type dialect interface {
	// name is SQLite or Postgres, as in DATABASE_URL and migrations/.
	name() string
	// open opens the database with the pool sized for it (without
	// connecting: Connect pings it).
	open() (*sqlx.DB, error)
	// lockMigrations makes processes starting at once migrate one by one.
	lockMigrations(ctx context.Context, tx *sqlx.Tx) error

	// forUpdate ends a SELECT whose rows the transaction goes on to change.
	forUpdate() string
	// forKeyShare ends a SELECT that makes sure its rows outlive the
	// transaction (they cannot be deleted until it ends), where no foreign
	// key does: an attempt inserted for a delivery, a delivery for an event.
	forKeyShare() string
	// lockApp makes the transactions that change an app's members wait
	// for each other.
	lockApp(ctx context.Context, tx *sqlx.Tx, appID string) error
	// hourBucket is the hour since the epoch of created_at, as an integer.
	hourBucket() string
	// minuteBucket is the minute since the epoch of created_at, as an integer.
	minuteBucket() string
	// explain starts a statement that returns its query plan.
	explain() string
	// appHealthQuery is one statement giving every webhook of an app its
	// health figures (health.go), or "" where the store reads them webhook
	// by webhook.
	appHealthQuery() string
	// recordOutcomes applies recorded attempts' outcomes to their
	// deliveries still leased to owner (recordOutcomesEach or
	// recordOutcomesArrays, record.go) and returns those it changed.
	recordOutcomes(ctx context.Context, tx *sqlx.Tx, kept keptStmts, outs []outcomeRow, owner string, now time.Time) (map[string]bool, error)
	// keptQueries are the dialect's own statements the store keeps
	// prepared (keptStmts, prepared.go), beside those of both.
	keptQueries() []string
	// promoteFIFO is Store.promoteFIFO (promoteFIFOStepwise or
	// promoteFIFOCalled, policies.go).
	promoteFIFO(ctx context.Context, tx *sqlx.Tx, webhookID string, now time.Time, to *leaseTo) (hook.Job, error)
	// takeTokens takes up to n tokens of a webhook's rate limit
	// (takeTokensStepwise or takeTokensCalled, ratelimit.go).
	takeTokens(ctx context.Context, db sqlx.ExtContext, webhookID string, limit, n int, now time.Time) (int, time.Time, error)
	// fifoHeadLive reports whether a FIFO webhook's head is under way
	// (fifoHeadLive or fifoHeadLiveCalled, policies.go).
	fifoHeadLive(ctx context.Context, tx *sqlx.Tx, webhookID string) (bool, error)

	// claimDue leases due deliveries (see Store.ClaimDue).
	claimDue(ctx context.Context, db *sqlx.DB, now time.Time, owner string, limit int, lease time.Duration, exclude []string) ([]hook.Job, error)

	// holdOwner and takeOverLeases: see Store.HoldOwner and
	// Store.TakeOverLeases, and leases.go.
	holdOwner(ctx context.Context, db *sqlx.DB, key int64, onError func(error)) (release func(), err error)
	takeOverLeases(ctx context.Context, db *sqlx.DB, now time.Time, owner string) (int, error)
	// ownerGone reports, in tx, whether the process of a lease owner other
	// than me is gone, so its recovery job may be taken over now
	// (recoveries_*.go).
	ownerGone(ctx context.Context, tx *sqlx.Tx, owner, me string) (bool, error)

	// notifiesOtherProcesses reports whether other processes on the same
	// database (and schema) hear of new deliveries (NOTIFY), and listen
	// calls wake for each such notice until ctx ends.
	notifiesOtherProcesses() bool
	listen(ctx context.Context, db *sqlx.DB, wake func(from string), onError func(error))
	// notify tells the processes that listen that deliveries are due,
	// naming the sender that tells them (from).
	notify(ctx context.Context, db *sqlx.DB, from string) error
	// beat and leave: see Store.Beat and Store.Leave (processes_*.go).
	beat(ctx context.Context, db *sqlx.DB, owner string, lapse time.Duration) (int, error)
	leave(ctx context.Context, db *sqlx.DB, owner string) error
	// ingestWriters is how many ingestion batches may be written at once
	// (by one process: see Store.Beat).
	ingestWriters() int
	// oneWriter reports whether the database takes one write transaction
	// at a time, so the store queues its own (Store.writer).
	oneWriter() bool

	// refreshStats has the planner read table's rows anew (PostgreSQL's
	// ANALYZE), after a write that changed what its plans should be: a
	// recovery job's items, inserted at once and never yet analyzed.
	refreshStats(ctx context.Context, db *sqlx.DB, table string) error

	// bulkInsert prepares the fastest many-row insert into table in tx;
	// flush tells whether the statement must be run once more, without
	// arguments, to write the rows (COPY).
	bulkInsert(tx *sql.Tx, table string, columns []string) (stmt *sql.Stmt, flush bool, err error)
}

// newDialect returns the dialect of a parsed DATABASE_URL.
func newDialect(u dburl.Parsed) dialect {
	if u.Dialect == dburl.Postgres {
		return &postgresDialect{driverDSN: u.DriverDSN}
	}
	return &sqliteDialect{driverDSN: u.DriverDSN, path: u.SQLitePath}
}
