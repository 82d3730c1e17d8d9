package config

import (
	"io"
	"testing"
)

// TestAllowPrivateTargets: the development switch is off unless
// HOOKBOARD_ALLOW_PRIVATE_TARGETS (or its flag) turns it on.
func TestAllowPrivateTargets(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		args []string
		want bool
	}{
		{nil, nil, false},
		{map[string]string{"HOOKBOARD_ALLOW_PRIVATE_TARGETS": "true"}, nil, true},
		{map[string]string{"HOOKBOARD_ALLOW_PRIVATE_TARGETS": "1"}, nil, true},
		{map[string]string{"HOOKBOARD_ALLOW_PRIVATE_TARGETS": "false"}, nil, false},
		{nil, []string{"-allow-private-targets=true"}, true},
		{map[string]string{"HOOKBOARD_ALLOW_PRIVATE_TARGETS": "true"}, []string{"-allow-private-targets=false"}, false},
	} {
		cfg, err := Load(c.args, func(k string) string { return c.env[k] }, io.Discard)
		if err != nil || cfg.AllowPrivateTargets != c.want {
			t.Errorf("env %v args %v: %v, %v; want %v", c.env, c.args, cfg.AllowPrivateTargets, err, c.want)
		}
	}
}
