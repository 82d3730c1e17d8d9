package web

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
)

// defaultRecoveryRate is HOOKBOARD_RECOVERY_RATE's default: requests per
// second a job sends to one webhook.
const defaultRecoveryRate = hook.DefaultRecoveryRate

// parseDateTime reads a date-time of a recovery form or request, in UTC
// unless it says otherwise: RFC 3339, or what a datetime-local input
// sends (2006-01-02T15:04, with or without seconds). Empty is the zero time.
func parseDateTime(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

const dateTimeHint = "Enter a date and time in UTC, like 2026-11-26T09:30 (or RFC 3339)."

// formDateTime is a time as a datetime-local input shows it.
func formDateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	if t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format("2006-01-02T15:04")
	}
	return t.Format("2006-01-02T15:04:05")
}

// durationWords says how long n requests take at rate per second.
func durationWords(n, rate int) string {
	if rate <= 0 {
		rate = defaultRecoveryRate
	}
	return etaWords(time.Duration(n) * time.Second / time.Duration(rate))
}

// etaWords says a duration for people: "under a second", "40 seconds",
// "3 minutes", "2 h 5 min".
func etaWords(d time.Duration) string {
	secs := int(math.Ceil(d.Seconds()))
	switch {
	case secs <= 1:
		return "under a second"
	case secs < 90:
		return fmt.Sprintf("%d seconds", secs)
	case secs < 90*60:
		return fmt.Sprintf("%d minutes", int(math.Round(float64(secs)/60)))
	}
	h, m := secs/3600, (secs%3600+30)/60
	if m == 60 {
		h, m = h+1, 0
	}
	if m == 0 {
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

// keepFilled copies the non-empty values of names from q.
func keepFilled(q url.Values, names ...string) url.Values {
	out := url.Values{}
	for _, n := range names {
		if v := q.Get(n); v != "" {
			out.Set(n, v)
		}
	}
	return out
}

// countOf is "1 delivery", "3 deliveries".
func countOf(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
