package store

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// ownerGone: an owner made by NewLeaseOwner holds its advisory lock while
// its process lives (leases_postgres.go); the lock is free once it is gone.
// Taking it for the rest of tx keeps the owner from coming back meanwhile.
// Any other owner is never gone here: its lease runs out instead.
func (d *postgresDialect) ownerGone(ctx context.Context, tx *sqlx.Tx, owner, me string) (bool, error) {
	key, ok := ownerKey(owner)
	if !ok || owner == me {
		return false, nil
	}
	var free bool
	err := tx.GetContext(ctx, &free, `SELECT pg_try_advisory_xact_lock($1)`, key)
	return free, err
}
