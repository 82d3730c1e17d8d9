package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// Two "processes" (two stores on one database): while the first holds its
// owner lock, its leases stay its own, however long it takes; once it is
// gone (its lock released, as when the process dies), the other takes
// them over at once. Leases of owners that hold no lock (older versions,
// or anything else) are left to run out. On SQLite a second process
// cannot hold the database while the first does.
func TestTakeOverLeasesOfGoneOwners(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			dsn := storetest.DSN(t, dialect)
			open := func() *store.Store { return storetest.Open(t, dsn, storetest.Options{}) }
			s1, s2 := open(), open()
			app := appWithCatchAll(t, s1)
			for range 3 {
				if _, err := s1.IngestEvent(ctx, app.ID, "invoice.paid", []byte(`{}`), ""); err != nil {
					t.Fatal(err)
				}
			}
			a, b := store.NewLeaseOwner(), store.NewLeaseOwner()
			releaseA, err := s1.HoldOwner(ctx, a, nil)
			if err != nil {
				t.Fatal(err)
			}
			if jobs, err := s1.ClaimDue(ctx, a, 2, time.Hour, nil); err != nil || len(jobs) != 2 {
				t.Fatalf("A claims: %d, %v", len(jobs), err)
			}
			if jobs, err := s1.ClaimDue(ctx, "legacy-owner", 1, time.Hour, nil); err != nil || len(jobs) != 1 {
				t.Fatalf("legacy claims: %d, %v", len(jobs), err)
			}
			leasedTo := func(owner string) int {
				var n int
				if err := s1.DB().Get(&n, s1.DB().Rebind(`SELECT COUNT(*) FROM deliveries WHERE lease_owner = ? AND lease_until IS NOT NULL`), owner); err != nil {
					t.Fatal(err)
				}
				return n
			}

			if dialect == store.SQLite {
				// One process per SQLite file: B cannot start while A lives.
				if _, err := s2.HoldOwner(ctx, b, nil); err == nil || !strings.Contains(err.Error(), "another Hookboard process") {
					t.Fatalf("second holder on one SQLite file: %v", err)
				}
			} else {
				releaseB, err := s2.HoldOwner(ctx, b, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer releaseB()
				// A is alive: B takes nothing.
				if n, err := s2.TakeOverLeases(ctx, b); err != nil || n != 0 {
					t.Fatalf("B took %d of live A's leases: %v", n, err)
				}
				if leasedTo(a) != 2 {
					t.Fatalf("A's leases: %d, want 2", leasedTo(a))
				}
			}

			releaseA() // A dies
			if dialect == store.SQLite {
				releaseB, err := s2.HoldOwner(ctx, b, nil)
				if err != nil {
					t.Fatalf("B starts after A is gone: %v", err)
				}
				defer releaseB()
			}
			n, err := s2.TakeOverLeases(ctx, b)
			if err != nil {
				t.Fatal(err)
			}
			want := 2 // A's; the legacy lease runs out on its own
			if dialect == store.SQLite {
				want = 3 // B is the only process: every lease is left over
			}
			if n != want || leasedTo(a) != 0 {
				t.Errorf("took over %d, %d still leased to A; want %d and 0", n, leasedTo(a), want)
			}
			if jobs, err := s2.ClaimDue(ctx, b, 10, time.Minute, nil); err != nil || len(jobs) != want {
				t.Errorf("B claims %d after the takeover, want %d (%v)", len(jobs), want, err)
			}
			if n, err := s2.TakeOverLeases(ctx, b); err != nil || n != 0 {
				t.Errorf("second takeover: %d, %v", n, err)
			}
		})
	}
}
