package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

// The recovery scenario (issue 16): a webhook whose endpoint was down has
// recoveryItems failed deliveries; recovery jobs resend them at
// recoveryRate per second while the throughput load runs on another
// webhook. It reports the jobs' rate under the load and the other
// webhook's deliveries per second with a job running against the same
// load without one.
//
// The load runs in 2*recoveryWindows+1 windows of o.duration/recoveryWindows
// each (after one more that counts for neither), alone and beside a job in turn (a job is started before its window
// and cancelled after it), and the windows of each kind are averaged.
// Alone first, then beside the job, did not measure the job alone: the
// database grows and this machine's speed drifts over a run, and with no
// job at all a second 30 s load delivered 86-118 % of the first. Windows
// in turn put the two kinds at the same mean time, so a steady drift
// cancels out. -recovery-control runs no job in any window, to see what
// is left of the drift (a ratio of about 100 %). At the end one more job
// resends what the cancelled ones left, and "received" checks that every
// failed delivery was resent exactly once across the jobs.
var (
	recoveryItems   = 100_000
	recoveryRate    = 1000
	recoveryWindows = 3 // windows beside a job; one more alone
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
	r := &recoveryRun{in: in, rc: rc, c: newClient(in, o.concurrency), o: o, webhookID: webhookID,
		length: o.duration / time.Duration(recoveryWindows)}
	// A window first that counts for neither: the first seconds of a
	// fresh program (connections opened, caches filled) are its slowest.
	if _, err := loadFor(ctx, r.c, o.concurrency, rc, r.length, nil); err != nil {
		return nil, err
	}
	for i := range 2*recoveryWindows + 1 {
		if err := r.window(ctx, i%2 == 1, !o.recoveryControl); err != nil {
			return nil, err
		}
	}
	// The rest, to the end: every failed delivery resent once in all. No
	// load runs beside it, so the machine's CPU over it is what its
	// resends cost.
	cpu0, sent0 := readCPU(), rc.pathCount("/recover")
	last, err := r.startJob(ctx, 0, recoveryItems)
	if err != nil {
		return nil, err
	}
	job, err := waitJob(ctx, in, last, 30*time.Minute, func(r hook.Recovery) bool { return !r.Status.Open() }, time.Second)
	if err != nil {
		return nil, err
	}
	res, err := r.result(ctx)
	if err == nil {
		res["last_job"] = lastJobFigures(cpu0, readCPU(), rc.pathCount("/recover")-sent0, job, o.db == "postgres")
	}
	return res, err
}

// lastJobFigures are the last job's: its resends, their rate (from its own
// start and finish), and the machine's CPU per resend (of which this
// process's and PostgreSQL's), the job running alone. Set beside the
// load's CPU per delivery, they tell what share of the machine a job at a
// given rate takes from it. (On SQLite, a PostgreSQL serving others on
// the machine is not the job's: its figure is left out.)
func lastJobFigures(a, b cpuSnap, resent int64, job hook.Recovery, pg bool) result {
	res := result{"resent": resent}
	if job.StartedAt != nil && job.FinishedAt != nil {
		if secs := job.FinishedAt.Sub(*job.StartedAt).Seconds(); secs > 0 {
			res["per_sec"] = round(float64(resent) / secs)
		}
	}
	cpuFigures(a, b, resent, res)
	if !pg {
		delete(res, "postgres_cpu_us_per_delivery")
	}
	for _, k := range []string{"cpu_us_per_delivery", "process_cpu_us_per_delivery", "postgres_cpu_us_per_delivery"} {
		if v, ok := res[k]; ok {
			delete(res, k)
			res[strings.TrimSuffix(k, "_delivery")+"_resend"] = v
		}
	}
	return res
}

// recoveryRun is the recovery scenario's state between its windows.
type recoveryRun struct {
	in        *instance
	rc        *receiver
	c         *client
	o         options
	webhookID string
	length    time.Duration // of a window

	alone, beside []loaded
	resent        int64   // requests to /recover within the windows beside a job
	resentSecs    float64 // and those windows' length
	jobs          []string
	next          int // the outage's first delivery no job covered yet
	endedEarly    int // jobs done before their window ended
}

