package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// attemptAt is one attempt of the roll-up fixture.
type attemptAt struct {
	wh string
	at time.Time
	ok bool
}

// countBuckets is the direct count the chart must show: attempts of wh (or
// of every webhook when wh is "") in n buckets of step from start.
func countBuckets(all []attemptAt, wh string, start time.Time, step time.Duration, n int) []store.Bucket {
	out := make([]store.Bucket, n)
	for i := range out {
		out[i].Start = start.Add(time.Duration(i) * step)
	}
	for _, a := range all {
		if (wh != "" && a.wh != wh) || a.at.Before(start) {
			continue
		}
		if i := int(a.at.Sub(start) / step); i < n {
			if a.ok {
				out[i].Succeeded++
			} else {
				out[i].Failed++
			}
		}
	}
	return out
}

// The chart's hours read from attempt_hours after a roll-up are the same as
// counted from attempts, over 30 hours, for the app and each webhook; an
// attempt written after the roll-up into an hour that closed within the
// margin is counted live and then rolled up with the next call; a second
// roll-up of the same hours changes nothing; retention deletes old hours.
func TestAttemptBucketsRolledUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := mustApp(t, s, "Acme")
		hooks, add := healthFixture(t, s, app.ID, "a", "b")
		other := mustApp(t, s, "Other")
		otherHooks, addOther := healthFixture(t, s, other.ID, "c")
		now := time.Date(2026, 11, 26, 14, 1, 30, 0, time.UTC) // the clock
		var all []attemptAt
		record := func(wh string, at time.Time, ok bool) {
			add(wh, at, ok, 200, 1, "")
			all = append(all, attemptAt{wh, at, ok})
		}
		for i := 0; i < 30*12; i++ { // every 5 minutes for 30 hours, on and off the hour
			at := now.Add(-30*time.Hour + time.Duration(i)*5*time.Minute).Truncate(time.Minute)
			record(hooks["a"], at, i%3 != 0)
			if i%4 == 0 {
				record(hooks["b"], at.Add(59*time.Second), i%8 == 0)
			}
			addOther(otherHooks["c"], at, true, 200, 1, "")
		}
		check := func(stage string) {
			t.Helper()
			dayStart := now.Truncate(time.Hour).Add(-23 * time.Hour)
			for _, w := range []struct {
				start time.Time
				step  time.Duration
				n     int
			}{
				{dayStart, time.Hour, 24},                                     // the chart's day
				{now.Truncate(time.Hour).Add(-30 * time.Hour), time.Hour, 32}, // before the rolled hours too
				{now.Truncate(time.Hour).Add(-time.Hour), 5 * time.Minute, 24},
				{dayStart, 2 * time.Hour, 12},
			} {
				for _, wh := range []string{"", hooks["a"], hooks["b"]} {
					got, err := s.AttemptBuckets(ctx, app.ID, wh, w.start, w.step, w.n)
					if err != nil {
						t.Fatal(err)
					}
					want := countBuckets(all, wh, w.start, w.step, w.n)
					if fmt.Sprint(bucketCounts(got)) != fmt.Sprint(bucketCounts(want)) || !got[0].Start.Equal(w.start) {
						t.Fatalf("%s, webhook %q, %v from %v:\n got %v\nwant %v", stage, wh, w.step, w.start, bucketCounts(got), bucketCounts(want))
					}
				}
			}
		}
		check("before any roll-up")
		margin := 2 * time.Minute
		if err := s.RollUpAttemptHours(ctx, now.Add(-margin)); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, s, `SELECT COUNT(*) FROM attempt_hours`); n == 0 {
			t.Fatal("nothing rolled up")
		}
		check("after the roll-up")
		// Started at 13:59:50 and written after the roll-up at 14:01:30:
		// the hour closed at 14:00, within the margin, so it is not rolled
		// up yet and the chart reads it from attempts.
		record(hooks["b"], time.Date(2026, 11, 26, 13, 59, 50, 0, time.UTC), false)
		check("a late attempt in the latest closed hour")
		if err := s.RollUpAttemptHours(ctx, now.Add(-margin)); err != nil { // again: nothing changes
			t.Fatal(err)
		}
		check("the same roll-up again")
		now = now.Add(time.Minute) // 14:02:30: 13:00-14:00 is rolled up, the late attempt with it
		if err := s.RollUpAttemptHours(ctx, now.Add(-margin)); err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, s, (`SELECT COUNT(*) FROM attempt_hours WHERE webhook_id = ? AND hour = ?`), hooks["b"], time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC)); n != 1 {
			t.Fatalf("hour 13:00 of webhook b: %d rows, want 1", n)
		}
		check("after the next hour's roll-up")

		before := countRows(t, s, `SELECT COUNT(*) FROM attempt_hours`)
		if _, err := s.DeleteOlderThan(ctx, now.Add(-20*time.Hour), 1000); err != nil {
			t.Fatal(err)
		}
		left := countRows(t, s, `SELECT COUNT(*) FROM attempt_hours`)
		old := countRows(t, s, (`SELECT COUNT(*) FROM attempt_hours WHERE hour < ?`), now.Add(-21*time.Hour))
		if left >= before || old != 0 {
			t.Errorf("retention: %d hours rows before, %d after, %d ended before the cutoff", before, left, old)
		}
	})
}

func bucketCounts(bs []store.Bucket) [][2]int {
	out := make([][2]int, len(bs))
	for i, b := range bs {
		out[i] = [2]int{b.Succeeded, b.Failed}
	}
	return out
}

func countRows(t *testing.T, s *store.Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.DB().GetContext(ctx, &n, s.DB().Rebind(q), args...); err != nil {
		t.Fatal(err)
	}
	return n
}
