package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/store/storetest"
)

// TestMain lets the test binary be a scaleout child, as hookbench is: the
// scenario re-executes os.Executable(), here the test binary.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(childMain())
	}
	os.Exit(m.Run())
}

// The scaleout scenario runs briefly on PostgreSQL, its two processes
// first (as every other round does): in both phases every event is
// delivered and recorded once, and with two, each of two distinct child
// processes took events and logged.
func TestScaleOutScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Hookboard processes under load for several seconds")
	}
	if !slices.Contains(storetest.Dialects(t), "postgres") {
		t.Skip("TEST_DATABASE_URL is not set: scaleout runs on PostgreSQL only")
	}
	o := options{db: "postgres", dsn: os.Getenv("TEST_DATABASE_URL"), duration: 2 * time.Second, workers: 64, concurrency: 16, procs: 2}
	one, many, err := scaleOutPhases(context.Background(), o, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, ph := range []phase{one, many} {
		if ph.events == 0 || ph.delivered != ph.events || ph.recorded != ph.events || ph.duplicates != 0 {
			t.Errorf("%d process(es): %d events, %d delivered, %d recorded, %d duplicates", ph.procs, ph.events, ph.delivered, ph.recorded, ph.duplicates)
		}
		if len(ph.children) != ph.procs {
			t.Fatalf("%d children for %d processes", len(ph.children), ph.procs)
		}
		pids := map[int]bool{os.Getpid(): true}
		for _, c := range ph.children {
			if pids[c.pid] || c.ingested == 0 || c.logBytes == 0 || c.maxRSS == 0 {
				t.Errorf("%d process(es): child %+v: a PID seen before, or no events, log or RSS", ph.procs, c)
			}
			pids[c.pid] = true
		}
		if ph.cpu.busy <= 0 || ph.cpu.children <= 0 {
			t.Errorf("%d process(es): no CPU time measured: %+v", ph.procs, ph.cpu)
		}
		if ph.db.Commits <= 0 || ph.db.BlocksHit <= 0 || ph.db.TupInserted < 2*ph.events {
			t.Errorf("%d process(es): PostgreSQL's counters not read over the phase (each event inserts at least an event and a delivery): %+v", ph.procs, ph.db)
		}
	}
	line, _ := json.Marshal(scaleOutResult(o, one, many))
	var res map[string]any
	json.Unmarshal(line, &res)
	for _, f := range []string{"procs", "one_per_sec", "procs_per_sec", "ratio", "duplicates_one", "duplicates_procs",
		"cpu_us_per_delivery_one", "cpu_us_per_delivery_procs", "p50_ms_procs", "p99_ms_procs", "max_child_rss_mb"} {
		if _, ok := res[f].(float64); !ok {
			t.Errorf("no number %q in %s", f, line)
		}
	}
	for _, f := range []string{"db_per_delivery_one", "db_per_delivery_procs"} {
		if m, ok := res[f].(map[string]any); !ok || m["commits"] == nil || m["blocks_hit"] == nil {
			t.Errorf("no database counters per delivery %q in %s", f, line)
		}
	}
	t.Log(string(line))
}

// On SQLite the scenario says why it does not run, and starts nothing.
func TestScaleOutNeedsPostgres(t *testing.T) {
	var out, errOut bytes.Buffer
	if runScenarios(options{db: "sqlite", procs: 2}, []string{"scaleout"}, &out, &errOut) || out.Len() != 0 {
		t.Fatalf("scaleout ran on SQLite: %s", out.String())
	}
	if !strings.Contains(errOut.String(), "needs -db postgres") {
		t.Errorf("error = %q, want it to say the scenario needs PostgreSQL", errOut.String())
	}
}