// window runs the load for one window, alone or beside a job (withJob;
// in a control run, a window in a job's place runs alone too): one started
// before it (the window begins with the job's first request, after its
// start's one-off snapshot of the items), and cancelled after it; the
// next window waits until the job's last requests are over.
func (r *recoveryRun) window(ctx context.Context, beside, withJob bool) error {
	if !beside || !withJob {
		l, err := r.load(ctx, nil)
		if beside { // a control run's window in a job's place
			r.beside = append(r.beside, l)
		} else {
			r.alone = append(r.alone, l)
		}
		return err
	}
	// A slice of the outage half as long again as the window: the job is
	// still sending when the window ends. (Each job's start snapshots its
	// items; over the whole outage, three starts wrote 300,000 items.)
	n := int(float64(recoveryRate) * r.length.Seconds() * 1.5)
	before := r.rc.pathCount("/recover")
	id, err := r.startJob(ctx, r.next, n)
	r.next += n
	if err != nil {
		return err
	}
	// The job's first request arriving, not its first batch recorded: up
	// to five batches go out before one is recorded, and on a starved
	// machine (a CI run beside other work) that was the whole slice, and
	// the window saw no resend.
	if _, err := waitJob(ctx, r.in, id, time.Minute, func(hook.Recovery) bool { return r.rc.pathCount("/recover") > before }, pollJob); err != nil {
		return err
	}
	before = r.rc.pathCount("/recover")
	l, err := r.load(ctx, func() { r.resent += r.rc.pathCount("/recover") - before })
	if err != nil {
		return err
	}
	r.beside, r.resentSecs = append(r.beside, l), r.resentSecs+l.seconds
	if _, err := r.in.st.CancelRecovery(ctx, hook.Actor{Label: "hookbench"}, r.in.app.ID, id); hook.ErrorCode(err) == hook.ECONFLICT {
		r.endedEarly++ // its slice was sent before the window ended
	} else if err != nil {
		return err
	}
	// Its runner stops at its next batch and records what is out.
	_, err = waitJob(ctx, r.in, id, time.Minute, func(j hook.Recovery) bool { return r.settled() }, pollJob)
	return err
}

// load runs the load for a window (loadFor) and, on PostgreSQL, reads the
// database's counters before it and as it ends: what the database did per
// second in the window (commits, pages read into its buffers and found
// there, rows written).
func (r *recoveryRun) load(ctx context.Context, atEnd func()) (loaded, error) {
	var db0, db1 dbCounters
	pg := r.o.db == "postgres"
	if pg {
		db0 = readDBCounters(ctx, r.in.st)
	}
	l, err := loadFor(ctx, r.c, r.o.concurrency, r.rc, r.length, func() {
		if pg {
			db1 = readDBCounters(ctx, r.in.st)
		}
		if atEnd != nil {
			atEnd()
		}
	})
	if pg && l.seconds > 0 {
		l.db = db1.perSec(db0, l.seconds)
	}
	return l, err
}

// dbCounters are PostgreSQL's counters of the database (pg_stat_database),
// as they stood.
type dbCounters struct {
	Commits     int64 `db:"xact_commit"`
	BlocksRead  int64 `db:"blks_read"`
	BlocksHit   int64 `db:"blks_hit"`
	TupInserted int64 `db:"tup_inserted"`
	TupUpdated  int64 `db:"tup_updated"`
}

func readDBCounters(ctx context.Context, st *store.Store) dbCounters {
	var c dbCounters
	// Each read is a transaction of its own, so it sees the counters as
	// they are (a session keeps what it read until its transaction ends).
	_ = st.DB().GetContext(ctx, &c, `SELECT xact_commit, blks_read, blks_hit, tup_inserted, tup_updated
		FROM pg_stat_database WHERE datname = current_database()`)
	return c
}

func (c dbCounters) perSec(from dbCounters, secs float64) map[string]float64 {
	return c.minus(from).per(secs)
}

// minus is what the counters counted since from.
func (c dbCounters) minus(from dbCounters) dbCounters {
	return dbCounters{Commits: c.Commits - from.Commits, BlocksRead: c.BlocksRead - from.BlocksRead, BlocksHit: c.BlocksHit - from.BlocksHit,
		TupInserted: c.TupInserted - from.TupInserted, TupUpdated: c.TupUpdated - from.TupUpdated}
}

// per is each counter divided by n (seconds, deliveries); nil when n is 0.
func (c dbCounters) per(n float64) map[string]float64 {
	if n <= 0 {
		return nil
	}
	return map[string]float64{
		"commits": round(float64(c.Commits) / n), "blocks_read": round(float64(c.BlocksRead) / n),
		"blocks_hit": round(float64(c.BlocksHit) / n), "rows_inserted": round(float64(c.TupInserted) / n),
		"rows_updated": round(float64(c.TupUpdated) / n),
	}
}

// meanDB is the windows' mean of each database counter per second.
func meanDB(ls []loaded) map[string]float64 {
	out := map[string]float64{}
	for _, l := range ls {
		for k, v := range l.db {
			out[k] += v / float64(len(ls))
		}
	}
	for k, v := range out {
		out[k] = round(v)
	}
	return out
}

// settled reports whether no request to /recover arrived for 200 ms.
func (r *recoveryRun) settled() bool {
	n := r.rc.pathCount("/recover")
	time.Sleep(200 * time.Millisecond)
	return r.rc.pathCount("/recover") == n
}

