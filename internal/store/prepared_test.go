package store_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// One batch of outcomes of every kind: each delivery reads back as it was
// recorded, a retry's time exact to the microsecond whatever its zone, and
// no time where there is none.
func TestRecordOutcomesOfEveryKindInOneBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s)
		jobs := claimFresh(t, s, app.ID, 3)
		east := time.FixedZone("UTC+5:30", 5*3600+1800)
		next := time.Date(2030, 1, 2, 8, 4, 5, 123456000, east)
		recs := succeededRecords(jobs)
		recs[1].Attempt.Succeeded, recs[1].Attempt.ResponseStatus = false, 500
		recs[1].Outcome = hook.Outcome{Status: hook.StatusRetrying, NextAttemptAt: &next}
		recs[2].Attempt.Succeeded, recs[2].Attempt.ResponseStatus = false, 410
		recs[2].Attempt.Trigger = hook.TriggerManual
		recs[2].Outcome = hook.Outcome{Status: hook.StatusFailed}
		if _, err := s.RecordAttempts(ctx, "me", recs); err != nil {
			t.Fatal(err)
		}
		for i, want := range []struct {
			status string
			next   *time.Time
			auto   int
		}{{hook.StatusSucceeded, nil, 1}, {hook.StatusRetrying, &next, 1}, {hook.StatusFailed, nil, 0}} {
			d, err := s.Delivery(ctx, app.ID, jobs[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != want.status || d.Attempts != 1 || d.AutomaticAttempts != want.auto {
				t.Errorf("delivery %d: %s after %d attempts (%d automatic), want %s after 1 (%d)", i, d.Status, d.Attempts, d.AutomaticAttempts, want.status, want.auto)
			}
			if (d.NextAttemptAt == nil) != (want.next == nil) || d.NextAttemptAt != nil && !d.NextAttemptAt.Equal(*want.next) {
				t.Errorf("delivery %d: next attempt %v, want %v", i, d.NextAttemptAt, want.next)
			}
			if d.LastAttemptAt == nil {
				t.Errorf("delivery %d: no last attempt", i)
			}
		}
	})
}

// The subscriber lookup, run for every ingestion batch, stays prepared on
// PostgreSQL and is planned once for good: after a few batches on one
// connection it runs a generic plan, where an unnamed statement is planned
// at every run.
func TestSubscriberLookupIsPlannedOnce(t *testing.T) {
	s, app := onePostgresSession(t)
	recordEach(t, s, app.ID, 2)
	var plans []preparedPlan
	for _, p := range preparedPlans(t, s) {
		if strings.HasPrefix(p.Statement, "SELECT DISTINCT w.id, w.rate_limit, w.ordering FROM webhooks w") {
			plans = append(plans, p)
		}
	}
	if len(plans) != 1 {
		t.Fatalf("the subscriber lookup is prepared %d times on the connection, want once", len(plans))
	}
	if plans[0].Generic == 0 {
		t.Errorf("the subscriber lookup: %d custom plans and no generic one after 8 batches", plans[0].Custom)
	}
}

// recordEach ingests, claims and records n deliveries at a time, eight
// times over, in the store's one session.
func recordEach(t *testing.T, s *store.Store, appID string, n int) {
	t.Helper()
	for range 8 {
		if _, err := s.RecordAttempts(ctx, "me", succeededRecords(claimFresh(t, s, appID, n))); err != nil {
			t.Fatal(err)
		}
	}
}

// preparedPlan is a statement prepared on the session, and how often
// PostgreSQL planned it for a run (custom) or used its kept plan.
type preparedPlan struct {
	Statement string `db:"statement"`
	Generic   int    `db:"generic_plans"`
	Custom    int    `db:"custom_plans"`
}

// preparedPlans lists the statements prepared on the store's one session.
func preparedPlans(t *testing.T, s *store.Store) []preparedPlan {
	t.Helper()
	var plans []preparedPlan
	if err := s.DB().SelectContext(ctx, &plans, `SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements`); err != nil {
		t.Fatal(err)
	}
	return plans
}

