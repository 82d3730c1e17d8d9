package store

import "database/sql"

// BulkInsert writes many rows into one table within a transaction, as fast
// as the database allows (COPY on PostgreSQL, one prepared INSERT on
// SQLite), bypassing the store's rules: for seeding benchmarks.
type BulkInsert struct {
	stmt  *sql.Stmt
	flush bool
}

// BulkInsert starts a bulk insert of columns into table within tx (begun
// on DB()). Close it before starting the next one on the same tx.
func (s *Store) BulkInsert(tx *sql.Tx, table string, columns ...string) (*BulkInsert, error) {
	stmt, flush, err := s.sqlDialect.bulkInsert(tx, table, columns)
	if err != nil {
		return nil, err
	}
	return &BulkInsert{stmt: stmt, flush: flush}, nil
}

// Add writes one row: a value for each column, in order.
func (b *BulkInsert) Add(values ...any) error {
	_, err := b.stmt.Exec(values...)
	return err
}

// Close writes the rows not yet written and ends the insert.
func (b *BulkInsert) Close() error {
	if b.flush {
		if _, err := b.stmt.Exec(); err != nil {
			b.stmt.Close()
			return err
		}
	}
	return b.stmt.Close()
}
