package store

import (
	"context"
	"fmt"
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
// here. The outcomes' UPDATE does not: planned on an empty deliveries table
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
	stmt, err := s.db.PreparexContext(ctx, s.db.Rebind(subscribersQuery))
	if err != nil {
		return fmt.Errorf("prepare statements: %w", err)
	}
	s.subscribersStmt = stmt
	return nil
}
