package templates

import (
	"fmt"
	"time"
)

// Health is a webhook's health as the list, its page and the overview
// show it (see hook.HealthOf).
type Health struct {
	State  string // healthy, degraded, failing, disabled, unknown
	Label  string
	Reason string
	// The latest attempt; zero LastAt when there is none.
	LastAt     time.Time
	LastOK     bool
	LastStatus string // "200", "timeout", …
	Latency    string // p50 over 24 h, "120 ms", or "—"
	Now        time.Time
}

// Overview is an app's landing page.
type Overview struct {
	Page
	AppID   string
	AppName string
	Chart   Chart
	// Counts by status, as shown ("10,000+" past the store's cap).
	Succeeded string
	Failed    string
	Retrying  string
	Pending   string
	Rows      []WebhookRow // failing first
}

// ago says how long before now t was, in words: "just now", "3 min ago",
// "5 h ago", "2 days ago".
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
}
