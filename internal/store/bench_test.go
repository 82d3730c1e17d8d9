package store_test

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// BenchmarkClaimAndRecord measures the sender's database work per delivery:
// claim a batch of 64 due deliveries under a lease, then record an attempt
// for each in one transaction. Run on SQLite, and on PostgreSQL with
// TEST_DATABASE_URL set.
func BenchmarkClaimAndRecord(b *testing.B) {
	for _, dialect := range storetest.Dialects(b) {
		b.Run(dialect, func(b *testing.B) {
			s := storetest.New(b, dialect, storetest.Options{})
			app := appWithCatchAll(b, s)
			const batch = 64
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				ingestN(b, s, app.ID, batch)
				b.StartTimer()
				jobs, err := s.ClaimDue(ctx, "bench", batch, time.Minute, nil)
				if err != nil || len(jobs) != batch {
					b.Fatalf("claimed %d: %v", len(jobs), err)
				}
				recs := make([]store.AttemptRecord, len(jobs))
				for i, j := range jobs {
					recs[i] = store.AttemptRecord{Job: j, Attempt: hook.Attempt{Trigger: hook.TriggerAutomatic, Succeeded: true, RequestURL: "https://example.com/a",
						RequestHeaders: map[string][]string{"Content-Type": {"application/json"}}, ResponseStatus: 204, Duration: time.Millisecond},
						Outcome: hook.Outcome{Status: hook.StatusSucceeded}}
				}
				if _, err := s.RecordAttempts(ctx, "bench", recs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}

// BenchmarkClaimOne is the claim a rate-limited or FIFO delivery costs:
// one due delivery, claimed by a sender with many free workers (limit
// 256). Its fixed cost, not its cost per row, is what a claim woken for one
// delivery pays. The delivery is ingested, and recorded after, untimed.
func BenchmarkClaimOne(b *testing.B) { oneByOne(b, "claim") }

// BenchmarkOneDelivery is a delivery's database work under a light load,
// where every batch is one row: its event ingested alone, then its attempt
// recorded alone (the claim between them untimed: at such a load the
// sender is handed the delivery at ingestion). What is fixed per statement
// (a round trip, and on PostgreSQL parsing and planning an unnamed one)
// is paid by each delivery here.
func BenchmarkOneDelivery(b *testing.B) { oneByOne(b, "ingest", "record") }

// oneByOne runs b over one delivery at a time on each database: its event
// ingested, the delivery claimed, its attempt recorded, timing only the
// steps named in timed.
func oneByOne(b *testing.B, timed ...string) {
	for _, dialect := range storetest.Dialects(b) {
		b.Run(dialect, func(b *testing.B) {
			s := storetest.New(b, dialect, storetest.Options{})
			app := appWithCatchAll(b, s)
			step := func(name string, f func()) {
				if !slices.Contains(timed, name) {
					b.StopTimer()
					defer b.StartTimer()
				}
				f()
			}
			b.ReportAllocs()
			for b.Loop() {
				var jobs []hook.Job
				step("ingest", func() { ingestN(b, s, app.ID, 1) })
				step("claim", func() {
					var err error
					if jobs, err = s.ClaimDue(ctx, "bench", 256, time.Minute, nil); err != nil || len(jobs) != 1 {
						b.Fatalf("claimed %d: %v", len(jobs), err)
					}
				})
				step("record", func() {
					if _, err := s.RecordAttempts(ctx, "bench", succeededRecords(jobs)); err != nil {
						b.Fatal(err)
					}
				})
			}
		})
	}
}

// BenchmarkFIFOStep is one step of a FIFO webhook's chain as the store
// sees it: recording the head's attempt promotes the next delivery, which
// the sender then needs in hand. "handover": recording hands it over
// (RecordAttemptsHanding, the sender having room); "claim": it is made due
// and claimed, as when the sender has no room (and as every step was
// before the handover). The next event is ingested untimed.
func BenchmarkFIFOStep(b *testing.B) {
	for _, dialect := range storetest.Dialects(b) {
		for _, mode := range []string{"handover", "claim"} {
			b.Run(dialect+"/"+mode, func(b *testing.B) {
				s := storetest.New(b, dialect, storetest.Options{})
				app := appWithCatchAll(b, s, func(in *hook.WebhookInput) { in.Ordering = hook.OrderingFIFO })
				h := store.Handover{Lease: time.Minute, Reserve: func(string) bool { return mode == "handover" }, Unreserve: func(string) {}}
				ingestN(b, s, app.ID, 1)
				head, err := s.ClaimDue(ctx, "bench", 256, time.Minute, nil)
				if err != nil || len(head) != 1 {
					b.Fatalf("claimed %d: %v", len(head), err)
				}
				b.ReportAllocs()
				for b.Loop() {
					b.StopTimer()
					ingestN(b, s, app.ID, 1)
					b.StartTimer()
					_, next, err := s.RecordAttemptsHanding(ctx, "bench", succeededRecords(head), h)
					if err == nil && mode == "claim" {
						next, err = s.ClaimDue(ctx, "bench", 256, time.Minute, nil)
					}
					if err != nil || len(next) != 1 {
						b.Fatalf("%s: the next delivery: %d, %v", mode, len(next), err)
					}
					head = next
				}
			})
		}
	}
}

// ingestN ingests n invoice.paid events to the app, one delivery each to
// its catch-all webhook (appWithCatchAll).
func ingestN(b testing.TB, s *store.Store, appID string, n int) {
	b.Helper()
	payload := []byte(`{"invoiceId":"inv_0001","amount":4200}`)
	for range n {
		if _, err := s.IngestEvent(ctx, appID, "invoice.paid", payload, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordAttempts is the sender's recorder writing a batch of
// attempts (RecordAttempts: the attempts, the deliveries' outcomes, the
// chart's per-minute counts, in one transaction), by batch size: what the
// recorder's wait for a fuller batch (sender.recordBatch) saves per attempt.
// The deliveries are ingested and claimed untimed.
func BenchmarkRecordAttempts(b *testing.B) {
	for _, dialect := range storetest.Dialects(b) {
		for _, batch := range []int{8, 32, 128} {
			b.Run(dialect+"/batch="+strconv.Itoa(batch), func(b *testing.B) {
				s := storetest.New(b, dialect, storetest.Options{})
				app := appWithCatchAll(b, s)
				b.ReportAllocs()
				for b.Loop() {
					b.StopTimer()
					ingestN(b, s, app.ID, batch)
					jobs, err := s.ClaimDue(ctx, "bench", batch, time.Minute, nil)
					if err != nil || len(jobs) != batch {
						b.Fatalf("claimed %d: %v", len(jobs), err)
					}
					recs := succeededRecords(jobs)
					b.StartTimer()
					if _, err := s.RecordAttempts(ctx, "bench", recs); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/attempt")
			})
		}
	}
}

// BenchmarkAttemptBuckets is the overview's chart (the app's last 24 hours
// by the hour) over 50,000 attempts of the last half hour, none rolled up
// yet: read from the per-minute counts kept as attempts are recorded
// (migration 0011), and, for comparison, from the attempts themselves (as
// before it, and still for minutes before counting began).
func BenchmarkAttemptBuckets(b *testing.B) {
	for _, dialect := range storetest.Dialects(b) {
		b.Run(dialect, func(b *testing.B) {
			s := storetest.New(b, dialect, storetest.Options{})
			app, d := oneDelivery(b, s)
			now := time.Now().UTC()
			const n = 50000
			insertAttempts(b, s, d.ID, d.WebhookID, n, now, 30*time.Minute)
			start := now.Truncate(time.Hour).Add(-23 * time.Hour)
			for _, c := range []struct {
				name  string
				since time.Time // counted from here; before it read from attempts
			}{{"counted", now.Add(-time.Hour)}, {"from_attempts", now.Add(time.Hour)}} {
				if err := s.RecountAttemptMinutes(ctx, c.since); err != nil {
					b.Fatal(err)
				}
				b.Run(c.name, func(b *testing.B) {
					for b.Loop() {
						got, err := s.AttemptBuckets(ctx, app.ID, "", start, time.Hour, 24)
						if err != nil || got[23].Succeeded+got[23].Failed+got[22].Succeeded+got[22].Failed != n {
							b.Fatalf("%v: %+v", err, got[22:])
						}
					}
				})
			}
		})
	}
}

// benchDelivery is a delivery's id and its webhook's.
type benchDelivery struct {
	ID        string `db:"id"`
	WebhookID string `db:"webhook_id"`
}

// oneDelivery is an app with a catch-all webhook and one event's delivery to it.
func oneDelivery(b *testing.B, s *store.Store) (hook.App, benchDelivery) {
	b.Helper()
	app := appWithCatchAll(b, s)
	if _, err := s.IngestEvent(ctx, app.ID, "invoice.paid", []byte(`{}`), ""); err != nil {
		b.Fatal(err)
	}
	var d benchDelivery
	if err := s.DB().GetContext(ctx, &d, `SELECT id, webhook_id FROM deliveries`); err != nil {
		b.Fatal(err)
	}
	return app, d
}

// insertAttempts stores n attempts of the delivery, spread evenly over the
// span before now, one in ten failed, in one transaction.
func insertAttempts(b *testing.B, s *store.Store, deliveryID, webhookID string, n int, now time.Time, span time.Duration) {
	b.Helper()
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	ins, err := s.BulkInsert(tx, "attempts", "id", "delivery_id", "webhook_id", "trigger_type", "succeeded", "request_url", "request_headers",
		"response_status", "response_headers", "response_body", "response_truncated", "duration_ms", "error", "created_at")
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		at := now.Add(-time.Duration(i) * span / time.Duration(n))
		if err := ins.Add(uuid.NewString(), deliveryID, webhookID, "automatic", i%10 != 0, "https://example.com/", "{}", 204, "{}", []byte{}, false, 3+i%50, "", at); err != nil {
			b.Fatal(err)
		}
	}
	if err := ins.Close(); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkWebhookHealth is the webhook list's health figures (every page
// with a webhook's health reads them) for a webhook with 50,000 attempts in
// the last half hour: its latest 2,000 counted and their median, its
// latest ten, read from the index alone (migration 0012).
func BenchmarkWebhookHealth(b *testing.B) {
	for _, dialect := range storetest.Dialects(b) {
		b.Run(dialect, func(b *testing.B) {
			s := storetest.New(b, dialect, storetest.Options{})
			app, d := oneDelivery(b, s)
			now := time.Now().UTC()
			insertAttempts(b, s, d.ID, d.WebhookID, 50000, now, 30*time.Minute)
			// As autovacuum would: PostgreSQL reads an index alone only for
			// pages its visibility map marks all-visible.
			analyze := `ANALYZE`
			if dialect == store.Postgres {
				analyze = `VACUUM ANALYZE`
			}
			if _, err := s.DB().ExecContext(ctx, analyze); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				got, err := s.WebhookHealth(ctx, app.ID, now.Add(-24*time.Hour))
				if f := got[d.WebhookID]; err != nil || f.Total != store.HealthCap || f.RecentFailed != 1 {
					b.Fatalf("%v: %+v", err, f)
				}
			}
		})
	}
}

// BenchmarkRecoveryBatch is a recovery job's database work per batch of 50
// and of 100 items, on a job of 20,000: take the batch (the job's lease
// renewed, the items read with their deliveries, the deliveries leased
// and the items marked in flight, the payloads read), then record its
// attempts and the items' outcomes.
//
// In "failed" the attempts fail, so the deliveries stay resendable and
// another job over them starts when one runs out. Their outcome changes
// no status, so on PostgreSQL it is a HOT update, and this understates a
// real recovery (hookbench: a resend touched as many buffer pages as a
// plain delivery). In "succeeded" each resend succeeds, as when an outage
// is recovered: the status changes and the delivery's indexes get new
// entries; when a job runs out, its deliveries are made failed again,
// untimed, for the next.
func BenchmarkRecoveryBatch(b *testing.B) {
	for _, dialect := range storetest.Dialects(b) {
		for _, ok := range []bool{false, true} {
			name := dialect + "/failed"
			if ok {
				name = dialect + "/succeeded"
			}
			// 100 items is a batch of a job at 1,000/s (sender.RecoveryBatchSize);
			// 50, what it was: the difference is a batch's fixed cost.
			for _, batch := range []int{50, 100} {
				b.Run(fmt.Sprintf("%s/batch=%d", name, batch), func(b *testing.B) { benchmarkRecoveryBatch(b, dialect, ok, batch) })
			}
		}
	}
}

func benchmarkRecoveryBatch(b *testing.B, dialect string, ok bool, batch int) {
	s := storetest.New(b, dialect, storetest.Options{})
	app := appWithCatchAll(b, s)
	res, err := s.IngestEvent(ctx, app.ID, "invoice.paid", []byte(`{"invoiceId":"inv_0001"}`), "")
	if err != nil {
		b.Fatal(err)
	}
	hooks, err := s.ListWebhooks(ctx, app.ID)
	if err != nil || len(hooks) != 1 {
		b.Fatalf("webhooks: %d, %v", len(hooks), err)
	}
	webhookID := hooks[0].ID
	const n = 20000
	at := time.Now().UTC().Add(-30 * time.Minute)
	fill := `INSERT INTO deliveries (id, app_id, webhook_id, event_id, event_type, status, attempts, created_at, updated_at)
		SELECT gen_random_uuid(), $1, $2, $3, 'invoice.paid', 'failed', 1, $4, $4 FROM generate_series(1, $5)`
	if dialect == store.SQLite {
		fill = `WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ?5)
		INSERT INTO deliveries (id, app_id, webhook_id, event_id, event_type, status, attempts, created_at, updated_at)
		SELECT lower(hex(randomblob(16))), ?1, ?2, ?3, 'invoice.paid', 'failed', 1, ?4, ?4 FROM g`
	}
	if _, err := s.DB().ExecContext(ctx, fill, app.ID, webhookID, res.Event.ID, at, n); err != nil {
		b.Fatal(err)
	}
	owner := store.NewLeaseOwner()
	release, err := s.HoldOwner(ctx, owner, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer release()
	start := func() string {
		if ok { // the last job's resends succeeded: make them resendable again
			if _, err := s.DB().ExecContext(ctx, s.DB().Rebind(`UPDATE deliveries SET status = 'failed' WHERE webhook_id = ?`), webhookID); err != nil {
				b.Fatal(err)
			}
		}
		job, err := s.StartRecovery(ctx, actor, app.ID, hook.RecoverySpec{Kind: hook.RecoverFailed, WebhookID: webhookID, Since: at.Add(-time.Minute)}, 1000)
		if err != nil {
			b.Fatal(err)
		}
		if _, ok, err := s.ClaimRecovery(ctx, owner, time.Minute, nil); err != nil || !ok {
			b.Fatalf("claim: %v %v", ok, err)
		}
		return job.ID
	}
	id := start()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		taken, err := s.TakeRecoveryBatch(ctx, owner, id, batch, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		if len(taken.Jobs) == 0 { // the job is done: another over the same deliveries
			b.StopTimer()
			id = start()
			b.StartTimer()
			continue
		}
		recs := make([]store.AttemptRecord, len(taken.Jobs))
		for i, j := range taken.Jobs {
			recs[i] = recoveryRecord(j, ok)
		}
		if err := s.RecordRecoveryBatch(ctx, owner, id, recs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/item")
}

// BenchmarkTakeTokens is taking one token of a rate-limited webhook's
// bucket, each run 2 ms after the last (a limit of 1,000/s: every
// call gets its token): the dialect's way ("dialect": on PostgreSQL one
// call of hookboard_take_tokens) and the read and compare-and-set
// ("stepwise", SQLite's way, which PostgreSQL used before migration 0019).
func BenchmarkTakeTokens(b *testing.B) {
	for _, dialect := range storetest.Dialects(b) {
		for _, way := range []string{"dialect", "stepwise"} {
			b.Run(dialect+"/"+way, func(b *testing.B) {
				s := storetest.New(b, dialect, storetest.Options{})
				app := appWithCatchAll(b, s, func(in *hook.WebhookInput) { in.RateLimit = 1000 })
				whs, err := s.ListWebhooks(ctx, app.ID)
				if err != nil || len(whs) != 1 {
					b.Fatalf("webhooks %d: %v", len(whs), err)
				}
				take := store.TakeTokens
				if way == "stepwise" {
					take = store.TakeTokensStepwise
				}
				now := time.Now()
				b.ReportAllocs()
				for b.Loop() {
					now = now.Add(2 * time.Millisecond)
					if got, _, err := take(ctx, s, whs[0].ID, 1000, 1, now); err != nil || got != 1 {
						b.Fatalf("took %d: %v", got, err)
					}
				}
			})
		}
	}
}
