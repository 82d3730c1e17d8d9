package config

import (
	"strconv"
	"strings"
)

// Recovery jobs' rate bounds (hook.DefaultRecoveryRate and
// hook.MaxRecoveryRate say the same; config imports no hook).
const (
	defaultRecoveryRate = 20
	maxRecoveryRate     = 10000
)

// parseRecoveryRate reads HOOKBOARD_RECOVERY_RATE: requests per second a
// recovery job sends to each webhook, on top of its normal traffic, 1 to
// 10,000; "20" or "20/s" (the default 20).
func parseRecoveryRate(c *Config, value string, bad badSetting) {
	c.RecoveryRate = defaultRecoveryRate
	if value == "" {
		return
	}
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(value), "/s"))
	if err != nil || n < 1 || n > maxRecoveryRate {
		bad("HOOKBOARD_RECOVERY_RATE", "%q is not a number of requests per second from 1 to 10000 (for example 20)", value)
		return
	}
	c.RecoveryRate = n
}
