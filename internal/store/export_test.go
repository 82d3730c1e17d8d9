package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// BatchRetries tells tests how many batches fell back to one-by-one writes.
func BatchRetries(s *Store) int64 { return s.batchRetries.Load() }

// InTx runs fn in one of the store's write transactions.
func InTx(ctx context.Context, s *Store, fn func() error) error {
	return s.inTx(ctx, func(*sqlx.Tx) error { return fn() })
}

// WriterQueued reports whether a write transaction holds the store's own
// writer queue (SQLite only).
func WriterQueued(s *Store) bool { return s.writer != nil && len(s.writer) == 1 }
