package sender_test

import (
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// Many concurrent requests with one Idempotency-Key, written by concurrent
// ingestion batches: one event and one delivery, every request answered
// with it; other keys in the same batches are unaffected.
func TestConcurrentIdempotentIngestion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		f.webhook("A", "http://127.0.0.1:9/hook", []string{"*"}, true)
		ing := f.ingester(nil)
		const n = 200
		results := make([]store.IngestResult, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				key := "same"
				if i%2 == 1 {
					key = "k" + strconv.Itoa(i)
				}
				res, err := ing.IngestEvent(ctx, f.app.ID, "invoice.paid", []byte(`{"a":1}`), key)
				if err != nil {
					t.Error(err)
				}
				results[i] = res
			})
		}
		wg.Wait()
		first, replays := results[0].Event.ID, 0
		for i := 0; i < n; i += 2 {
			if results[i].Event.ID != first {
				t.Fatalf("request %d got event %s, another got %s", i, results[i].Event.ID, first)
			}
			if results[i].Replayed {
				replays++
			}
		}
		if replays != n/2-1 {
			t.Errorf("%d replays of the shared key, want %d", replays, n/2-1)
		}
		var events, deliveries int
		s.DB().GetContext(ctx, &events, `SELECT COUNT(*) FROM events`)
		s.DB().GetContext(ctx, &deliveries, `SELECT COUNT(*) FROM deliveries`)
		if events != n/2+1 || deliveries != n/2+1 {
			t.Errorf("%d events and %d deliveries, want %d of each", events, deliveries, n/2+1)
		}
	})
}

// Batches of every size are written whole: no batch fails and falls back
// to one-by-one writes (which would hide a broken batch statement behind
// slow success). A request's own error (an unknown type) fails only it.
func TestLargeBatchesWrittenWhole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		f.webhook("A", "http://127.0.0.1:9/a", []string{"*"}, true)
		f.webhook("B", "http://127.0.0.1:9/b", []string{"invoice.paid"}, true)
		ing := f.ingester(nil)
		const events = 700
		var wg sync.WaitGroup
		for i := range events {
			wg.Go(func() {
				if _, err := ing.IngestEvent(ctx, f.app.ID, "invoice.paid", []byte(`{"n":`+strconv.Itoa(i)+`}`), ""); err != nil {
					t.Error(err)
				}
			})
			if i%100 == 0 {
				wg.Go(func() {
					if _, err := ing.IngestEvent(ctx, f.app.ID, "not.in.catalog", []byte(`{}`), ""); hook.ErrorCode(err) != hook.EINVALID {
						t.Errorf("unknown type: %v", err)
					}
				})
			}
		}
		wg.Wait()
		if n := sender.BatchRetries(ing); n != 0 {
			t.Errorf("%d batches failed whole and were written one by one", n)
		}
		var deliveries int
		s.DB().GetContext(ctx, &deliveries, `SELECT COUNT(*) FROM deliveries WHERE lease_owner = ''`)
		if deliveries != 2*events {
			t.Errorf("%d deliveries stored due, want %d", deliveries, 2*events)
		}
	})
}

// After Close, ingestion fails instead of waiting forever.
func TestIngesterClosed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		ing := f.ingester(nil)
		ing.Close()
		if _, err := ing.IngestEvent(ctx, f.app.ID, "invoice.paid", []byte(`{}`), ""); !errors.Is(err, sender.ErrIngesterClosed) {
			t.Errorf("after Close: %v", err)
		}
	})
}

// BenchmarkIngest measures ingestion as the API drives it: 64 concurrent
// callers, one subscribed webhook, no sender (each delivery stored due).
// Concurrent calls share transactions (group commit).
func BenchmarkIngest(b *testing.B) {
	for _, dialect := range storetest.Dialects(b) {
		b.Run(dialect, func(b *testing.B) {
			s := storetest.New(b, dialect, storetest.Options{})
			app, err := s.CreateApp(ctx, "Acme")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.CreateEventType(ctx, actor, app.ID, hook.EventTypeInput{Name: "invoice.paid"}); err != nil {
				b.Fatal(err)
			}
			if _, _, err := s.CreateWebhook(ctx, actor, app.ID, hook.WebhookInput{Name: "A", URL: "http://127.0.0.1:9/", Events: []string{"*"}, Active: true, AuthType: hook.AuthNone}, dev); err != nil {
				b.Fatal(err)
			}
			ing := sender.NewIngester(s, nil)
			b.Cleanup(ing.Close)
			payload := []byte(`{"invoiceId":"inv_0001","amount":4200}`)
			b.ReportAllocs()
			b.SetParallelism(32) // × GOMAXPROCS callers
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := ing.IngestEvent(ctx, app.ID, "invoice.paid", payload, ""); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
