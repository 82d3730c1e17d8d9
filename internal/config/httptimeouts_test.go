package config

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestHTTPTimeouts(t *testing.T) {
	load := func(args []string, env map[string]string) (Config, error) {
		return Load(args, func(k string) string { return env[k] }, io.Discard)
	}
	c, err := load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := HTTPTimeouts{ReadHeader: 10 * time.Second, Read: 60 * time.Second, Write: 120 * time.Second, Idle: 120 * time.Second, Shutdown: 10 * time.Second}
	if c.HTTP != want {
		t.Errorf("defaults %+v, want %+v", c.HTTP, want)
	}

	c, err = load([]string{"-idle-timeout", "30s"}, map[string]string{
		"HOOKBOARD_READ_HEADER_TIMEOUT": "2s", "HOOKBOARD_READ_TIMEOUT": "5s", "HOOKBOARD_WRITE_TIMEOUT": "5s",
		"HOOKBOARD_IDLE_TIMEOUT": "1m", "HOOKBOARD_SHUTDOWN_TIMEOUT": "3s",
	})
	if err != nil {
		t.Fatal(err)
	}
	want = HTTPTimeouts{ReadHeader: 2 * time.Second, Read: 5 * time.Second, Write: 5 * time.Second, Idle: 30 * time.Second, Shutdown: 3 * time.Second}
	if c.HTTP != want {
		t.Errorf("from the environment and a flag: %+v, want %+v", c.HTTP, want)
	}

	for _, tc := range []struct {
		env     map[string]string
		setting string
	}{
		{map[string]string{"HOOKBOARD_READ_HEADER_TIMEOUT": "soon"}, "HOOKBOARD_READ_HEADER_TIMEOUT"},
		{map[string]string{"HOOKBOARD_READ_TIMEOUT": "0s"}, "HOOKBOARD_READ_TIMEOUT"}, // 0 would mean no limit
		{map[string]string{"HOOKBOARD_WRITE_TIMEOUT": "-1s"}, "HOOKBOARD_WRITE_TIMEOUT"},
		{map[string]string{"HOOKBOARD_IDLE_TIMEOUT": "2h"}, "HOOKBOARD_IDLE_TIMEOUT"},
		{map[string]string{"HOOKBOARD_SHUTDOWN_TIMEOUT": "10"}, "HOOKBOARD_SHUTDOWN_TIMEOUT"},
		{map[string]string{"HOOKBOARD_READ_HEADER_TIMEOUT": "90s"}, "HOOKBOARD_READ_HEADER_TIMEOUT: 1m30s is longer than HOOKBOARD_READ_TIMEOUT"},
		{map[string]string{"HOOKBOARD_WRITE_TIMEOUT": "30s"}, "HOOKBOARD_WRITE_TIMEOUT: 30s is shorter than HOOKBOARD_READ_TIMEOUT"},
		{map[string]string{"HOOKBOARD_DELIVERY_TIMEOUT": "3m"}, "HOOKBOARD_WRITE_TIMEOUT: 2m0s is not longer than HOOKBOARD_DELIVERY_TIMEOUT"},
	} {
		if _, err := load(nil, tc.env); err == nil || !strings.Contains(err.Error(), tc.setting) {
			t.Errorf("%v: err = %v, want it to name %s", tc.env, err, tc.setting)
		}
	}
}
