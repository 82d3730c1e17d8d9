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
			res, out := runRecovery(t, options{db: db, dsn: os.Getenv("TEST_DATABASE_URL"), duration: time.Second, workers: 32, concurrency: 8})
			for _, f := range []string{"items", "rate", "jobs", "received", "recovery_per_sec_under_load",
				"other_alone_per_sec", "other_with_job_per_sec", "other_kept_percent", "resend_in_deliveries", "resend_in_deliveries_for_90_percent"} {
				if _, ok := res[f].(float64); !ok {
					t.Errorf("no number %q in %s", f, out)
				}
			}
			if res["items"] != float64(600) || res["succeeded"] != float64(600) || res["received"] != float64(600) {
				t.Errorf("not every failed delivery was resent once: %s", out)
			}
			if res["jobs"] != float64(recoveryWindows+1) || windows(res, "alone_windows_per_sec") != recoveryWindows+1 ||
				windows(res, "with_job_windows_per_sec") != recoveryWindows {
				t.Errorf("not a job in every other window and one to finish: %s", out)
			}
			last, _ := res["last_job"].(map[string]any)
			if n, _ := last["resent"].(float64); n <= 0 || n > 600 {
				t.Errorf("the last job's resends are not counted: %s", out)
			}
			for _, f := range []string{"per_sec", "cpu_us_per_resend", "process_cpu_us_per_resend", "machine_busy_pct"} {
				if n, ok := last[f].(float64); !ok || n <= 0 {
					t.Errorf("no number %q for the last job in %s", f, out)
				}
			}
			if _, ok := last["postgres_cpu_us_per_resend"].(float64); ok != (db == "postgres") {
				t.Errorf("PostgreSQL's CPU per resend is there on PostgreSQL only: %s", out)
			}
			if db == "postgres" {
				for _, f := range []string{"alone_db_per_sec", "with_job_db_per_sec"} {
					if m, ok := res[f].(map[string]any); !ok || m["commits"] == nil || m["blocks_read"] == nil {
						t.Errorf("no database counters %q in %s", f, out)
					}
				}
			}
			t.Log(out)
		})
	}
}

// runRecovery runs the recovery scenario with o and returns its line,
// parsed and as printed.
func runRecovery(t *testing.T, o options) (map[string]any, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	if !runScenarios(o, []string{"recovery"}, &out, &errOut) {
		t.Fatalf("the scenario failed: %s", errOut.String())
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out.String())), &res); err != nil {
		t.Fatalf("not JSON: %s", out.String())
	}
	return res, out.String()
}

// windows is how many windows' figures the line lists under key.
func windows(res map[string]any, key string) int {
	l, ok := res[key].([]any)
	if !ok {
		return -1
	}
	return len(l)
}

// -recovery-control runs no job in any window: the line says so and
// compares the windows in a job's place with the others; a last job still
// resends every failed delivery once.
func TestRecoveryControl(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Hookboard under load for several seconds")
	}
	defer func(n int) { recoveryItems = n }(recoveryItems)
	recoveryItems = 600
	res, out := runRecovery(t, options{db: "sqlite", duration: time.Second, workers: 32, concurrency: 8, recoveryControl: true})
	if res["control"] != true || res["other_with_job_per_sec"] != nil || res["recovery_per_sec_under_load"] != nil {
		t.Errorf("a control run ran a job beside the load, or does not say it is one: %s", out)
	}
	if windows(res, "alone_windows_per_sec") != recoveryWindows+1 || windows(res, "control_windows_per_sec") != recoveryWindows {
		t.Errorf("not the windows of a run with jobs: %s", out)
	}
	if res["received"] != float64(600) {
		t.Errorf("the last job did not resend every failed delivery once: %s", out)
	}
	for _, f := range []string{"other_alone_per_sec", "other_control_per_sec", "other_kept_percent", "alone_machine_busy_pct"} {
		if n, ok := res[f].(float64); !ok || n <= 0 {
			t.Errorf("no number %q in %s", f, out)
		}
	}
}
