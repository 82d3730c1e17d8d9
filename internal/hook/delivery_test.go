package hook

import (
	"testing"
	"time"
)

func TestNextOutcomeSchedule(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	noJitter := func() float64 { return 0 }
	want := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	for i, w := range want {
		out := NextOutcome(false, 500, i+1, 0, now, noJitter)
		if out.Status != StatusRetrying || out.NextAttemptAt == nil || out.NextAttemptAt.Sub(now) != w {
			t.Errorf("after attempt %d: %+v, want retry in %v", i+1, out, w)
		}
	}
	if out := NextOutcome(false, 500, 8, 0, now, noJitter); out.Status != StatusFailed || out.NextAttemptAt != nil {
		t.Errorf("after the 8th attempt: %+v", out)
	}
	if out := NextOutcome(false, 410, 1, 0, now, noJitter); out.Status != StatusFailed {
		t.Errorf("410: %+v", out)
	}
	if out := NextOutcome(true, 200, 3, 0, now, noJitter); out.Status != StatusSucceeded || out.NextAttemptAt != nil {
		t.Errorf("success: %+v", out)
	}
	// Jitter stays within ±10 %.
	for _, j := range []float64{-1, -0.5, 0.99} {
		out := NextOutcome(false, 500, 2, 0, now, func() float64 { return j })
		d := out.NextAttemptAt.Sub(now)
		if d < 270*time.Second || d > 330*time.Second {
			t.Errorf("jitter %v: %v", j, d)
		}
	}
	// Retry-After on 429/503, within bounds; ignored for other statuses.
	if out := NextOutcome(false, 429, 1, 90*time.Second, now, noJitter); out.NextAttemptAt.Sub(now) != 90*time.Second {
		t.Errorf("429 Retry-After: %v", out.NextAttemptAt.Sub(now))
	}
	if out := NextOutcome(false, 503, 1, 48*time.Hour, now, noJitter); out.NextAttemptAt.Sub(now) != MaxRetryAfter {
		t.Errorf("503 huge Retry-After: %v", out.NextAttemptAt.Sub(now))
	}
	if out := NextOutcome(false, 500, 1, 90*time.Second, now, noJitter); out.NextAttemptAt.Sub(now) != 5*time.Second {
		t.Errorf("500 with Retry-After: %v", out.NextAttemptAt.Sub(now))
	}
}

// Manual resends never use up the retry schedule: only automatic attempts
// count (spec Part 2, "Hostile clients and bad input").
func TestAfterAttemptCountsAutomaticAttemptsOnly(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	noJitter := func() float64 { return 0 }
	next := now.Add(time.Hour)
	// One automatic failure, then seven failed resends.
	d := Delivery{Status: StatusRetrying, Attempts: 8, AutomaticAttempts: 1, NextAttemptAt: &next}
	out := AfterAttempt(d, TriggerAutomatic, false, 500, 0, now, noJitter)
	if out.Status != StatusRetrying || out.NextAttemptAt == nil || out.NextAttemptAt.Sub(now) != 5*time.Minute {
		t.Errorf("second automatic failure after seven resends: %+v, want a retry in 5m", out)
	}
	// The schedule still ends after its eighth automatic attempt.
	d.AutomaticAttempts = 7
	if out := AfterAttempt(d, TriggerAutomatic, false, 500, 0, now, noJitter); out.Status != StatusFailed {
		t.Errorf("eighth automatic failure: %+v, want failed", out)
	}
	// A failed resend leaves the delivery as it was; a successful one ends it.
	d.AutomaticAttempts = 1
	if out := AfterAttempt(d, TriggerManual, false, 500, 0, now, noJitter); out.Status != StatusRetrying || out.NextAttemptAt != &next {
		t.Errorf("failed resend: %+v, want unchanged", out)
	}
	if out := AfterAttempt(d, TriggerManual, true, 200, 0, now, noJitter); out.Status != StatusSucceeded || out.NextAttemptAt != nil {
		t.Errorf("successful resend: %+v", out)
	}
	// A test event is never retried.
	if out := AfterAttempt(Delivery{Status: StatusPending}, TriggerTest, false, 500, 0, now, noJitter); out.Status != StatusFailed {
		t.Errorf("failed test event: %+v", out)
	}
}
