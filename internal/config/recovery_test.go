package config

import (
	"errors"
	"fmt"
	"testing"
)

func TestRecoveryRate(t *testing.T) {
	for value, want := range map[string]int{"": 20, "1": 1, "1000": 1000, "50/s": 50, " 7 ": 7, "10000": 10000} {
		var c Config
		parseRecoveryRate(&c, value, func(s, f string, a ...any) { t.Errorf("%q: %s", value, fmt.Sprintf(f, a...)) })
		if c.RecoveryRate != want {
			t.Errorf("%q: %d, want %d", value, c.RecoveryRate, want)
		}
	}
	for _, value := range []string{"0", "-1", "10001", "fast", "2.5"} {
		var errs []error
		var c Config
		parseRecoveryRate(&c, value, func(s, f string, a ...any) { errs = append(errs, errors.New(s)) })
		if len(errs) != 1 || errs[0].Error() != "HOOKBOARD_RECOVERY_RATE" {
			t.Errorf("%q accepted: %v", value, errs)
		}
	}
}
