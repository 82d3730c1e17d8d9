package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
)

// A lease owner is a sender. Owners made by NewLeaseOwner ("hb-" and 16 hex
// digits) hold a liveness lock while their process lives (HoldOwner), so
// that the leases of a process that died are taken over at once instead of
// running out (TakeOverLeases):
//
//   - SQLite: the process that sends holds an exclusive lock on a file
//     beside the database (flock; the kernel drops it when the process
//     dies, kill -9 included). No other process can send from the same
//     file, so at start every lease left in it belongs to a process that
//     is gone, and all are taken over at once.
//   - PostgreSQL: each process holds a session advisory lock keyed by its
//     owner on a connection of its own. PostgreSQL drops the lock when that
//     connection goes, so pg_try_advisory_xact_lock on a lease owner's key
//     succeeds exactly when the owner is gone; a live process, however slow,
//     keeps its leases.
//
// Leases of any other owner (or when the lock cannot tell) still run out
// after their time, as before.
const ownerPrefix = "hb-"

// NewLeaseOwner returns a new random lease owner.
func NewLeaseOwner() string {
	b := make([]byte, 8)
	rand.Read(b)
	return ownerPrefix + hex.EncodeToString(b)
}

// ownerKey is the advisory-lock key of an owner made by NewLeaseOwner.
func ownerKey(owner string) (int64, bool) {
	h, ok := strings.CutPrefix(owner, ownerPrefix)
	if !ok || len(h) != 16 {
		return 0, false
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(b)), true
}

// LockPath is the file whose lock marks the SQLite database as served.
func LockPath(sqlitePath string) string { return sqlitePath + ".lock" }

// HoldOwner marks owner as alive until release is called or the process
// ends. On SQLite it fails when another process holds the database's lock
// file; on PostgreSQL it keeps a connection with the owner's advisory lock,
// reconnecting (and reporting to onError) if that connection is lost.
func (s *Store) HoldOwner(ctx context.Context, owner string, onError func(error)) (release func(), err error) {
	key, ok := ownerKey(owner)
	if !ok {
		return nil, fmt.Errorf("store: lease owner %q was not made by NewLeaseOwner", owner)
	}
	if s.dialect == SQLite {
		unlock, err := lockFile(LockPath(s.sqlitePath))
		if err != nil {
			return nil, fmt.Errorf("DATABASE_URL: another Hookboard process is already serving %s (%v); SQLite serves one process at a time — use PostgreSQL to run several", s.sqlitePath, err)
		}
		return unlock, nil
	}
	conn, err := s.lockOwnerConn(ctx, key)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			mu.Lock()
			if conn != nil {
				pctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_, err := conn.ExecContext(pctx, `SELECT 1`)
				cancel()
				if err == nil {
					mu.Unlock()
					continue
				}
				if onError != nil {
					onError(fmt.Errorf("lease owner lock lost, taking it again: %w", redactErr(err)))
				}
				conn.Close()
				conn = nil
			}
			lctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			c, err := s.lockOwnerConn(lctx, key)
			cancel()
			if err != nil && onError != nil {
				onError(err)
			}
			conn = c
			mu.Unlock()
		}
	}()
	return func() {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		if conn != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1)`, key)
			cancel()
			conn.Close()
		}
	}, nil
}

// lockOwnerConn takes a connection out of the pool and the owner's session
// advisory lock on it.
func (s *Store) lockOwnerConn(ctx context.Context, key int64) (*sql.Conn, error) {
	conn, err := s.db.Conn(ctx)
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

// TakeOverLeases releases the leases of owners that are gone, so that the
// deliveries they held are due again now, and returns how many. owner is
// the caller, which must hold its lock (HoldOwner). On SQLite that lock
// makes the caller the only process, so the first call takes over every
// lease of any other owner and later calls do nothing. On PostgreSQL each
// call looks at the owners of current leases on due deliveries and takes
// over those whose advisory lock is free.
func (s *Store) TakeOverLeases(ctx context.Context, owner string) (int, error) {
	if s.dialect == SQLite {
		if s.sweptLeases.Load() {
			return 0, nil
		}
		res, err := s.db.ExecContext(ctx, `UPDATE deliveries SET lease_owner = '', lease_until = NULL WHERE lease_until IS NOT NULL AND lease_owner <> ?`, owner)
		if err != nil {
			return 0, fmt.Errorf("take over leases: %w", err)
		}
		s.sweptLeases.Store(true)
		n, _ := res.RowsAffected()
		return int(n), nil
	}
	now := s.now()
	// Leased deliveries are due (they were when claimed or ingested), so
	// this reads the deliveries_due index, not the table.
	var owners []string
	if err := s.db.SelectContext(ctx, &owners, `SELECT DISTINCT lease_owner FROM deliveries
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
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			var free bool
			if err := tx.GetContext(ctx, &free, `SELECT pg_try_advisory_xact_lock($1)`, key); err != nil || !free {
				return err // alive (or unknown): its leases stay
			}
			res, err := tx.ExecContext(ctx, `UPDATE deliveries SET lease_owner = '', lease_until = NULL
				WHERE status IN ('pending', 'retrying') AND next_attempt_at <= $1 AND lease_owner = $2`, now, dead)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += int(n)
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("take over leases: %w", err)
		}
	}
	return total, nil
}
