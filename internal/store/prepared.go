package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// preparedStatements are the statements the store keeps prepared on every
// connection it uses them on. PostgreSQL plans an unnamed statement (what
// lib/pq sends for a query with arguments) at every run; a prepared one is
// planned for its first few runs, then once for good. These run for every
// ingestion batch, and their planning cost PostgreSQL more than running
// them did (BENCHMARKS.md, "Twelfth pass"). Prepared once the schema is
// migrated (Migrate), and on each connection the first time a transaction
// there runs them (sql.Tx.Stmt), so preparing never waits for a
// connection of its own.
type preparedStatements struct {
	// subscribers: the active webhooks of an app subscribed to an event
	// type or to every type (*), by id.
	subscribers *sqlx.Stmt
	// outcomes: recorded attempts' outcomes applied to their deliveries
	// (outcomesQuery; PostgreSQL only, nil on SQLite).
	outcomes *sqlx.Stmt
}

// subscribersQuery is preparedStatements.subscribers ($1 the app, $2 the type).
const subscribersQuery = `SELECT DISTINCT w.id, w.rate_limit, w.ordering FROM webhooks w JOIN webhook_event_types t ON t.webhook_id = w.id
	WHERE w.app_id = ? AND w.active AND t.event_type IN (?, '*') ORDER BY w.id`

// prepare prepares the store's statements, once its tables exist.
func (s *Store) prepare(ctx context.Context) error {
	if s.stmts != nil {
		return nil
	}
	subs, err := s.db.PreparexContext(ctx, s.db.Rebind(subscribersQuery))
	if err != nil {
		return fmt.Errorf("prepare statements: %w", err)
	}
	p := &preparedStatements{subscribers: subs}
	if err := s.sqlDialect.prepare(ctx, s.db, p); err != nil {
		subs.Close()
		return fmt.Errorf("prepare statements: %w", err)
	}
	s.stmts = p
	return nil
}

// closeStatements closes what prepare prepared.
func (s *Store) closeStatements() {
	if s.stmts != nil {
		s.stmts.subscribers.Close()
		if s.stmts.outcomes != nil {
			s.stmts.outcomes.Close()
		}
	}
}
