package config

import (
	"fmt"
	"strings"
	"time"
)

// parseRetrySchedule reads HOOKBOARD_RETRY_SCHEDULE, the waits before each
// retry, comma separated (for example 5s,5m,30m): for development and
// tests. Empty: the built-in schedule (nil).
func parseRetrySchedule(v string) ([]time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	parts := strings.Split(v, ",")
	if len(parts) > 20 {
		return nil, fmt.Errorf("at most 20 retries")
	}
	out := make([]time.Duration, len(parts))
	for i, p := range parts {
		d, err := time.ParseDuration(strings.TrimSpace(p))
		if err != nil || d < time.Millisecond || d > 24*time.Hour {
			return nil, fmt.Errorf("%q is not a duration between 1ms and 24h", strings.TrimSpace(p))
		}
		out[i] = d
	}
	return out, nil
}
