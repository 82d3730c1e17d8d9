package templates

import (
	"testing"
	"time"
)

func TestRelativeTime(t *testing.T) {
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "just now"},
		{-3 * time.Second, "just now"},
		{-42 * time.Second, "42 s ago"},
		{-3 * time.Minute, "3 min ago"},
		{-119 * time.Minute, "1 h ago"},
		{-26 * time.Hour, "1 day ago"},
		{-72 * time.Hour, "3 days ago"},
		{-40 * 24 * time.Hour, "2026-05-01"},
		{2 * time.Second, "in a moment"},
		{30 * time.Second, "in 30 s"},
		{5 * time.Minute, "in 5 min"},
		{27 * time.Hour, "in 1 day"},
	} {
		if got := RelativeTime(now.Add(c.d), now); got != c.want {
			t.Errorf("%v: %q, want %q", c.d, got, c.want)
		}
	}
}
