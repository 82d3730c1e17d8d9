package store_test

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// On PostgreSQL no foreign key ties an attempt to its delivery or a
// delivery to its event (migration 0015): the order of the store's
// statements keeps every attempt's delivery and every delivery's event
// there. These tests race the writers that add children (recording,
// replays) against those that delete parents (retention, deleting a
// webhook), and then look for children whose parent is gone. On SQLite,
// whose keys stay and whose writes go one at a time, they hold the same.

// orphans counts attempts whose delivery is gone and deliveries whose
// event is gone.
func orphans(t *testing.T, s *store.Store) (attempts, deliveries int) {
	t.Helper()
	for q, n := range map[string]*int{
		`SELECT COUNT(*) FROM attempts a WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id)`: &attempts,
		`SELECT COUNT(*) FROM deliveries d WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.id = d.event_id)`:      &deliveries,
	} {
		if err := s.DB().GetContext(ctx, n, q); err != nil {
			t.Fatal(err)
		}
	}
	return attempts, deliveries
}

// claimAll leases every due delivery to owner, in a random order.
func claimAll(t *testing.T, s *store.Store, owner string, want int) []hook.Job {
	t.Helper()
	jobs, err := s.ClaimDue(ctx, owner, want, time.Minute, nil)
	if err != nil || len(jobs) != want {
		t.Fatalf("claimed %d of %d: %v", len(jobs), want, err)
	}
	rand.Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })
	return jobs
}

// recordInChunks records the jobs' attempts a few at a time, every other
// chunk as an owner whose lease moved (the delivery keeps its state and
// gets the attempt).
func recordInChunks(t *testing.T, s *store.Store, owner string, jobs []hook.Job, chunk int) {
	t.Helper()
	for i := 0; i < len(jobs); i += chunk {
		who := owner
		if (i/chunk)%2 == 1 {
			who = "lease-moved"
		}
		if _, err := s.RecordAttempts(ctx, who, succeededRecords(jobs[i:min(i+chunk, len(jobs))])); err != nil {
			t.Errorf("record: %v", err)
		}
	}
}

// recordBeside records the jobs' attempts in two goroutines, a few at a
// time (recordInChunks), while beside runs in a third.
func recordBeside(t *testing.T, s *store.Store, jobs []hook.Job, chunk int, beside func()) {
	t.Helper()
	var wg sync.WaitGroup
	half := len(jobs) / 2
	wg.Go(func() { recordInChunks(t, s, "me", jobs[:half], chunk) })
	wg.Go(func() { recordInChunks(t, s, "me", jobs[half:], chunk) })
	wg.Go(beside)
	wg.Wait()
}

// retainAll runs retention, batch events a call, until no event is older
// than cutoff.
func retainAll(t *testing.T, s *store.Store, cutoff time.Time, batch int) {
	for {
		n, err := s.DeleteOlderThan(ctx, cutoff, batch)
		if err != nil {
			t.Errorf("retention: %v", err)
			return
		}
		if n == 0 {
			return
		}
	}
}

// A delivery deleted before its attempt is recorded gets none, whether
// the recorder still held its lease or not, and the rest of the batch is
// recorded without an error.
func TestRecordSkipsDeletedDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s)
		ingestN(t, s, app.ID, 4)
		jobs := claimAll(t, s, "me", 4)
		for _, j := range jobs[:2] {
			if _, err := s.DB().ExecContext(ctx, s.DB().Rebind(`DELETE FROM deliveries WHERE id = ?`), j.ID); err != nil {
				t.Fatal(err)
			}
		}
		// jobs[0] and jobs[2] as the lease's owner, 1 and 3 as another.
		for i, j := range jobs {
			owner := "me"
			if i%2 == 1 {
				owner = "lease-moved"
			}
			if _, err := s.RecordAttempt(ctx, owner, j, succeededRecords(jobs[i : i+1])[0].Attempt, hook.Outcome{Status: hook.StatusSucceeded}); err != nil {
				t.Errorf("record attempt %d: %v", i, err)
			}
		}
		var n int
		s.DB().GetContext(ctx, &n, `SELECT COUNT(*) FROM attempts`)
		if n != 2 {
			t.Errorf("%d attempts, want 2 (of the deliveries still there)", n)
		}
		if a, _ := orphans(t, s); a != 0 {
			t.Errorf("%d attempts of deleted deliveries", a)
		}
		// The same in one batch.
		ingestN(t, s, app.ID, 4)
		jobs = claimAll(t, s, "me", 4)
		if _, err := s.DB().ExecContext(ctx, s.DB().Rebind(`DELETE FROM deliveries WHERE id = ?`), jobs[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RecordAttempts(ctx, "me", succeededRecords(jobs)); err != nil {
			t.Errorf("record batch: %v", err)
		}
		s.DB().GetContext(ctx, &n, `SELECT COUNT(*) FROM attempts`)
		if a, _ := orphans(t, s); n != 5 || a != 0 {
			t.Errorf("%d attempts, %d of deleted deliveries; want 5 and none", n, a)
		}
	})
}

