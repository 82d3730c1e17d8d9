package store_test

import (
	"strconv"
	"sync"
	"testing"

	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// Many concurrent requests with one Idempotency-Key, written by concurrent
// ingestion batches: one event and one delivery, every request answered
// with it; other keys in the same batches are unaffected.
func TestConcurrentIdempotentIngestion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := mustApp(t, s, "Acme")
		mustEventType(t, s, app.ID, "invoice.paid")
		in := validInput()
		in.Events = []string{"*"}
		if _, _, err := s.CreateWebhook(ctx, actor, app.ID, in, policy); err != nil {
			t.Fatal(err)
		}
		const n = 200
		results := make([]store.IngestResult, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				key := "same"
				if i%2 == 1 {
					key = "k" + strconv.Itoa(i)
				}
				res, err := s.IngestEvent(ctx, app.ID, "invoice.paid", []byte(`{"a":1}`), key)
				if err != nil {
					t.Error(err)
				}
				results[i] = res
			})
		}
		wg.Wait()
		first, replays := "", 0
		for i := 0; i < n; i += 2 {
			if first == "" {
				first = results[i].Event.ID
			}
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
