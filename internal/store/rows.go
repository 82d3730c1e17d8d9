package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// insertRows writes n rows into table within tx the way the database takes
// many rows fastest (the dialect's bulkInsert: COPY on PostgreSQL, one
// prepared one-row INSERT run per row on SQLite), or a few
// (smallBatchRows) with one multi-row INSERT. The hot paths (events,
// deliveries and attempts) write through it: a multi-row INSERT's text
// grows with the batch, and parsing and planning it cost about a quarter of
// PostgreSQL's time and a fifth of SQLite's writer's (BENCHMARKS.md).
//
// row(i) returns row i's values in the order of cols. On PostgreSQL no
// other statement may run on tx until insertRows returns.
func (s *Store) insertRows(ctx context.Context, tx *sqlx.Tx, table string, cols []string, n int, row func(i int) []any) error {
	if n == 0 {
		return nil
	}
	if n <= smallBatchRows {
		return s.insertValues(ctx, tx, table, cols, n, row)
	}
	stmt, flush, err := s.sqlDialect.bulkInsert(tx.Tx, table, cols)
	if err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	err = execRows(ctx, stmt, flush, n, row)
	if cerr := stmt.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	return nil
}

// smallBatchRows is the most rows insertRows writes with one multi-row
// INSERT: one round trip, where COPY takes two (its start, then the rows),
// and a short text to parse. Under a light load most batches are one or
// two rows.
const smallBatchRows = 16

// insertValues writes the rows with one multi-row INSERT, prepared if the
// store keeps it (keptRows).
func (s *Store) insertValues(ctx context.Context, tx *sqlx.Tx, table string, cols []string, n int, row func(i int) []any) error {
	args := make([]any, 0, n*len(cols))
	for i := range n {
		args = append(args, row(i)...)
	}
	if _, err := s.kept.on(ctx, tx, tx.Rebind(insertValuesQuery(table, cols, n))).ExecContext(ctx, args...); err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	return nil
}

// insertValuesQuery is the multi-row INSERT of n rows of cols into table.
func insertValuesQuery(table string, cols []string, n int) string {
	var q strings.Builder
	q.WriteString(`INSERT INTO ` + quoteIdent(table) + ` (`)
	for i, c := range cols {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(quoteIdent(c))
	}
	q.WriteString(`) VALUES `)
	one := `(?` + strings.Repeat(`, ?`, len(cols)-1) + `)`
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(one)
	}
	return q.String()
}

func execRows(ctx context.Context, stmt *sql.Stmt, flush bool, n int, row func(i int) []any) error {
	for i := range n {
		if _, err := stmt.ExecContext(ctx, row(i)...); err != nil {
			return err
		}
	}
	if flush {
		_, err := stmt.ExecContext(ctx)
		return err
	}
	return nil
}
