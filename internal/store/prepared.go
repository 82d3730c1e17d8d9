package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Store.subscribersStmt is a statement the store keeps prepared on every
// connection it uses it on. PostgreSQL plans an unnamed statement (what
// lib/pq sends for a query with arguments) at every run; a prepared one is
// planned for its first few runs, then once for good (a generic plan,
// made again only when a table it reads changes or is analyzed). The
// subscriber lookup runs for every ingestion batch, and planning it cost
// PostgreSQL five times what running it did (BENCHMARKS.md, "Twelfth
// pass"). Prepared once the schema is migrated (Migrate), and on each
// connection the first time a transaction there runs it (sql.Tx.Stmt), so
// preparing never waits for a connection of its own.
//
// Only a statement whose generic plan is right at any table size belongs
// here. The outcomes' UPDATE does not (the call of the function that runs
// it does: keptQueries): planned on an empty deliveries table
// (a fresh install, a table not analyzed since) its generic plan scans the
// whole table, and keeps doing so as it grows; recording slowed by up to
// half in BenchmarkRecordAttempts. The subscriber lookup reads webhooks by
// app through an index whatever their number.
//
// subscribersQuery is that statement ($1 the app, $2 the type): the active
// webhooks of an app subscribed to an event type or to every type (*), by
// id.
const subscribersQuery = `SELECT DISTINCT w.id, w.rate_limit, w.ordering FROM webhooks w JOIN webhook_event_types t ON t.webhook_id = w.id
	WHERE w.app_id = ? AND w.active AND t.event_type IN (?, '*') ORDER BY w.id`

// prepare prepares the store's statements, once its tables exist.
func (s *Store) prepare(ctx context.Context) error {
	if s.subscribersStmt != nil {
		return nil
	}
	kept := keptStmts{}
	closeAll := func() {
		for _, st := range kept {
			st.Close()
		}
	}
	for _, q := range s.keptQueries() {
		q = s.db.Rebind(q)
		st, err := s.db.PreparexContext(ctx, q)
		if err != nil {
			closeAll()
			return fmt.Errorf("prepare statements: %w", err)
		}
		kept[q] = st
	}
	sub, err := s.db.PreparexContext(ctx, s.db.Rebind(subscribersQuery))
	if err != nil {
		closeAll()
		return fmt.Errorf("prepare statements: %w", err)
	}
	// Set together, once all are prepared: a failed prepare is tried
	// again whole at the next Migrate.
	s.subscribersStmt, s.kept = sub, kept
	return nil
}

// keptRows is the most rows of events, deliveries or attempts a kept
// INSERT writes. Under a light load a batch is one to a few rows, and
// every delivery is an INSERT of each: at 500 events a second, parsing,
// analysing and planning those unnamed statements was a fifth of
// PostgreSQL's time (perf, BENCHMARKS.md "Seventeenth pass"). A larger
// batch shares that cost among its rows, and one of more than
// smallBatchRows is sent by COPY.
const keptRows = 4

// keptQueries are the statements run for every small batch of ingestion
// and recording, kept prepared (keptStmts). Each is an INSERT, whose plan
// is the same at any table size, or the call of a function that keeps
// its own plans (migration 0021).
func (s *Store) keptQueries() []string {
	var qs []string
	for n := 1; n <= keptRows; n++ {
		qs = append(qs, insertValuesQuery("events", eventColumns, n),
			insertValuesQuery("deliveries", deliveryInsertColumns, n),
			insertValuesQuery("attempts", attemptColumns, n))
	}
	qs = append(qs, minuteUpsertQuery(1), minuteUpsertQuery(2))
	return append(qs, s.sqlDialect.keptQueries()...)
}

// keptStmts are statements the store keeps prepared, by their text (after
// Rebind). Prepared once the schema is migrated, then on each connection
// the first time a transaction there runs one (sql.Tx.Stmt), as the
// subscriber lookup is; the map is not changed after Migrate.
type keptStmts map[string]*sqlx.Stmt

// stmtRunner runs one statement's text with arguments.
type stmtRunner interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
	SelectContext(ctx context.Context, dest any, args ...any) error
}

// on returns query to run within tx: prepared if the store keeps it,
// else sent as it is.
func (k keptStmts) on(ctx context.Context, tx *sqlx.Tx, query string) stmtRunner {
	if st := k[query]; st != nil {
		return tx.StmtxContext(ctx, st)
	}
	return txQuery{tx, query}
}

// txQuery is a statement not kept: its text, sent within tx.
type txQuery struct {
	tx    *sqlx.Tx
	query string
}

func (q txQuery) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return q.tx.ExecContext(ctx, q.query, args...)
}

func (q txQuery) SelectContext(ctx context.Context, dest any, args ...any) error {
	return q.tx.SelectContext(ctx, dest, q.query, args...)
}
