package store_test

import (
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// The chart counts attempts per minute as they are recorded (batches and
// one by one): from the first minute after the store opened, the chart
// reads those counts, not the attempts (the overview read every attempt of
// the hours not rolled up: 1.5 s with 1,000,000 of them); earlier minutes
// are still read from attempts. RecountAttemptMinutes counts afresh from
// attempts.
func TestChartCountsAttemptsAsRecorded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s)
		for range 4 {
			if _, err := s.IngestEvent(ctx, app.ID, "invoice.paid", []byte(`{}`), ""); err != nil {
				t.Fatal(err)
			}
		}
		jobs, err := s.ClaimDue(ctx, "me", 10, time.Minute, nil)
		if err != nil || len(jobs) != 4 {
			t.Fatalf("claimed %d, %v", len(jobs), err)
		}
		now := time.Now().UTC()
		base := now.Truncate(time.Minute).Add(2 * time.Minute) // counted: after the store opened
		before := now.Truncate(time.Minute).Add(-5 * time.Minute)
		attempt := func(job hook.Job, at time.Time, ok bool) store.AttemptRecord {
			st := hook.StatusSucceeded
			if !ok {
				st = hook.StatusFailed
			}
			return store.AttemptRecord{Job: job, Attempt: hook.Attempt{Trigger: hook.TriggerAutomatic, Succeeded: ok, RequestURL: "https://example.com/",
				RequestHeaders: map[string][]string{}, CreatedAt: at}, Outcome: hook.Outcome{Status: st}}
		}
		if _, err := s.RecordAttempts(ctx, "me", []store.AttemptRecord{
			attempt(jobs[0], base.Add(10*time.Second), true), attempt(jobs[1], base.Add(70*time.Second), false),
			attempt(jobs[3], before.Add(time.Second), true),
		}); err != nil {
			t.Fatal(err)
		}
		r := attempt(jobs[2], base.Add(20*time.Second), true)
		if _, err := s.RecordAttempt(ctx, "me", r.Job, r.Attempt, r.Outcome); err != nil {
			t.Fatal(err)
		}
		check := func(when string, start time.Time, want ...[2]int) {
			t.Helper()
			got, err := s.AttemptBuckets(ctx, app.ID, "", start, time.Minute, len(want))
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range want {
				if got[i].Succeeded != w[0] || got[i].Failed != w[1] {
					t.Errorf("%s: minute %d = %d/%d, want %d/%d", when, i, got[i].Succeeded, got[i].Failed, w[0], w[1])
				}
			}
		}
		check("recorded", base, [2]int{2, 0}, [2]int{0, 1})
		check("recorded, before counting", before, [2]int{1, 0})
		// Without the attempts, the counted minutes still show; the one
		// before counting began is read from attempts.
		if _, err := s.DB().ExecContext(ctx, `DELETE FROM attempts`); err != nil {
			t.Fatal(err)
		}
		check("attempts deleted", base, [2]int{2, 0}, [2]int{0, 1})
		check("attempts deleted, before counting", before, [2]int{0, 0})
		if err := s.RecountAttemptMinutes(ctx, before); err != nil {
			t.Fatal(err)
		}
		check("recounted", base, [2]int{0, 0}, [2]int{0, 0})
	})
}
