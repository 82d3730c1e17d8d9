package store_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// A bucket answers the same whichever way its tokens are taken: on
// PostgreSQL, one call of hookboard_take_tokens against the read and
// compare-and-set SQLite uses, each on a webhook of its own, for one
// random run of calls (bursts, quiet spells, a clock that stands still,
// more asked than the burst holds). A deleted webhook gives every token
// asked for (the sender drops its deliveries).
func TestTakeTokensAlike(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s)
		limited := func(name string, limit int) string {
			in := validInput()
			in.Name, in.Events, in.RateLimit = name, []string{"*"}, limit
			wh, _, err := s.CreateWebhook(ctx, actor, app.ID, in, policy)
			if err != nil {
				t.Fatal(err)
			}
			return wh.ID
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for _, limit := range []int{1, 7, 50, 200, 1000} {
			a, b := limited("A"+strconv.Itoa(limit), limit), limited("B"+strconv.Itoa(limit), limit)
			now := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)
			for i := range 200 {
				switch rng.IntN(4) {
				case 0: // the clock stands still
				case 1:
					now = now.Add(time.Duration(rng.IntN(2000)) * time.Microsecond)
				case 2:
					now = now.Add(time.Duration(rng.IntN(100)) * time.Millisecond)
				default:
					now = now.Add(time.Duration(rng.IntN(3)) * time.Second)
				}
				n := 1 + rng.IntN(60)
				gotA, nextA, errA := store.TakeTokens(ctx, s, a, limit, n, now)
				gotB, nextB, errB := store.TakeTokensStepwise(ctx, s, b, limit, n, now)
				if errA != nil || errB != nil {
					t.Fatalf("limit %d, call %d: %v, %v", limit, i, errA, errB)
				}
				if gotA != gotB || !nextA.Equal(nextB) {
					t.Fatalf("limit %d, call %d (%d asked at %v): took %d, next free %v; stepwise took %d, next free %v",
						limit, i, n, now, gotA, nextA, gotB, nextB)
				}
				if gotA > n {
					t.Fatalf("took %d of %d", gotA, n)
				}
			}
		}
		gone := limited("Gone", 10)
		if err := s.DeleteWebhook(ctx, actor, app.ID, gone); err != nil {
			t.Fatal(err)
		}
		if got, _, err := store.TakeTokens(ctx, s, gone, 10, 5, time.Now()); err != nil || got != 5 {
			t.Errorf("a deleted webhook: took %d of 5, %v; want all 5", got, err)
		}
	})
}

// Reading an empty bucket locks nothing: within a transaction that takes
// no token (an ingestion batch whose webhook is at its limit), the
// webhook's row stays free for every other writer until that transaction
// ends. One that takes tokens holds the row until it commits.
func TestEmptyBucketLocksNothing(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("TEST_DATABASE_URL is not set: SQLite locks the whole file")
	}
	s := storetest.New(t, store.Postgres, storetest.Options{})
	app := appWithCatchAll(t, s, func(in *hook.WebhookInput) { in.RateLimit = 50 }) // a burst of 2
	whs, err := s.ListWebhooks(ctx, app.ID)
	if err != nil || len(whs) != 1 {
		t.Fatalf("webhooks %d: %v", len(whs), err)
	}
	id, now := whs[0].ID, time.Now()
	locked := func() bool {
		t.Helper()
		_, err := s.DB().ExecContext(ctx, `SELECT 1 FROM webhooks WHERE id = $1 FOR UPDATE NOWAIT`, id)
		var pe *pq.Error
		if errors.As(err, &pe) && pe.Code == "55P03" { // lock_not_available
			return true
		}
		if err != nil {
			t.Fatal(err)
		}
		return false
	}
	for _, c := range []struct {
		name string
		want int
		lock bool
	}{{"a full bucket", 2, true}, {"an empty one", 0, false}} {
		tx, err := s.DB().BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		got, _, err := store.TakeTokensIn(ctx, s, tx, id, 50, 2, now)
		if err != nil || got != c.want {
			t.Fatalf("%s: took %d, %v; want %d", c.name, got, err, c.want)
		}
		if l := locked(); l != c.lock {
			t.Errorf("%s: the webhook's row locked %v, want %v", c.name, l, c.lock)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}