// startJob starts a job over n of the outage's deliveries from number
// from on (those still failed).
func (r *recoveryRun) startJob(ctx context.Context, from, n int) (string, error) {
	sp := hook.RecoverySpec{Kind: hook.RecoverFailed, WebhookID: r.webhookID,
		Since: outageStart.Add(time.Duration(from) * time.Millisecond)}
	if from+n < recoveryItems {
		sp.Until = outageStart.Add(time.Duration(from+n) * time.Millisecond)
	}
	job, err := r.in.st.StartRecovery(ctx, hook.Actor{Label: "hookbench"}, r.in.app.ID, sp, recoveryRate)
	if err != nil {
		return "", err
	}
	r.jobs = append(r.jobs, job.ID)
	return job.ID, nil
}

func (r *recoveryRun) result(ctx context.Context) (result, error) {
	succeeded, failed, skipped := 0, 0, 0
	for _, id := range r.jobs {
		j, err := r.in.st.GetRecovery(ctx, r.in.app.ID, id)
		if err != nil {
			return nil, err
		}
		succeeded, failed, skipped = succeeded+j.Succeeded, failed+j.Failed, skipped+j.Skipped
	}
	alone, beside := meanPerSec(r.alone), meanPerSec(r.beside)
	res := result{
		"items": recoveryItems, "rate": recoveryRate, "jobs": len(r.jobs), "succeeded": succeeded, "failed": failed, "skipped": skipped,
		"received": r.rc.pathCount("/recover"), "window_seconds": round(r.length.Seconds()), "jobs_ended_in_window": r.endedEarly,
		"other_alone_per_sec": round(alone), "other_with_job_per_sec": round(beside), "other_kept_percent": round(100 * beside / alone),
		"alone_windows_per_sec": perSecs(r.alone), "with_job_windows_per_sec": perSecs(r.beside),
		"alone_machine_busy_pct":    meanOf(r.alone, func(l loaded) float64 { return l.busyPct }),
		"with_job_machine_busy_pct": meanOf(r.beside, func(l loaded) float64 { return l.busyPct }),
		"alone_cpu_us_per_delivery": meanOf(r.alone, func(l loaded) float64 { return l.cpuPerDelivery }),
		"alone_process_cores":       meanOf(r.alone, func(l loaded) float64 { return l.processCores }),
		"with_job_process_cores":    meanOf(r.beside, func(l loaded) float64 { return l.processCores }),
	}
	if r.o.db == "postgres" {
		res["alone_postgres_cores"] = meanOf(r.alone, func(l loaded) float64 { return l.postgresCores })
		res["with_job_postgres_cores"] = meanOf(r.beside, func(l loaded) float64 { return l.postgresCores })
		res["alone_db_per_sec"], res["with_job_db_per_sec"] = meanDB(r.alone), meanDB(r.beside)
	}
	if r.o.recoveryControl {
		res["control"] = true
		delete(res, "other_with_job_per_sec")
		delete(res, "with_job_windows_per_sec")
		delete(res, "with_job_machine_busy_pct")
		for _, k := range []string{"process_cores", "postgres_cores", "db_per_sec"} {
			if v, ok := res["with_job_"+k]; ok {
				delete(res, "with_job_"+k)
				res["control_"+k] = v
			}
		}
		res["other_control_per_sec"], res["control_windows_per_sec"] = round(beside), perSecs(r.beside)
		res["other_kept_percent"] = round(100 * beside / alone)
	} else if r.resentSecs > 0 {
		rate := float64(r.resent) / r.resentSecs
		res["recovery_per_sec_under_load"] = round(rate)
		if rate > 0 {
			// What a resend cost the load, in its own deliveries, and the
			// most it may cost for the load to keep 90 % at this rate:
			// alone/10 deliveries a second shared by the resends. The
			// second falls as the machine slows, the first need not.
			res["resend_in_deliveries"] = round((alone - beside) / rate)
			res["resend_in_deliveries_for_90_percent"] = round(alone / 10 / rate)
		}
	}
	return res, nil
}

func meanPerSec(ls []loaded) float64 { return meanOf(ls, func(l loaded) float64 { return l.perSec }) }

func meanOf(ls []loaded, f func(loaded) float64) float64 {
	if len(ls) == 0 {
		return 0
	}
	sum := 0.0
	for _, l := range ls {
		sum += f(l)
	}
	return round(sum / float64(len(ls)))
}

func perSecs(ls []loaded) []float64 {
	out := make([]float64, len(ls))
	for i, l := range ls {
		out[i] = round(l.perSec)
	}
	return out
}

