package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// ownerGone: the caller holds the database's lock file (HoldOwner), which
// makes it the only process sending from it, so any other owner is gone.
func (d *sqliteDialect) ownerGone(_ context.Context, _ *sqlx.Tx, owner, me string) (bool, error) {
	return owner != me, nil
}