// Recording's outcomes keep their plan for the session
// (hookboard_record_outcomes): made on a table of a few rows, as a fresh
// install's is, that plan must still look each delivery up by its key, or
// it would scan the whole table at every batch once the table has grown.
// Counted by PostgreSQL: no sequential scan of deliveries while recording.
func TestRecordingNeverScansDeliveries(t *testing.T) {
	s, app := onePostgresSession(t)
	seqScans := func() int64 { return deliveriesSeqScans(t, s) }
	for i := range 10 {
		jobs := claimFresh(t, s, app.ID, 3)
		before := seqScans()
		if _, err := s.RecordAttempts(ctx, "me", succeededRecords(jobs)); err != nil {
			t.Fatal(err)
		}
		if after := seqScans(); after != before {
			t.Fatalf("batch %d: recording scanned deliveries %d times", i+1, after-before)
		}
	}
}

// Under a light load every batch is a row or two, and each delivery is an
// INSERT of its event, its delivery and its attempt, the call applying
// its outcome and a count for the chart. Those statements stay prepared on
// a connection and, after PostgreSQL's first few custom plans, run a
// generic one: none of them is parsed and planned again for each delivery.
func TestSmallBatchesRunPreparedStatements(t *testing.T) {
	s, app := onePostgresSession(t)
	recordEach(t, s, app.ID, 1)
	plans := preparedPlans(t, s)
	for _, want := range []string{`INSERT INTO "events" `, `INSERT INTO "deliveries" `, `INSERT INTO "attempts" `,
		`INSERT INTO attempt_minutes `, `SELECT id::text FROM hookboard_record_outcomes(`} {
		found := false
		for _, p := range plans {
			if strings.HasPrefix(p.Statement, want) && strings.Count(p.Statement, "), (") == 0 {
				found = true
				if p.Generic == 0 {
					t.Errorf("%s…: %d custom plans and no generic one after 8 batches", want, p.Custom)
				}
			}
		}
		if !found {
			t.Errorf("%s… (one row) is not prepared on the connection", want)
		}
	}
}

// Every PL/pgSQL function of ours is there to plan its statements once per
// session, and each makes its plan right at any size by its SET clauses.
// PostgreSQL keeps a function's plan only when told to (plan_cache_mode):
// left to choose, it planned hookboard_record_outcomes' UPDATE again at
// every batch, its generic plan looking dearer than a batch's custom one.
func TestFunctionsKeepTheirPlans(t *testing.T) {
	s, _ := onePostgresSession(t)
	var funcs []struct {
		Name   string         `db:"proname"`
		Config pq.StringArray `db:"proconfig"`
	}
	if err := s.DB().SelectContext(ctx, &funcs, `SELECT p.proname, COALESCE(p.proconfig, '{}') AS proconfig
		FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
		WHERE l.lanname = 'plpgsql' AND p.proname LIKE 'hookboard\_%' AND p.pronamespace = current_schema()::regnamespace`); err != nil {
		t.Fatal(err)
	}
	if len(funcs) < 5 {
		t.Fatalf("found %d PL/pgSQL functions of ours, want at least 5: %v", len(funcs), funcs)
	}
	for _, f := range funcs {
		if !slices.Contains(f.Config, "plan_cache_mode=force_generic_plan") {
			t.Errorf("%s does not keep its plans: its settings are %v", f.Name, f.Config)
		}
	}
}

// onePostgresSession is a fresh PostgreSQL store on one connection, so that
// every statement runs in one session (its kept plans, its counts), with an
// app and its catch-all webhook. Without PostgreSQL (outside CI) the test
// is skipped.
func onePostgresSession(t *testing.T) (*store.Store, hook.App) {
	t.Helper()
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("needs PostgreSQL (TEST_DATABASE_URL)")
	}
	s := storetest.New(t, store.Postgres, storetest.Options{})
	s.DB().SetMaxOpenConns(1)
	return s, appWithCatchAll(t, s)
}

// claimFresh ingests n events to the app and claims their n deliveries.
func claimFresh(t *testing.T, s *store.Store, appID string, n int) []hook.Job {
	t.Helper()
	ingestN(t, s, appID, n)
	jobs, err := s.ClaimDue(ctx, "me", 10*n, time.Minute, nil)
	if err != nil || len(jobs) != n {
		t.Fatalf("claimed %d deliveries, want %d: %v", len(jobs), n, err)
	}
	return jobs
}

