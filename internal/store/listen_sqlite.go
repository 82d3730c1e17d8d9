package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// notifiesOtherProcesses: only one process sends from a SQLite file.
func (d *sqliteDialect) notifiesOtherProcesses() bool { return false }

// listen waits for ctx: there is no other process to hear from.
func (d *sqliteDialect) listen(ctx context.Context, _ *sqlx.DB, _ func(string), _ func(error)) {
	<-ctx.Done()
}

// notify has no one to tell.
func (d *sqliteDialect) notify(context.Context, *sqlx.DB, string) error { return nil }
