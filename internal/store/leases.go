package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
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
	return s.sqlDialect.holdOwner(ctx, s.db, key, onError)
}

// TakeOverLeases releases the leases of owners that are gone, so that the
// deliveries they held are due again now, and returns how many. owner is
// the caller, which must hold its lock (HoldOwner). On SQLite that lock
// makes the caller the only process, so the first call takes over every
// lease of any other owner and later calls do nothing. On PostgreSQL each
// call looks at the owners of current leases on due deliveries and takes
// over those whose advisory lock is free.
func (s *Store) TakeOverLeases(ctx context.Context, owner string) (int, error) {
	return s.sqlDialect.takeOverLeases(ctx, s.db, s.now(), owner)
}
