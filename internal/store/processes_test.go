package store_test

import (
	"testing"

	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// Two processes (two stores on one database) that beat count each other;
// a process that left is not counted at the next beat, nor one whose last
// beat lapsed (it died), which is deleted. On SQLite one process sends
// from a file, and a beat counts only itself.
func TestBeatCountsTheProcessesThatSend(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			dsn := storetest.DSN(t, dialect)
			open := func() *store.Store { return storetest.Open(t, dsn, storetest.Options{}) }
			s1, s2 := open(), open()
			a, b := store.NewLeaseOwner(), store.NewLeaseOwner()
			beat := func(s *store.Store, owner string, want int, what string) {
				t.Helper()
				n, err := s.Beat(ctx, owner)
				if err != nil {
					t.Fatal(err)
				}
				if dialect == store.SQLite {
					want = 1
				}
				if n != want {
					t.Errorf("%s: %d processes, want %d", what, n, want)
				}
			}
			beat(s1, a, 1, "the first alone")
			beat(s2, b, 2, "the second beside the first")
			beat(s1, a, 2, "the first beside the second")
			beat(s1, a, 2, "the first again")

			if err := s2.Leave(ctx, b); err != nil {
				t.Fatal(err)
			}
			beat(s1, a, 1, "the first after the second left")

			if dialect != store.Postgres {
				return
			}
			if _, err := s2.DB().ExecContext(ctx, `INSERT INTO processes (owner, beat_at) VALUES ($1, now() - interval '11 seconds')`, b); err != nil {
				t.Fatal(err)
			}
			beat(s1, a, 1, "the first beside a process whose beat lapsed")
			var rows int
			if err := s1.DB().GetContext(ctx, &rows, `SELECT COUNT(*) FROM processes WHERE owner = $1`, b); err != nil {
				t.Fatal(err)
			}
			if rows != 0 {
				t.Error("a lapsed beat was not deleted")
			}
		})
	}
}