// With -rounds, the line is the median round's, with every round's ratio
// and rates in the order they ran and the duplicates of all of them.
func TestScaleOutRoundsMedian(t *testing.T) {
	rounds := []result{
		{"ratio": 0.8, "one_per_sec": 4000.0, "procs_per_sec": 3200.0, "duplicates_one": int64(0), "duplicates_procs": int64(0), "order": "one_first"},
		{"ratio": 1.1, "one_per_sec": 3000.0, "procs_per_sec": 3300.0, "duplicates_one": int64(0), "duplicates_procs": int64(2), "order": "procs_first"},
		{"ratio": 0.9, "one_per_sec": 3500.0, "procs_per_sec": 3150.0, "duplicates_one": int64(1), "duplicates_procs": int64(0), "order": "one_first"},
	}
	got := medianRound(rounds)
	if got["ratio"] != 0.9 || got["one_per_sec"] != 3500.0 || got["rounds"] != 3 || got["duplicates_all_rounds"] != int64(3) {
		t.Errorf("median round: %v", got)
	}
	// (3200 + 3300 + 3150) / (4000 + 3000 + 3500)
	if got["ratio_of_means"] != 0.92 {
		t.Errorf("ratio of the mean rates %v, want 0.92", got["ratio_of_means"])
	}
	if o := got["order_rounds"].([]any); len(o) != 3 || o[0] != "one_first" || o[1] != "procs_first" {
		t.Errorf("orders %v, want every round's in order", o)
	}
	if r := got["ratio_rounds"].([]any); len(r) != 3 || r[0] != 0.8 || r[1] != 1.1 || r[2] != 0.9 {
		t.Errorf("ratios %v, want every round's in order", r)
	}
	if one := medianRound(rounds[:1]); one["rounds"] != nil || one["ratio"] != 0.8 {
		t.Errorf("one round: %v, want it as it is", one)
	}
}

// scaleout-windows runs briefly on PostgreSQL: both sides take load in
// the order one, procs, procs, one; every event of every window is
// delivered and recorded once; the line has each side's rate and CPU per
// delivery, the ratio, and the block's ratio.
func TestScaleOutWindowsScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Hookboard processes under load for several seconds")
	}
	if !slices.Contains(storetest.Dialects(t), "postgres") {
		t.Skip("TEST_DATABASE_URL is not set: scaleout-windows runs on PostgreSQL only")
	}
	o := options{db: "postgres", dsn: os.Getenv("TEST_DATABASE_URL"), duration: 3 * time.Second, workers: 64, concurrency: 16, procs: 2, rounds: 1}
	res, err := scaleOutWindows(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := json.Marshal(res)
	var got map[string]any
	json.Unmarshal(line, &got)
	if o := fmt.Sprint(got["order_windows"]); o != "[one procs procs one]" {
		t.Errorf("windows in the order %s, want one, procs, procs, one", o)
	}
	for _, side := range []string{"_one", "_procs"} {
		events, _ := got["events"+side].(float64)
		if events == 0 || got["delivered"+side] != events || got["recorded"+side] != events || got["duplicates"+side] != 0.0 {
			t.Errorf("%s: %v events, %v delivered, %v recorded, %v duplicates", side, events, got["delivered"+side], got["recorded"+side], got["duplicates"+side])
		}
		for _, f := range []string{"cpu_us_per_delivery", "children_cpu_us_per_delivery", "deliveries_per_sec", "p99_ms"} {
			if v, ok := got[f+side].(float64); !ok || v <= 0 {
				t.Errorf("no positive %s%s in %s", f, side, line)
			}
		}
		if n := got["events_per_child"+side].([]any); len(n) != map[string]int{"_one": 1, "_procs": 2}[side] || n[0] == 0.0 {
			t.Errorf("%s: events per child %v", side, n)
		}
	}
	for _, f := range []string{"ratio", "ratio_under_load", "one_arrived_per_sec_under_load", "procs_arrived_per_sec_under_load"} {
		if r, ok := got[f].(float64); !ok || r <= 0 {
			t.Errorf("no %s in %s", f, line)
		}
	}
	if b := got["ratio_blocks"].([]any); len(b) != 1 || got["ratio_median_block"] != b[0] {
		t.Errorf("blocks %v, median %v: want the one block's ratio", b, got["ratio_median_block"])
	}
	if w := got["one_per_sec_windows"].([]any); len(w) != 2 {
		t.Errorf("one process's windows %v, want two", w)
	}
	if _, ok := got["db_per_delivery_one"]; ok {
		t.Errorf("the database's counters are both sides' together, yet given per side: %s", line)
	}
	t.Log(string(line))
}

// On SQLite scaleout-windows says why it does not run, and starts nothing.
func TestScaleOutWindowsNeedsPostgres(t *testing.T) {
	var out, errOut bytes.Buffer
	if runScenarios(options{db: "sqlite", procs: 2}, []string{"scaleout-windows"}, &out, &errOut) || out.Len() != 0 {
		t.Fatalf("scaleout-windows ran on SQLite: %s", out.String())
	}
	if !strings.Contains(errOut.String(), "needs -db postgres") {
		t.Errorf("error = %q, want it to say the scenario needs PostgreSQL", errOut.String())
	}
}
