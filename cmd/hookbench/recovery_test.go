package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/store/storetest"
)

// The recovery scenario runs, small, on each database: every failed
// delivery is resent and received once, and it prints its fields.
func TestRecoveryScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Hookboard under load for several seconds")
	}
	defer func(n, r int) { recoveryItems, recoveryRate = n, r }(recoveryItems, recoveryRate)
	recoveryItems, recoveryRate = 600, 300
	for _, db := range storetest.Dialects(t) {
		t.Run(db, func(t *testing.T) {
			o := options{db: db, dsn: os.Getenv("TEST_DATABASE_URL"), duration: time.Second, workers: 32, concurrency: 8}
			var out, errOut bytes.Buffer
			if !runScenarios(o, []string{"recovery"}, &out, &errOut) {
				t.Fatalf("the scenario failed: %s", errOut.String())
			}
			var res map[string]any
			if err := json.Unmarshal([]byte(strings.TrimSpace(out.String())), &res); err != nil {
				t.Fatalf("not JSON: %s", out.String())
			}
			for _, f := range []string{"items", "rate", "received", "job_seconds", "recovery_per_sec", "recovery_per_sec_under_load",
				"other_alone_per_sec", "other_with_job_per_sec", "other_kept_percent"} {
				if _, ok := res[f].(float64); !ok {
					t.Errorf("no number %q in %s", f, out.String())
				}
			}
			if res["items"] != float64(600) || res["succeeded"] != float64(600) || res["received"] != float64(600) {
				t.Errorf("not every failed delivery was resent once: %s", out.String())
			}
			t.Log(out.String())
		})
	}
}