// Retention beside recording: whichever goes first, nothing is left once
// retention has deleted every event.
func TestNoOrphansRecordingBesideRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s)
		secondWebhook(t, s, app.ID, "*")
		const events = 300
		ingestN(t, s, app.ID, events)
		jobs := claimAll(t, s, "me", 2*events)
		recordBeside(t, s, jobs, 5, func() { retainAll(t, s, time.Now().Add(time.Hour), 10) })
		if a, d := orphans(t, s); a != 0 || d != 0 {
			t.Errorf("%d attempts of deleted deliveries, %d deliveries of deleted events", a, d)
		}
		var left int
		s.DB().GetContext(ctx, &left, `SELECT (SELECT COUNT(*) FROM events) + (SELECT COUNT(*) FROM deliveries) + (SELECT COUNT(*) FROM attempts)`)
		if left != 0 {
			t.Errorf("%d events, deliveries and attempts left after retention took every event", left)
		}
	})
}

// Deleting a webhook beside recording its deliveries' attempts leaves
// none of them.
func TestNoOrphansRecordingBesideWebhookDeletion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s)
		for round := range 3 {
			in := validInput()
			in.Name, in.Events = "Second"+strconv.Itoa(round), []string{"*"}
			second, _, err := s.CreateWebhook(ctx, actor, app.ID, in, policy)
			if err != nil {
				t.Fatal(err)
			}
			const events = 150
			ingestN(t, s, app.ID, events)
			jobs := claimAll(t, s, "me", 2*events)
			recordBeside(t, s, jobs, 3, func() {
				time.Sleep(time.Duration(5+10*round) * time.Millisecond)
				if err := s.DeleteWebhook(ctx, actor, app.ID, second.ID); err != nil {
					t.Errorf("delete webhook: %v", err)
				}
			})
			var n int
			s.DB().GetContext(ctx, &n, s.DB().Rebind(`SELECT (SELECT COUNT(*) FROM attempts WHERE webhook_id = ?) + (SELECT COUNT(*) FROM deliveries WHERE webhook_id = ?)`), second.ID, second.ID)
			if a, d := orphans(t, s); a != 0 || d != 0 || n != 0 {
				t.Errorf("round %d: %d attempts and deliveries of the deleted webhook, %d attempts of deleted deliveries, %d deliveries of deleted events", round, n, a, d)
			}
		}
	})
}

