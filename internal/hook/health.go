package hook

import "fmt"

// Health is what a webhook's endpoint has been doing, apart from the
// admin's Active switch.
type Health string

const (
	HealthHealthy  Health = "healthy"
	HealthDegraded Health = "degraded"
	HealthFailing  Health = "failing"
	// HealthDisabled: the webhook is off (by an admin or by Hookboard),
	// so nothing is being delivered to judge.
	HealthDisabled Health = "disabled"
	// HealthUnknown: no attempt yet — not "healthy".
	HealthUnknown Health = "unknown"
)

// HealthInput is what the rule looks at.
type HealthInput struct {
	Active       bool
	Total24h     int  // attempts in the last 24 hours
	Succeeded24h int  // of which succeeded
	RecentFailed int  // failed among the 10 latest attempts
	AnyAttempt   bool // the webhook has had at least one attempt
}

// HealthOf judges a webhook's endpoint: failing when its 10 latest attempts
// all failed or fewer than half of the last 24 hours' succeeded, degraded
// under 95 %, healthy otherwise; disabled when the webhook is off, unknown
// before its first attempt. The reason says why, in words.
func HealthOf(in HealthInput) (Health, string) {
	switch {
	case !in.Active:
		return HealthDisabled, "Turned off: nothing is being delivered."
	case !in.AnyAttempt:
		return HealthUnknown, "No deliveries yet."
	case in.RecentFailed >= 10:
		return HealthFailing, "The last 10 attempts all failed."
	case in.Total24h == 0:
		return HealthHealthy, "No attempts in the last 24 hours; the latest ones succeeded."
	}
	rate := float64(in.Succeeded24h) / float64(in.Total24h)
	why := fmt.Sprintf("%d of %d attempts succeeded in the last 24 hours.", in.Succeeded24h, in.Total24h)
	switch {
	case rate < 0.5:
		return HealthFailing, why
	case rate < 0.95:
		return HealthDegraded, why
	}
	return HealthHealthy, why
}

// HealthLabel is the word shown for a health.
func HealthLabel(h Health) string {
	switch h {
	case HealthHealthy:
		return "Healthy"
	case HealthDegraded:
		return "Degraded"
	case HealthFailing:
		return "Failing"
	case HealthDisabled:
		return "Disabled"
	}
	return "No deliveries yet"
}
