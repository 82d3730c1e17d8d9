package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// holdOwner takes the lock file beside the database, which makes this the
// only process sending from it.
func (d *sqliteDialect) holdOwner(context.Context, *sqlx.DB, int64, func(error)) (func(), error) {
	unlock, err := lockFile(LockPath(d.path))
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: another Hookboard process is already serving %s (%v); SQLite serves one process at a time — use PostgreSQL to run several", d.path, err)
	}
	return unlock, nil
}

// takeOverLeases: the caller's lock file makes it the only process, so the
// first call takes over every lease of any other owner and later calls do
// nothing.
func (d *sqliteDialect) takeOverLeases(ctx context.Context, db *sqlx.DB, _ time.Time, owner string) (int, error) {
	if d.swept.Load() {
		return 0, nil
	}
	res, err := db.ExecContext(ctx, `UPDATE deliveries SET lease_owner = '', lease_until = NULL WHERE lease_until IS NOT NULL AND lease_owner <> ?`, owner)
	if err != nil {
		return 0, fmt.Errorf("take over leases: %w", err)
	}
	d.swept.Store(true)
	n, _ := res.RowsAffected()
	return int(n), nil
}
