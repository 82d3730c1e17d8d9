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

// Every scenario runs, briefly, on each database and prints the fields the
// spec and BENCHMARKS.md read; the deliveries it counts all arrive.
func TestScenariosPrintTheirFields(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Hookboard under load for several seconds")
	}
	want := map[string][]string{
		"throughput": {"events", "delivered", "recorded", "seconds", "deliveries_per_sec", "ingest_per_sec", "p50_ms", "p99_ms",
			"cpu_us_per_delivery", "process_cpu_us_per_delivery", "machine_busy_pct"},
		"latency":  {"events", "offered", "delivered", "rate", "p50_ms", "p99_ms", "max_ms", "cpu_us_per_delivery", "machine_busy_pct"},
		"fanout":   {"webhooks", "delivered", "p50_ms", "max_ms"},
		"slow":     {"baseline_per_sec", "with_slow_per_sec", "kept_percent"},
		"policies": {"plain_alone_per_sec", "plain_beside_per_sec", "kept_percent", "limited_per_sec", "fifo_per_sec", "deferred_by_limit", "busy_percent_alone", "busy_percent_beside", "cpu_us_per_delivery_alone", "cpu_us_per_delivery_beside"},
		"dashboard": {"deliveries", "all_events_p95_ms", "filtered_p95_ms", "older_page_p95_ms", "delivery_detail_p95_ms", "p95_ms",
			"webhook_events_p95_ms", "event_page_p95_ms", "search_event_p95_ms", "search_delivery_p95_ms", "search_key_p95_ms",
			"app_home_p95_ms", "webhook_list_p95_ms", "webhook_page_p95_ms", "recover_count_p95_ms", "bulk_resend_p95_ms", "settings_p95_ms"},
	}
	order := []string{"throughput", "latency", "fanout", "slow", "policies", "dashboard"}
	for _, db := range storetest.Dialects(t) {
		t.Run(db, func(t *testing.T) {
			o := options{db: db, dsn: os.Getenv("TEST_DATABASE_URL"), duration: time.Second, rate: 100, seed: 3000, workers: 32, concurrency: 8}
			var out, errOut bytes.Buffer
			if !runScenarios(o, order, &out, &errOut) {
				t.Fatalf("a scenario failed: %s", errOut.String())
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			if len(lines) != len(order) {
				t.Fatalf("%d lines for %d scenarios:\n%s", len(lines), len(order), out.String())
			}
			for i, line := range lines {
				var res map[string]any
				if err := json.Unmarshal([]byte(line), &res); err != nil {
					t.Fatalf("not JSON: %s", line)
				}
				name := order[i]
				if res["scenario"] != name || res["db"] != db {
					t.Errorf("line %d names %v on %v, want %s on %s", i, res["scenario"], res["db"], name, db)
				}
				for _, f := range append(want[name], "max_rss_mb") {
					if _, ok := res[f].(float64); !ok {
						t.Errorf("%s: no number %q in %s", name, f, line)
					}
				}
				switch name {
				case "throughput":
					if res["events"].(float64) == 0 || res["delivered"] != res["events"] || res["recorded"] != res["events"] {
						t.Errorf("throughput: events, delivered and recorded differ: %s", line)
					}
				case "fanout":
					if res["delivered"].(float64) != 100*20 {
						t.Errorf("fanout: %v of 2000 delivered", res["delivered"])
					}
				case "dashboard":
					if res["deliveries"].(float64) != float64(o.seed) {
						t.Errorf("dashboard: %v deliveries seeded, want %d", res["deliveries"], o.seed)
					}
				}
			}
		})
	}
}
