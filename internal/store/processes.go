package store

import (
	"context"
	"time"
)

// BeatEvery is how often a sending process beats (Store.Beat), and
// beatLapse how long after its last beat it still counts as sending.
const (
	BeatEvery = 2 * time.Second
	beatLapse = 5 * BeatEvery
)

// Beat marks owner's process as sending from this database now, and
// returns how many processes do, itself included: on PostgreSQL those
// that beat within the last ten seconds (older beats are deleted), on
// SQLite always one (the lock file lets one process send from a file).
// Leave ends the marking.
func (s *Store) Beat(ctx context.Context, owner string) (int, error) {
	return s.sqlDialect.beat(ctx, s.db, owner, beatLapse)
}

// Leave removes owner's beat, so the others count one process fewer at
// their next beat instead of ten seconds later.
func (s *Store) Leave(ctx context.Context, owner string) error {
	return s.sqlDialect.leave(ctx, s.db, owner)
}
