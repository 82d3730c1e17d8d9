package store_test

import (
	"testing"
	"time"

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
