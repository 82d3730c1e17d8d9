package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
)

// BatchRetries tells tests how many batches fell back to one-by-one writes.
func BatchRetries(s *Store) int64 { return s.batchRetries.Load() }

// TxRetries tells tests how many transactions ran again after a deadlock.
func TxRetries(s *Store) int64 { return s.txRetries.Load() }

// InTxRetrying runs fn as the store runs a transaction a user waits for.
func InTxRetrying(ctx context.Context, s *Store, fn func(*sqlx.Tx) error) error {
	return s.inTxRetrying(ctx, fn)
}

// InTx runs fn in one of the store's write transactions.
func InTx(ctx context.Context, s *Store, fn func() error) error {
	return s.inTx(ctx, func(*sqlx.Tx) error { return fn() })
}

// WriterQueued reports whether a write transaction holds the store's own
// writer queue (SQLite only).
func WriterQueued(s *Store) bool { return s.writer != nil && len(s.writer) == 1 }

// SchemaChannel is the NOTIFY channel of a PostgreSQL schema.
var SchemaChannel = schemaChannel

// TakeTokens takes tokens of a webhook's bucket the dialect's way, and
// TakeTokensStepwise with a read and a compare-and-set, whatever the
// dialect: given the same bucket and calls, they must answer alike.
func TakeTokens(ctx context.Context, s *Store, webhookID string, limit, n int, now time.Time) (int, time.Time, error) {
	return s.takeTokens(ctx, webhookID, limit, n, now)
}

func TakeTokensStepwise(ctx context.Context, s *Store, webhookID string, limit, n int, now time.Time) (int, time.Time, error) {
	return takeTokensStepwise(ctx, s.db, webhookID, limit, n, now)
}

// TakeTokensIn takes tokens the dialect's way within tx.
func TakeTokensIn(ctx context.Context, s *Store, tx *sqlx.Tx, webhookID string, limit, n int, now time.Time) (int, time.Time, error) {
	return s.takeTokensIn(ctx, tx, webhookID, limit, n, now)
}

// ExplainRetention is the plan of the query DeleteOlderThan finds old
// events with, on tx (with its settings).
func ExplainRetention(ctx context.Context, s *Store, tx *sqlx.Tx) ([]string, error) {
	return s.explainOn(ctx, tx, retentionEventsQuery, idAt(time.Now()), 1000)
}
