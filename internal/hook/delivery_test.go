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
