package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

// The recovery scenario (issue 16): a webhook whose endpoint was down has
// recoveryItems failed deliveries; a recovery job resends them at
// recoveryRate per second while the throughput load runs on another
// webhook. It reports the job's achieved rate (under the load, and over
// the whole job) and the other webhook's deliveries per second with the
// job running against the same load without it.
var (
	recoveryItems = 100_000
	recoveryRate  = 1000
)

func recoveryScenario(ctx context.Context, o options) (result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in, err := open(ctx, o, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	rc, err := newReceiver(ctx, "")
	if err != nil {
		return nil, err
	}
	if err := addWebhook(ctx, in, "sink", rc.url+"/hook"); err != nil {
		return nil, err
	}
	webhookID, err := seedOutage(ctx, in, rc.url+"/recover", recoveryItems)
	if err != nil {
		return nil, err
	}
	in.run()
	c := newClient(in, o.concurrency)

	alone, err := loadFor(ctx, c, o.concurrency, rc, o.duration)
	if err != nil {
		return nil, err
	}
	job, err := in.st.StartRecovery(ctx, hook.Actor{Label: "hookbench"}, in.app.ID,
		hook.RecoverySpec{Kind: hook.RecoverFailed, WebhookID: webhookID, Since: time.Now().Add(-24 * time.Hour)}, recoveryRate)
	if err != nil {
		return nil, err
	}
	if _, err := waitJob(ctx, in, job.ID, time.Minute, func(r hook.Recovery) bool { return r.Sent > 0 }); err != nil {
		return nil, err
	}
	before := rc.pathCount("/recover")
	together, err := loadFor(ctx, c, o.concurrency, rc, o.duration)
	if err != nil {
		return nil, err
	}
	duringLoad := float64(rc.pathCount("/recover")-before) / together.seconds
	done, err := waitJob(ctx, in, job.ID, 30*time.Minute, func(r hook.Recovery) bool { return !r.Status.Open() })
	if err != nil {
		return nil, err
	}
	jobSecs := done.FinishedAt.Sub(*done.StartedAt).Seconds()
	return result{
		"items": done.Total, "rate": recoveryRate, "succeeded": done.Succeeded, "failed": done.Failed, "skipped": done.Skipped,
		"received": rc.pathCount("/recover"), "job_seconds": round(jobSecs),
		"recovery_per_sec": round(float64(done.Total) / jobSecs), "recovery_per_sec_under_load": round(duringLoad),
		"other_alone_per_sec": round(alone.perSec), "other_with_job_per_sec": round(together.perSec),
		"other_kept_percent": round(100 * together.perSec / alone.perSec),
	}, nil
}

// seedOutage adds a webhook to url for the type outage.test (the load's
// events do not reach it) with n failed deliveries of the last hours,
// stored fast (bulk inserts), and returns its id.
func seedOutage(ctx context.Context, in *instance, url string, n int) (string, error) {
	if _, err := in.st.CreateEventType(ctx, hook.Actor{}, in.app.ID, hook.EventTypeInput{Name: "outage.test"}); err != nil {
		return "", err
	}
	wh, _, err := in.st.CreateWebhook(ctx, hook.Actor{}, in.app.ID, hook.WebhookInput{Name: "recovering", URL: url, Events: []string{"outage.test"},
		Active: true, AuthType: hook.AuthNone}, hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true})
	if err != nil {
		return "", err
	}
	start := time.Now().Add(-6 * time.Hour).UTC()
	for lo := 0; lo < n; lo += 20000 {
		if err := seedFailedBatch(ctx, in.st, in.app.ID, wh.ID, min(20000, n-lo), start); err != nil {
			return "", fmt.Errorf("seed failed deliveries: %w", err)
		}
	}
	_, err = in.st.DB().ExecContext(ctx, `ANALYZE`)
	return wh.ID, err
}

func seedFailedBatch(ctx context.Context, st *store.Store, appID, webhookID string, n int, at time.Time) error {
	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	evs, err := st.BulkInsert(tx, "events", "id", "app_id", "event_type", "payload", "created_at")
	if err != nil {
		return err
	}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7()).String()
		if err := evs.Add(ids[i], appID, "outage.test", eventPayload, at); err != nil {
			return err
		}
	}
	if err := evs.Close(); err != nil {
		return err
	}
	ds, err := st.BulkInsert(tx, "deliveries", "id", "app_id", "webhook_id", "event_id", "event_type", "status", "attempts", "created_at", "updated_at")
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := ds.Add(uuid.Must(uuid.NewV7()).String(), appID, webhookID, id, "outage.test", "failed", 8, at, at); err != nil {
			return err
		}
	}
	if err := ds.Close(); err != nil {
		return err
	}
	return tx.Commit()
}

// loaded is what a load period measured: deliveries per second to /hook.
type loaded struct {
	perSec  float64
	seconds float64
}

// loadFor runs the throughput load (events as fast as the API takes them)
// for d and measures the deliveries to /hook meanwhile; then it waits for
// the backlog to drain, so the next period starts alike.
func loadFor(ctx context.Context, c *client, conc int, rc *receiver, d time.Duration) (loaded, error) {
	before := rc.pathCount("/hook")
	begin := time.Now()
	deadline := begin.Add(d)
	var total atomic.Int64
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if _, err := c.ingest(); err == nil {
					total.Add(1)
				}
			}
		})
	}
	wg.Wait()
	secs := time.Since(begin).Seconds()
	got := rc.pathCount("/hook") - before
	drainBy := time.Now().Add(5 * time.Minute)
	for rc.pathCount("/hook")-before < total.Load() {
		if time.Now().After(drainBy) || ctx.Err() != nil {
			return loaded{}, fmt.Errorf("the load's backlog did not drain")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return loaded{perSec: float64(got) / secs, seconds: secs}, nil
}

// waitJob polls the job until done says so, or limit.
func waitJob(ctx context.Context, in *instance, id string, limit time.Duration, done func(hook.Recovery) bool) (hook.Recovery, error) {
	deadline := time.Now().Add(limit)
	for {
		r, err := in.st.GetRecovery(ctx, in.app.ID, id)
		if err != nil || done(r) {
			return r, err
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("recovery job not there after %v: %+v", limit, r)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
