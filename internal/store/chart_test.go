package store_test

import (
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// Attempts fall in the bucket of their start, for one webhook or the whole
// app, and nothing from another app or outside the window is counted.
func TestAttemptBuckets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := mustApp(t, s, "Acme")
		other := mustApp(t, s, "Other")
		hooks, add := healthFixture(t, s, app.ID, "a", "b")
		otherHooks, addOther := healthFixture(t, s, other.ID, "c")
		start := time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)
		add(hooks["a"], start.Add(-time.Second), true, 200, 1, "")                  // before the window
		add(hooks["a"], start, true, 200, 1, "")                                    // bucket 0
		add(hooks["a"], start.Add(4*time.Minute+59*time.Second), false, 500, 1, "") // bucket 0
		add(hooks["b"], start.Add(5*time.Minute), false, 0, 1, "timeout")           // bucket 1
		add(hooks["a"], start.Add(59*time.Minute), true, 200, 1, "")                // bucket 11
		add(hooks["a"], start.Add(time.Hour), true, 200, 1, "")                     // after
		addOther(otherHooks["c"], start.Add(time.Minute), true, 200, 1, "")

		got, err := s.AttemptBuckets(ctx, app.ID, "", start, 5*time.Minute, 12)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 12 || !got[0].Start.Equal(start) || !got[11].Start.Equal(start.Add(55*time.Minute)) {
			t.Fatalf("buckets %+v", got)
		}
		want := map[int][2]int{0: {1, 1}, 1: {0, 1}, 11: {1, 0}}
		for i, b := range got {
			if w := want[i]; b.Succeeded != w[0] || b.Failed != w[1] {
				t.Errorf("app bucket %d = %d/%d, want %d/%d", i, b.Succeeded, b.Failed, w[0], w[1])
			}
		}
		one, err := s.AttemptBuckets(ctx, app.ID, hooks["b"], start, time.Hour, 1)
		if err != nil || len(one) != 1 || one[0].Succeeded != 0 || one[0].Failed != 1 {
			t.Errorf("webhook b's hour = %+v, %v", one, err)
		}
	})
}

// Deliveries are counted by status for the app since a time.
func TestStatusCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := mustApp(t, s, "Acme")
		healthFixture(t, s, app.ID, "a", "b") // one event: two pending deliveries
		other := mustApp(t, s, "Other")
		healthFixture(t, s, other.ID, "c")
		got, err := s.StatusCounts(ctx, app.ID, time.Now().Add(-24*time.Hour))
		if err != nil || got["pending"] != 2 || len(got) != 1 {
			t.Errorf("counts %v, %v; want 2 pending", got, err)
		}
		got, _ = s.StatusCounts(ctx, app.ID, time.Now().Add(time.Hour))
		if len(got) != 0 {
			t.Errorf("counts from the future %v", got)
		}
	})
}