// A FIFO webhook's steps keep their plans too (hookboard_fifo_promote,
// hookboard_fifo_head_live), made on a table of a few rows: each step
// finds the head and the next parked delivery by index, never by scanning
// deliveries.
func TestFIFOStepsNeverScanDeliveries(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("needs PostgreSQL (TEST_DATABASE_URL)")
	}
	s := storetest.New(t, store.Postgres, storetest.Options{})
	s.DB().SetMaxOpenConns(1)
	app := appWithCatchAll(t, s, func(in *hook.WebhookInput) { in.Ordering = hook.OrderingFIFO })
	// Kept plans from the first call on (PostgreSQL makes five custom ones
	// first), made while deliveries holds a few rows.
	if _, err := s.DB().ExecContext(ctx, `SET plan_cache_mode = force_generic_plan`); err != nil {
		t.Fatal(err)
	}
	seqScans := func() int64 { return deliveriesSeqScans(t, s) }
	const steps = 10
	ingestN(t, s, app.ID, steps) // the first is promoted; the others see its head under way
	for i := range steps {
		jobs, err := s.ClaimDue(ctx, "me", 10, time.Minute, nil)
		if err != nil || len(jobs) != 1 {
			t.Fatalf("step %d: claimed %d deliveries, want the one head: %v", i+1, len(jobs), err)
		}
		mid := seqScans()
		if _, err := s.RecordAttempts(ctx, "me", succeededRecords(jobs)); err != nil {
			t.Fatal(err)
		}
		if after := seqScans(); after != mid {
			t.Fatalf("step %d: recording and promoting the next scanned deliveries %d times", i+1, after-mid)
		}
	}
	// Ingestion's look at the head, too.
	more := seqScans()
	ingestN(t, s, app.ID, steps)
	if after := seqScans(); after != more {
		t.Errorf("ingesting to a FIFO webhook with a head under way scanned deliveries %d times", after-more)
	}
}

// deliveriesSeqScans is how many sequential scans of deliveries PostgreSQL
// has counted.
func deliveriesSeqScans(t *testing.T, s *store.Store) int64 {
	t.Helper()
	return flushedCount(t, s, `SELECT COALESCE(seq_scan, 0) FROM pg_stat_user_tables WHERE relid = 'deliveries'::regclass`)
}

// flushedCount reads one of PostgreSQL's counts, this session's flushed
// first.
func flushedCount(t *testing.T, s *store.Store, query string) int64 {
	t.Helper()
	var n int64
	if _, err := s.DB().ExecContext(ctx, `SELECT pg_stat_force_next_flush()`); err != nil {
		t.Fatal(err)
	}
	if err := s.DB().GetContext(ctx, &n, query); err != nil {
		t.Fatal(err)
	}
	return n
}

// The claim keeps its plan for the session (hookboard_claim), made at the
// first claim on an empty table, as a fresh install's is. It must still
// walk deliveries_due in order by a plain index scan: never scan the whole
// table, and never gather the index into a bitmap (migration 0004: a
// bitmap visits every dead entry again at every claim). PostgreSQL counts
// the rows fetched by an index's plain scans in its idx_tup_fetch; a
// bitmap scan leaves that count alone.
func TestClaimKeepsToTheDueIndex(t *testing.T) {
	s, app := onePostgresSession(t)
	if _, err := s.DB().ExecContext(ctx, `SET plan_cache_mode = force_generic_plan`); err != nil {
		t.Fatal(err)
	}
	if jobs, err := s.ClaimDue(ctx, "me", 10, time.Minute, nil); err != nil || len(jobs) != 0 {
		t.Fatalf("an empty queue: claimed %d deliveries: %v", len(jobs), err)
	}
	ingestN(t, s, app.ID, 30)
	for i := range 3 {
		seqBefore, dueBefore := deliveriesSeqScans(t, s), dueIndexFetches(t, s)
		jobs, err := s.ClaimDue(ctx, "me", 10, time.Minute, nil)
		if err != nil || len(jobs) != 10 {
			t.Fatalf("claim %d: claimed %d deliveries, want 10: %v", i+1, len(jobs), err)
		}
		if seq := deliveriesSeqScans(t, s); seq != seqBefore {
			t.Errorf("claim %d scanned deliveries %d times", i+1, seq-seqBefore)
		}
		if fetched := dueIndexFetches(t, s) - dueBefore; fetched < 10 {
			t.Errorf("claim %d fetched %d rows by a plain scan of deliveries_due, want the 10 it claimed", i+1, fetched)
		}
	}
}

// dueIndexFetches is how many rows plain index scans of deliveries_due
// have fetched, as PostgreSQL counts them.
func dueIndexFetches(t *testing.T, s *store.Store) int64 {
	t.Helper()
	return flushedCount(t, s, `SELECT COALESCE(idx_tup_fetch, 0) FROM pg_stat_user_indexes WHERE indexrelid = 'deliveries_due'::regclass`)
}
