package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// Taking a batch of a large job reads the items it takes and moves, not
// the job's other queued items: the next queued items come from an index
// in item order, and moving items by id looks each one up. On PostgreSQL
// this holds for a job whose items the planner had no statistics of until
// the runner claimed it (the job's items go in at once, and autovacuum
// may be off or not have come round yet).
func TestRecoveryTakeReadsOnlyItsItems(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			clock := clockAt()
			s := storetest.New(t, dialect, storetest.Options{Now: clock.Now})
			f := newRecoveryFixture(t, s, clock)
			since := clock.Now()
			f.deliveries(t, "invoice.paid", hook.StatusFailed)
			clock.Advance(time.Minute)
			job, err := s.StartRecovery(ctx, actor, f.app.ID, hook.RecoverySpec{Kind: hook.RecoverFailed, WebhookID: f.a.ID, Since: since}, 1000)
			if err != nil {
				t.Fatal(err)
			}
			// 20,000 more queued items, as a large job's start writes them.
			const n = 20000
			fill := `INSERT INTO recovery_items (recovery_id, item_id, delivery_id, event_id, webhook_id, state)
				SELECT $1, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), $2, 'queued' FROM generate_series(1, $3)`
			if dialect == store.SQLite {
				fill = `WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ?3)
				INSERT INTO recovery_items (recovery_id, item_id, delivery_id, event_id, webhook_id, state)
				SELECT ?1, lower(hex(randomblob(16))), lower(hex(randomblob(16))), lower(hex(randomblob(16))), ?2, 'queued' FROM g`
			}
			if _, err := s.DB().ExecContext(ctx, fill, job.ID, f.a.ID, n); err != nil {
				t.Fatal(err)
			}
			owner := store.NewLeaseOwner()
			release, err := s.HoldOwner(ctx, owner, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer release()
			if _, ok, err := s.ClaimRecovery(ctx, owner, time.Minute, nil); err != nil || !ok {
				t.Fatalf("claim: %v %v", ok, err)
			}
			check := func(when string) {
				t.Helper()
				var ids []string
				if err := s.DB().SelectContext(ctx, &ids, s.DB().Rebind(`SELECT item_id FROM recovery_items WHERE recovery_id = ? AND state = 'queued' ORDER BY item_id LIMIT 50`), job.ID); err != nil {
					t.Fatal(err)
				}
				plan, err := s.ExplainRecoveryTake(ctx, job.ID, ids)
				if err != nil {
					t.Fatal(err)
				}
				if l, bad := readsOtherItems(dialect, plan); bad {
					t.Errorf("%s: reads more than the items taken (%s):\n%s", when, strings.TrimSpace(l), strings.Join(plan, "\n"))
				}
			}
			check("at the claim")
			// The job moves on; the statistics taken at the claim still
			// count every item queued. The next batch must not be found by
			// walking the 15,000 items already done.
			if _, err := s.DB().ExecContext(ctx, s.DB().Rebind(`UPDATE recovery_items SET state = 'succeeded' WHERE item_id IN
				(SELECT item_id FROM recovery_items WHERE recovery_id = ? ORDER BY item_id LIMIT 15000)`), job.ID); err != nil {
				t.Fatal(err)
			}
			check("15,000 items on")
		})
	}
}

// readsOtherItems reports the first line of a take's plans that reads
// more of the job's items than the ones taken: on PostgreSQL an item-id
// or state filter over rows read by the job's id alone (but from the index
// of its items in flight, which holds a few batches at most), a full scan,
// or a sort of the queued items; on SQLite a scan or a sort.
func readsOtherItems(dialect string, plan []string) (string, bool) {
	scan, cond := "", "" // the scan the plan's next lines belong to, and its index condition
	for _, l := range plan {
		var bad bool
		if dialect == store.Postgres {
			switch {
			case strings.Contains(l, " Scan "):
				scan, cond = l, ""
			case strings.Contains(l, "Index Cond:"):
				cond = l
			}
			filtered := strings.Contains(l, "Filter:") && (strings.Contains(l, "item_id") || strings.Contains(l, "state = 'queued'"))
			bad = (filtered && !strings.Contains(cond, "item_id") && !strings.Contains(scan, "recovery_items_inflight")) ||
				strings.Contains(l, "Seq Scan on recovery_items") || strings.Contains(l, "Sort Key: i.item_id")
		} else {
			f := strings.Fields(strings.TrimLeft(l, "|-` "))
			bad = (len(f) >= 2 && f[0] == "SCAN" && (f[1] == "recovery_items" || f[1] == "i")) || strings.Contains(l, "TEMP B-TREE FOR ORDER BY")
		}
		if bad {
			return l, true
		}
	}
	return "", false
}
