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
			for _, f := range []string{"items", "rate", "jobs", "received", "recovery_per_sec_under_load",
				"other_alone_per_sec", "other_with_job_per_sec", "other_kept_percent"} {
				if _, ok := res[f].(float64); !ok {
					t.Errorf("no number %q in %s", f, out.String())
				}
			}
			if res["items"] != float64(600) || res["succeeded"] != float64(600) || res["received"] != float64(600) {
				t.Errorf("not every failed delivery was resent once: %s", out.String())
			}
			if res["jobs"] != float64(recoveryWindows+1) || len(res["alone_windows_per_sec"].([]any)) != recoveryWindows+1 ||
				len(res["with_job_windows_per_sec"].([]any)) != recoveryWindows {
				t.Errorf("not a job in every other window and one to finish: %s", out.String())
			}
			if db == "postgres" {
				for _, f := range []string{"alone_db_per_sec", "with_job_db_per_sec"} {
					if m, ok := res[f].(map[string]any); !ok || m["commits"] == nil || m["blocks_read"] == nil {
						t.Errorf("no database counters %q in %s", f, out.String())
					}
				}
			}
			t.Log(out.String())
		})
	}
}

// -recovery-control runs both instances without a job: the line says so,
// and compares the two loads.
func TestRecoveryControl(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Hookboard under load for several seconds")
	}
	defer func(n int) { recoveryItems = n }(recoveryItems)
	recoveryItems = 600
	o := options{db: "sqlite", duration: time.Second, workers: 32, concurrency: 8, recoveryControl: true}
	var out, errOut bytes.Buffer
	if !runScenarios(o, []string{"recovery"}, &out, &errOut) {
		t.Fatalf("the scenario failed: %s", errOut.String())
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out.String())), &res); err != nil {
		t.Fatalf("not JSON: %s", out.String())
	}
	if res["control"] != true || res["other_with_job_per_sec"] != nil || res["recovery_per_sec_under_load"] != nil {
		t.Errorf("a control run ran a job beside the load, or does not say it is one: %s", out.String())
	}
	if len(res["alone_windows_per_sec"].([]any)) != recoveryWindows+1 || len(res["control_windows_per_sec"].([]any)) != recoveryWindows {
		t.Errorf("not the windows of a run with jobs: %s", out.String())
	}
	if res["received"] != float64(600) {
		t.Errorf("the last job did not resend every failed delivery once: %s", out.String())
	}
	for _, f := range []string{"other_alone_per_sec", "other_control_per_sec", "other_kept_percent", "alone_machine_busy_pct"} {
		if n, ok := res[f].(float64); !ok || n <= 0 {
			t.Errorf("no number %q in %s", f, out.String())
		}
	}
}
