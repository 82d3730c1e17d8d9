package hook_test

import (
	"testing"

	"github.com/hookboard/hookboard/internal/hook"
)

func TestHealthOf(t *testing.T) {
	for _, c := range []struct {
		name string
		in   hook.HealthInput
		want hook.Health
	}{
		{"off", hook.HealthInput{Active: false, AnyAttempt: true, Total24h: 10, Succeeded24h: 10}, hook.HealthDisabled},
		{"no attempt yet", hook.HealthInput{Active: true}, hook.HealthUnknown},
		{"last 10 failed, rate fine", hook.HealthInput{Active: true, AnyAttempt: true, Total24h: 1000, Succeeded24h: 990, RecentFailed: 10}, hook.HealthFailing},
		{"under half", hook.HealthInput{Active: true, AnyAttempt: true, Total24h: 100, Succeeded24h: 49, RecentFailed: 3}, hook.HealthFailing},
		{"half", hook.HealthInput{Active: true, AnyAttempt: true, Total24h: 100, Succeeded24h: 50}, hook.HealthDegraded},
		{"94 %", hook.HealthInput{Active: true, AnyAttempt: true, Total24h: 100, Succeeded24h: 94}, hook.HealthDegraded},
		{"95 %", hook.HealthInput{Active: true, AnyAttempt: true, Total24h: 100, Succeeded24h: 95}, hook.HealthHealthy},
		{"quiet for a day", hook.HealthInput{Active: true, AnyAttempt: true}, hook.HealthHealthy},
		{"quiet, last 10 failed", hook.HealthInput{Active: true, AnyAttempt: true, RecentFailed: 10}, hook.HealthFailing},
	} {
		got, why := hook.HealthOf(c.in)
		if got != c.want || why == "" {
			t.Errorf("%s: HealthOf(%+v) = %s (%q), want %s", c.name, c.in, got, why, c.want)
		}
	}
}