// seedOutage adds a webhook to url for the type outage.test (the load's
// events do not reach it) with n failed deliveries of the last hours,
// stored fast (bulk inserts), and returns its id. The deliveries' ids are
// time-ordered one millisecond apart from outageStart (a job's since and
// until select by id), so a job can cover a slice of them.
func seedOutage(ctx context.Context, in *instance, url string, n int) (string, error) {
	if _, err := in.st.CreateEventType(ctx, hook.Actor{}, in.app.ID, hook.EventTypeInput{Name: "outage.test"}); err != nil {
		return "", err
	}
	wh, _, err := in.st.CreateWebhook(ctx, hook.Actor{}, in.app.ID, hook.WebhookInput{Name: "recovering", URL: url, Events: []string{"outage.test"},
		Active: true, AuthType: hook.AuthNone}, hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true})
	if err != nil {
		return "", err
	}
	start := time.Now().Add(-6 * time.Hour).UTC().Truncate(time.Millisecond)
	outageStart = start
	for lo := 0; lo < n; lo += 20000 {
		if err := seedFailedBatch(ctx, in.st, in.app.ID, wh.ID, lo, min(20000, n-lo), start); err != nil {
			return "", fmt.Errorf("seed failed deliveries: %w", err)
		}
	}
	_, err = in.st.DB().ExecContext(ctx, `ANALYZE`)
	return wh.ID, err
}

// outageStart is when the outage's first delivery was made (its id's
// time), set by seedOutage.
var outageStart time.Time

// outageID is the id of the outage's delivery number i: a UUIDv7 of
// outageStart + i ms.
func outageID(i int) string {
	u := uuid.Must(uuid.NewV7())
	ms := outageStart.Add(time.Duration(i) * time.Millisecond).UnixMilli()
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	return u.String()
}

func seedFailedBatch(ctx context.Context, st *store.Store, appID, webhookID string, from, n int, at time.Time) error {
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
	for i, id := range ids {
		if err := ds.Add(outageID(from+i), appID, webhookID, id, "outage.test", "failed", 8, at, at); err != nil {
			return err
		}
	}
	if err := ds.Close(); err != nil {
		return err
	}
	return tx.Commit()
}

// loaded is what a load period measured: deliveries per second to /hook,
// how busy the machine was meanwhile and its CPU per delivery (from
// /proc/stat), and, for a period beside a recovery job, the job's figures.
type loaded struct {
	perSec         float64
	seconds        float64
	busyPct        float64
	cpuPerDelivery float64
	// cores of CPU the hookbench process (Hookboard, load generator and
	// receiver) and PostgreSQL's processes used on average
	processCores, postgresCores float64
	db                          map[string]float64 // PostgreSQL's counters per second (recovery windows)
}

// loadFor runs the throughput load (events as fast as the API takes them)
// for d and measures the deliveries to /hook meanwhile; then it calls
// atEnd (if set) and waits for the backlog to drain, so the next period
// starts alike.
func loadFor(ctx context.Context, c *client, conc int, rc *receiver, d time.Duration, atEnd func()) (loaded, error) {
	before := rc.pathCount("/hook")
	cpu0 := readCPU()
	begin := cpu0.at
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
	cpu1 := readCPU()
	if atEnd != nil {
		atEnd()
	}
	secs := cpu1.at.Sub(begin).Seconds()
	got := rc.pathCount("/hook") - before
	figs := result{}
	cpuFigures(cpu0, cpu1, got, figs)
	busy, _ := figs["machine_busy_pct"].(float64)
	perDelivery, _ := figs["cpu_us_per_delivery"].(float64)
	drainBy := time.Now().Add(5 * time.Minute)
	for rc.pathCount("/hook")-before < total.Load() {
		if time.Now().After(drainBy) || ctx.Err() != nil {
			return loaded{}, fmt.Errorf("the load's backlog did not drain")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return loaded{perSec: float64(got) / secs, seconds: secs, busyPct: busy, cpuPerDelivery: perDelivery,
		processCores: float64(cpu1.self-cpu0.self) / ticksPerSec / secs, postgresCores: float64(cpu1.postgres-cpu0.postgres) / ticksPerSec / secs}, nil
}

// pollJob is how often waitJob reads the job around a window, where the
// window waits on it.
const pollJob = 20 * time.Millisecond

// waitJob reads the job every poll until done says so, or limit. The last
// job's wait polls once a second: its reads would be counted in its CPU
// per resend (50 a second cost 3 % of the process's time).
func waitJob(ctx context.Context, in *instance, id string, limit time.Duration, done func(hook.Recovery) bool, poll time.Duration) (hook.Recovery, error) {
	deadline := time.Now().Add(limit)
	for {
		r, err := in.st.GetRecovery(ctx, in.app.ID, id)
		if err != nil || done(r) {
			return r, err
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("recovery job not there after %v: %+v", limit, r)
		}
		time.Sleep(poll)
	}
}
