package store_test

import (
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
			payload := []byte(`{"invoiceId":"inv_0001","amount":4200}`)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				for range batch {
					if _, err := s.IngestEvent(ctx, app.ID, "invoice.paid", payload, ""); err != nil {
						b.Fatal(err)
					}
				}
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

// BenchmarkAttemptBuckets is the overview's chart (the app's last 24 hours
// by the hour) over 50,000 attempts of the last half hour, none rolled up
// yet: read from the per-minute counts kept as attempts are recorded
// (migration 0011), and, for comparison, from the attempts themselves (as
// before it, and still for minutes before counting began).
func BenchmarkAttemptBuckets(b *testing.B) {
	for _, dialect := range storetest.Dialects(b) {
		b.Run(dialect, func(b *testing.B) {
			s := storetest.New(b, dialect, storetest.Options{})
			app := appWithCatchAll(b, s)
			if _, err := s.IngestEvent(ctx, app.ID, "invoice.paid", []byte(`{}`), ""); err != nil {
				b.Fatal(err)
			}
			var d struct {
				ID        string `db:"id"`
				WebhookID string `db:"webhook_id"`
			}
			if err := s.DB().GetContext(ctx, &d, `SELECT id, webhook_id FROM deliveries`); err != nil {
				b.Fatal(err)
			}
			now := time.Now().UTC()
			const n = 50000
			tx, err := s.DB().BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			ins, err := s.BulkInsert(tx, "attempts", "id", "delivery_id", "webhook_id", "trigger_type", "succeeded", "request_url", "request_headers",
				"response_status", "response_headers", "response_body", "response_truncated", "duration_ms", "error", "created_at")
			if err != nil {
				b.Fatal(err)
			}
			for i := range n {
				at := now.Add(-time.Duration(i) * 30 * time.Minute / n)
				if err := ins.Add(uuid.NewString(), d.ID, d.WebhookID, "automatic", i%10 != 0, "https://example.com/", "{}", 204, "{}", []byte{}, false, 3, "", at); err != nil {
					b.Fatal(err)
				}
			}
			if err := ins.Close(); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
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
