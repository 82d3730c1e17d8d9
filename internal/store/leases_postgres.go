package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// holdOwner keeps a connection holding the owner's session advisory lock,
// checking it every few seconds and taking the lock again on a new
// connection if it was lost.
func (d *postgresDialect) holdOwner(ctx context.Context, db *sqlx.DB, key int64, onError func(error)) (func(), error) {
	conn, err := lockOwnerConn(ctx, db, key)
	if err != nil {
		return nil, err
	}
	h := &ownerHold{db: db, key: key, conn: conn, onError: onError, stop: make(chan struct{}), done: make(chan struct{})}
	go h.keep()
	return h.release, nil
}

// ownerHold is one owner's advisory lock, held by holdOwner.
type ownerHold struct {
	db      *sqlx.DB
	key     int64
	onError func(error)

	stop, done chan struct{}

	mu   sync.Mutex // guards conn
	conn *sql.Conn  // nil while the lock is lost
}

// keep checks the lock's connection every 5 seconds until release.
func (h *ownerHold) keep() {
	defer close(h.done)
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		h.check()
	}
}

// check pings the lock's connection and, when it is gone, takes the lock
// again on a new one.
func (h *ownerHold) check() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn != nil {
		pctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := h.conn.ExecContext(pctx, `SELECT 1`)
		cancel()
		if err == nil {
			return
		}
		if h.onError != nil {
			h.onError(fmt.Errorf("lease owner lock lost, taking it again: %w", redactErr(err)))
		}
		h.conn.Close()
		h.conn = nil
	}
	lctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	c, err := lockOwnerConn(lctx, h.db, h.key)
	cancel()
	if err != nil && h.onError != nil {
		h.onError(err)
	}
	h.conn = c
}

// release stops keep, unlocks and gives the connection back.
func (h *ownerHold) release() {
	close(h.stop)
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		h.conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, h.key)
		cancel()
		h.conn.Close()
	}
}

// lockOwnerConn takes a connection out of the pool and the owner's session
// advisory lock on it.
func lockOwnerConn(ctx context.Context, db *sqlx.DB, key int64) (*sql.Conn, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lease owner lock: %w", redactErr(err))
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
		conn.Close()
		return nil, fmt.Errorf("lease owner lock: %w", redactErr(err))
	}
	if !ok {
		conn.Close()
		return nil, errors.New("lease owner lock: the key is held by another session")
	}
	return conn, nil
}

// takeOverLeases looks at the owners of current leases on due deliveries
// and takes over those whose advisory lock is free: PostgreSQL dropped it
// with the connection of a process that is gone.
func (d *postgresDialect) takeOverLeases(ctx context.Context, db *sqlx.DB, now time.Time, owner string) (int, error) {
	// Leased deliveries are due (they were when claimed or ingested), so
	// this reads the deliveries_due index, not the table.
	var owners []string
	if err := db.SelectContext(ctx, &owners, `SELECT DISTINCT lease_owner FROM deliveries
		WHERE status IN ('pending', 'retrying') AND next_attempt_at <= $1 AND lease_until > $1
		  AND lease_owner LIKE 'hb-%' AND lease_owner <> $2`, now, owner); err != nil {
		return 0, fmt.Errorf("take over leases: %w", err)
	}
	total := 0
	for _, dead := range owners {
		key, ok := ownerKey(dead)
		if !ok {
			continue
		}
		n, err := takeOverIfGone(ctx, db, now, dead, key)
		if err != nil {
			return total, fmt.Errorf("take over leases: %w", err)
		}
		total += n
	}
	return total, nil
}

// takeOverIfGone releases dead's leases on due deliveries if its advisory
// lock is free, in a transaction that holds that lock meanwhile.
func takeOverIfGone(ctx context.Context, db *sqlx.DB, now time.Time, dead string, key int64) (int, error) {
	n := 0
	err := inTx(ctx, db, func(tx *sqlx.Tx) error {
		var free bool
		if err := tx.GetContext(ctx, &free, `SELECT pg_try_advisory_xact_lock($1)`, key); err != nil || !free {
			return err // alive (or unknown): its leases stay
		}
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET lease_owner = '', lease_until = NULL
				WHERE status IN ('pending', 'retrying') AND next_attempt_at <= $1 AND lease_owner = $2`, now, dead)
		if err != nil {
			return err
		}
		rows, _ := res.RowsAffected()
		n = int(rows)
		return nil
	})
	return n, err
}