// A replay job beside retention: an event deleted before its item is
// taken is skipped ("the event was deleted"), and no delivery outlives its
// event.
func TestNoOrphansReplayBesideRetention(t *testing.T) {
	clock := clockAt()
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s)
		since := clock.Now().Add(-time.Minute)
		const events = 200
		owner := store.NewLeaseOwner()
		release, err := s.HoldOwner(ctx, owner, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		for round, concurrent := range []bool{false, true} {
			ingestN(t, s, app.ID, events)
			in := validInput()
			in.Name, in.Events = "C"+strconv.Itoa(round), []string{"*"}
			c, _, err := s.CreateWebhook(ctx, actor, app.ID, in, policy)
			if err != nil {
				t.Fatal(err)
			}
			job, err := s.StartRecovery(ctx, actor, app.ID, hook.RecoverySpec{Kind: hook.ReplayMissing, WebhookID: c.ID, Since: since}, 20)
			if err != nil {
				t.Fatal(err)
			}
			if _, ok, err := s.ClaimRecovery(ctx, owner, 30*time.Second, nil); !ok || err != nil {
				t.Fatal(ok, err)
			}
			retention := func() { retainAll(t, s, clock.Now().Add(time.Hour), 5) }
			var wg sync.WaitGroup
			if concurrent {
				wg.Go(retention)
			} else {
				retention() // every event goes before the job takes one
			}
			sent := 0
			for {
				b, err := s.TakeRecoveryBatch(ctx, owner, job.ID, 10, time.Minute)
				if err != nil {
					t.Fatalf("round %d: take: %v", round, err)
				}
				if b.Finished {
					break
				}
				sent += len(b.Jobs)
				var recs []store.AttemptRecord
				for _, j := range b.Jobs {
					recs = append(recs, store.AttemptRecord{Job: j, Attempt: hook.Attempt{Trigger: hook.TriggerRecovery, Succeeded: true, ResponseStatus: 204},
						Outcome: hook.Outcome{Status: hook.StatusSucceeded}})
				}
				if err := s.RecordRecoveryBatch(ctx, owner, job.ID, recs); err != nil {
					t.Fatalf("round %d: record: %v", round, err)
				}
			}
			wg.Wait()
			got, _ := s.GetRecovery(ctx, app.ID, job.ID)
			if !concurrent && (sent != 0 || got.Skipped != got.Total || got.Total == 0) {
				t.Errorf("events all deleted first: sent %d, job %+v; want every item skipped", sent, got)
			}
			if got.Processed() != got.Total {
				t.Errorf("round %d: job %+v not finished", round, got)
			}
			if a, d := orphans(t, s); a != 0 || d != 0 {
				t.Errorf("round %d: %d attempts of deleted deliveries, %d deliveries of deleted events (%d sent)", round, a, d, sent)
			}
		}
	})
}

// Retention that PostgreSQL fails to break a deadlock runs again and
// finishes: another transaction holds the middle one of three events, and
// once retention holds an end one and waits for the middle, the other
// asks for both ends. Retention's wait began first, so it is the one
// PostgreSQL fails (the other's deadlock_timeout is longer, too).
func TestRetentionOutlastsADeadlock(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("TEST_DATABASE_URL is not set: SQLite writes one at a time")
	}
	s := storetest.New(t, store.Postgres, storetest.Options{})
	app := appWithCatchAll(t, s)
	ingestN(t, s, app.ID, 3)
	var ids []string
	if err := s.DB().SelectContext(ctx, &ids, `SELECT id FROM events ORDER BY id`); err != nil || len(ids) != 3 {
		t.Fatalf("events %v: %v", ids, err)
	}
	other, err := s.DB().BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	var pid int
	if err := other.GetContext(ctx, &pid, `SELECT pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ExecContext(ctx, `SET LOCAL deadlock_timeout = '30s'`); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ExecContext(ctx, `SELECT id FROM events WHERE id = $1 FOR UPDATE`, ids[1]); err != nil {
		t.Fatal(err)
	}
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := s.DeleteOlderThan(ctx, time.Now().Add(time.Hour), 10)
		done <- result{n, err}
	}()
	// Wait until retention waits for the middle event.
	for deadline := time.Now().Add(10 * time.Second); ; {
		var waiting int
		if err := s.DB().GetContext(ctx, &waiting, `SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, pid); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("retention never waited for the locked event")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := other.ExecContext(ctx, `SELECT id FROM events WHERE id IN ($1, $2) FOR UPDATE`, ids[0], ids[2]); err != nil {
		t.Fatalf("the other transaction: %v", err)
	}
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.n != 3 {
		t.Fatalf("retention deleted %d events: %v; want 3 and no error", r.n, r.err)
	}
	var left int
	s.DB().GetContext(ctx, &left, `SELECT (SELECT COUNT(*) FROM events) + (SELECT COUNT(*) FROM deliveries)`)
	if left != 0 {
		t.Errorf("%d events and deliveries left", left)
	}
}
