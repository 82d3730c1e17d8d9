package main

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/store"
)

// The recovery kill -9 tests: a job over 2,000 failed deliveries, its
// process killed mid-way, another process finishing it. Every delivery
// reaches the receiver at most once from the job; every one the job
// recorded as sent arrived exactly once; the only ones that may not have
// arrived are those the job marked interrupted (requests under way at the
// kill), of which at most one batch never arrived; the job's counts add
// up.

const (
	recoveryCrashItems = 2000
	recoveryCrashRate  = 400 // per second: the job takes about 5 s
)

// seedFailed stores n failed deliveries to the webhook at path (one
// attempt each, retries used up) and starts a recovery job over them.
func (e *crashEnv) seedFailed(n int, path string) (webhookID, jobID string) {
	e.t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, e.dsn, store.Options{Box: e.box})
	if err != nil {
		e.t.Fatal(err)
	}
	defer st.Close()
	if err := st.DB().Get(&webhookID, st.DB().Rebind(`SELECT id FROM webhooks WHERE url = ?`), e.rc.URL+path); err != nil {
		e.t.Fatal(err)
	}
	start := time.Now().Add(-time.Hour).UTC()
	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer tx.Rollback()
	evs, err := st.BulkInsert(tx, "events", "id", "app_id", "event_type", "payload", "created_at")
	if err != nil {
		e.t.Fatal(err)
	}
	ids := make([]string, n)
	for i := range n {
		ids[i] = uuid.Must(uuid.NewV7()).String()
		if err := evs.Add(ids[i], e.app.ID, "invoice.paid", []byte(`{"n":1}`), start); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := evs.Close(); err != nil {
		e.t.Fatal(err)
	}
	ds, err := st.BulkInsert(tx, "deliveries", "id", "app_id", "webhook_id", "event_id", "event_type", "status", "attempts", "created_at", "updated_at")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, id := range ids {
		if err := ds.Add(uuid.Must(uuid.NewV7()).String(), e.app.ID, webhookID, id, "invoice.paid", "failed", 1, start, start); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := ds.Close(); err != nil {
		e.t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		e.t.Fatal(err)
	}
	job, err := st.StartRecovery(ctx, hook.Actor{Label: "crash test"}, e.app.ID,
		hook.RecoverySpec{Kind: hook.RecoverFailed, WebhookID: webhookID, Since: start.Add(-time.Minute)}, recoveryCrashRate)
	if err != nil || job.Total != n {
		e.t.Fatalf("start recovery: %+v, %v", job, err)
	}
	return webhookID, job.ID
}

// waitArrivals waits until the receiver got at least n requests.
func (e *crashEnv) waitArrivals(n int, limit time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if _, total := e.rc.snapshot(); total >= n {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("fewer than %d requests arrived within %v", n, limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkRecovery waits for the job to end and checks what arrived against
// what the job recorded.
func (e *crashEnv) checkRecovery(jobID, path string, limit time.Duration) {
	e.t.Helper()
	st, err := store.Open(context.Background(), e.dsn, store.Options{Box: e.box})
	if err != nil {
		e.t.Fatal(err)
	}
	defer st.Close()
	deadline := time.Now().Add(limit)
	var job hook.Recovery
	for {
		if job, err = st.GetRecovery(context.Background(), e.app.ID, jobID); err != nil {
			e.t.Fatal(err)
		}
		if job.Status != hook.RecoveryRunning && job.Status != hook.RecoveryQueued {
			break
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("job not done within %v: %+v", limit, job)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var items []struct {
		EventID string `db:"event_id"`
		State   string `db:"state"`
	}
	if err := st.DB().Select(&items, st.DB().Rebind(`SELECT event_id, state FROM recovery_items WHERE recovery_id = ?`), jobID); err != nil {
		e.t.Fatal(err)
	}
	arrived, _ := e.rc.snapshot()
	states := map[string]int{}
	notArrived := 0
	for _, it := range items {
		states[it.State]++
		n := len(arrived[it.EventID+path])
		switch {
		case n > 1:
			e.t.Errorf("delivery of event %s arrived %d times", it.EventID, n)
		case it.State == "interrupted":
			if n == 0 {
				notArrived++
			}
		case n == 0:
			e.t.Errorf("delivery of event %s (%s) never arrived", it.EventID, it.State)
		}
	}
	e.t.Logf("job %s: %d items: %d succeeded, %d failed (%d interrupted, of which %d never arrived), %d skipped; states %v",
		job.Status, job.Total, job.Succeeded, job.Failed, job.Interrupted, notArrived, job.Skipped, states)
	if job.Status != hook.RecoveryDone || job.Total != recoveryCrashItems || job.Total != job.Succeeded+job.Failed+job.Skipped {
		e.t.Errorf("job counts do not add up: %+v", job)
	}
	if job.Interrupted != states["interrupted"] || job.Succeeded != states["succeeded"] {
		e.t.Errorf("job counts %+v differ from its items %v", job, states)
	}
	if bound := sender.InFlightBound(recoveryCrashRate); job.Interrupted > bound {
		e.t.Errorf("%d items in doubt, more than the in-flight bound %d", job.Interrupted, bound)
	}
	// Items are marked in flight just before their requests start, all at
	// once: only the batch taken last (its requests had not reached the
	// receiver yet; the one before started a batch interval, 100 ms,
	// earlier) can be in doubt without having arrived. A batch is 100 ms
	// of the rate, up to four times that when catching up.
	if bound := sender.RecoveryMaxBatch(recoveryCrashRate); notArrived > bound {
		e.t.Errorf("%d items interrupted that never arrived, more than a take (%d)", notArrived, bound)
	}
	if job.Interrupted == 0 {
		e.t.Log("no item was in flight at the kill this time")
	}
}

// TestKill9RecoverySQLite kills the process running a recovery job on
// SQLite mid-way and starts another, which resumes the job at once.
func TestKill9RecoverySQLite(t *testing.T) {
	crashTest(t)
	e := newCrashEnv(t, store.SQLite)
	_, jobID := e.seedFailed(recoveryCrashItems, "/a")
	a := e.start()
	e.waitArrivals(recoveryCrashItems/3, 20*time.Second)
	a.kill9()
	b := e.start()
	e.checkRecovery(jobID, "/a", 30*time.Second)
	b.stop(t)
}

// TestKill9RecoveryPostgres runs two processes on PostgreSQL and kills the
// one running the job: the other takes it over within a second or so.
func TestKill9RecoveryPostgres(t *testing.T) {
	crashTest(t)
	if os.Getenv("TEST_DATABASE_URL") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but TEST_DATABASE_URL is not set")
		}
		t.Skip("TEST_DATABASE_URL not set")
	}
	e := newCrashEnv(t, store.Postgres)
	_, jobID := e.seedFailed(recoveryCrashItems, "/a")
	a := e.start()
	e.waitArrivals(200, 20*time.Second)
	b := e.start() // a runs the job: b may not take it while a lives
	e.waitArrivals(recoveryCrashItems/3, 20*time.Second)
	a.kill9()
	killed := time.Now()
	e.checkRecovery(jobID, "/a", 30*time.Second)
	t.Logf("finished %v after the kill", time.Since(killed).Round(time.Millisecond))
	b.stop(t)
}
