package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hookboard/hookboard/internal/assembly"
	"github.com/hookboard/hookboard/internal/config"
)

// phase is what one run of the throughput load against n child processes
// on one fresh schema measured.
type phase struct {
	procs                           int
	events, ingestErrs              int64
	delivered, duplicates, recorded int64 // delivered: distinct webhook-ids that arrived
	seconds                         float64
	lat                             []time.Duration
	cpu                             cpuMark    // from the load's start to the last delivery recorded
	db                              dbCounters // PostgreSQL's counters from the load's start to the children's exit
	dbStart                         dbCounters // the counters at the load's start
	children                        []childFigures
	// scaleout-windows: deliveries that arrived while the load was
	// offered, and for how long it was (the window's drain left out).
	arrivedUnderLoad int64
	loadSeconds      float64
}

// childFigures is one child process as the phase saw it.
type childFigures struct {
	pid              int
	ingested         int64 // events the load generator posted to it
	logBytes, maxRSS int64 // its log's size; its largest VmRSS, KiB
}

// scaleOut is the scaleout scenario: the throughput load against one child
// process, then against -procs of them on one schema; with -rounds N,
// both N times, every other round in the other order (one, many; many,
// one; one, many …), so that a machine whose speed drifts over minutes
// shows as rounds that disagree, and a steady drift favours neither phase
// over an even number of rounds. The line is the median round's, with
// every round's figures beside it.
func scaleOut(ctx context.Context, o options) (result, error) {
	var rounds []result
	for i := range max(1, o.rounds) {
		one, many, err := scaleOutPhases(ctx, o, i%2 == 1)
		if err != nil {
			return nil, err
		}
		r := scaleOutResult(o, one, many)
		r["order"] = "one_first"
		if i%2 == 1 {
			r["order"] = "procs_first"
		}
		rounds = append(rounds, r)
	}
	return medianRound(rounds), nil
}

// medianRound is the round with the median ratio, with every round's
// ratio and rates and the duplicates of all of them added, and the ratio
// of the rounds' mean rates (ratio_of_means): where the machine's speed
// moves between a round's two phases, a round's ratio moves with it, and
// the means over rounds in both orders move less.
func medianRound(rounds []result) result {
	if len(rounds) == 1 {
		return rounds[0]
	}
	byRatio := slices.Clone(rounds)
	slices.SortFunc(byRatio, func(a, b result) int { return cmp.Compare(ratioOf(a), ratioOf(b)) })
	res := maps.Clone(byRatio[len(byRatio)/2])
	var ratios, ones, manys, orders []any
	var dups int64
	var oneSum, manySum float64
	for _, r := range rounds {
		ratios, ones, manys, orders = append(ratios, r["ratio"]), append(ones, r["one_per_sec"]), append(manys, r["procs_per_sec"]), append(orders, r["order"])
		d, _ := r["duplicates_procs"].(int64)
		e, _ := r["duplicates_one"].(int64)
		dups += d + e
		o, _ := r["one_per_sec"].(float64)
		m, _ := r["procs_per_sec"].(float64)
		oneSum, manySum = oneSum+o, manySum+m
	}
	res["rounds"], res["ratio_rounds"], res["one_per_sec_rounds"], res["procs_per_sec_rounds"], res["order_rounds"], res["duplicates_all_rounds"] = len(rounds), ratios, ones, manys, orders, dups
	if oneSum > 0 {
		res["ratio_of_means"] = round(manySum / oneSum)
	}
	return res
}

func ratioOf(r result) float64 {
	f, _ := r["ratio"].(float64)
	return f
}

// scaleOutPhases runs the phase with one process and the one with
// -procs, in that order or (manyFirst) the other.
func scaleOutPhases(ctx context.Context, o options, manyFirst bool) (one, many phase, err error) {
	if err := checkProcs(o); err != nil {
		return one, many, err
	}
	runOne := func() (err error) {
		if one, err = runPhase(ctx, o, 1); err != nil {
			return fmt.Errorf("one process: %w", err)
		}
		return nil
	}
	runMany := func() (err error) {
		if many, err = runPhase(ctx, o, o.procs); err != nil {
			return fmt.Errorf("%d processes: %w", o.procs, err)
		}
		return nil
	}
	first, second := runOne, runMany
	if manyFirst {
		first, second = runMany, runOne
	}
	if err := first(); err != nil {
		return one, many, err
	}
	return one, many, second()
}

// checkProcs refuses what the scale-out scenarios cannot run: SQLite, or
// -procs out of range.
func checkProcs(o options) error {
	if o.db != "postgres" {
		return errors.New("needs -db postgres: its processes share one PostgreSQL database (an SQLite file belongs to one process)")
	}
	if o.procs < 1 || o.procs > 16 {
		return fmt.Errorf("-procs must be from 1 to 16, not %d", o.procs)
	}
	return nil
}

func scaleOutResult(o options, one, many phase) result {
	res := result{"procs": o.procs, "one_per_sec": round(one.perSec()), "procs_per_sec": round(many.perSec()),
		"max_child_rss_mb": round(float64(max(one.maxRSS(), many.maxRSS())) / 1024)}
	if one.perSec() > 0 {
		res["ratio"] = round(many.perSec() / one.perSec())
	}
	one.addTo(res, "_one")
	many.addTo(res, "_procs")
	return res
}

func (ph phase) perSec() float64 {
	if ph.seconds == 0 {
		return 0
	}
	return float64(ph.recorded) / ph.seconds
}

func (ph phase) maxRSS() int64 {
	var kb int64
	for _, c := range ph.children {
		kb = max(kb, c.maxRSS)
	}
	return kb
}

// addTo writes the phase's figures into res, each key ending in suffix.
func (ph phase) addTo(res result, suffix string) {
	perDelivery := func(ticks int64) float64 {
		if ph.recorded == 0 {
			return 0
		}
		return round(float64(ticks) * tickMicros / float64(ph.recorded))
	}
	busy := 0.0
	if ph.cpu.total > 0 {
		busy = round(100 * float64(ph.cpu.busy) / float64(ph.cpu.total))
	}
	switchesPer := 0.0
	if ph.recorded > 0 {
		switchesPer = round(float64(ph.cpu.switches) / float64(ph.recorded))
	}
	var perChild []int64
	for _, c := range ph.children {
		perChild = append(perChild, c.ingested)
	}
	for k, v := range map[string]any{
		"events": ph.events, "ingest_errors": ph.ingestErrs, "delivered": ph.delivered, "recorded": ph.recorded,
		"duplicates": ph.duplicates, "seconds": round(ph.seconds), "deliveries_per_sec": round(ph.perSec()),
		"p50_ms": percentile(ph.lat, .5), "p99_ms": percentile(ph.lat, .99),
		"cpu_us_per_delivery": perDelivery(ph.cpu.busy), "children_cpu_us_per_delivery": perDelivery(ph.cpu.children),
		"postgres_cpu_us_per_delivery":   perDelivery(ph.cpu.postgres),
		"children_switches_per_delivery": switchesPer,
		"cpu_busy_percent":               busy, "max_child_rss_mb": round(float64(ph.maxRSS()) / 1024), "events_per_child": perChild,
		"db_per_delivery": ph.db.per(float64(ph.recorded)),
	} {
		res[k+suffix] = v
	}
}

// runPhase makes a fresh schema with the bench's tenant and one webhook to
// a loopback receiver, starts n children on it, offers the throughput load
// spread over them, and stops them and drops the schema, whatever happens.
func runPhase(ctx context.Context, o options, n int) (ph phase, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	dsn, drop, err := freshDatabase(ctx, o)
	if err != nil {
		return ph, err
	}
	defer drop()
	env := childSettings(dsn, o.workers)
	in, err := openShared(ctx, env)
	if err != nil {
		return ph, err
	}
	defer in.Close()
	rc, err := newDupReceiver(ctx)
	if err != nil {
		return ph, err
	}
	if err := addWebhook(ctx, in, "sink", rc.url+"/hook"); err != nil {
		return ph, err
	}
	children, stopAll, err := startChildren(ctx, n, childrenEnv(env))
	defer stopAll()
	if err != nil {
		return ph, err
	}
	for _, c := range children {
		go c.sampleRSS(ctx)
	}
	ph, err = loadPhase(ctx, o, in, rc, children)
	stopAll()
	if err == nil {
		// A busy backend reports its counts at most once a second and an
		// idle one ten seconds later; one that ends reports them as it
		// does. Read once the children's have ended, nothing is missing.
		awaitBackends(ctx, in)
		ph.db = readDBCounters(ctx, in.st).minus(ph.dbStart)
	}
	for _, c := range children {
		ph.children = append(ph.children, childFigures{pid: c.cmd.Process.Pid, ingested: c.ingested.Load(), logBytes: c.logBytes, maxRSS: c.maxRSS.Load()})
	}
	ph.procs = n
	return ph, err
}

// openShared opens and migrates the schema with the configuration the
// children load from env, and adds the bench's admin, API key and event
// type, before any child runs.
func openShared(ctx context.Context, env []string) (*instance, error) {
	cfg, err := config.Load(nil, lookup(env), io.Discard)
	if err != nil {
		return nil, err
	}
	st, err := assembly.OpenStore(ctx, &cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	in := &instance{st: st, cleanup: []func(){func() { st.Close() }}}
	if err := in.addTenant(ctx); err != nil {
		in.Close()
		return nil, err
	}
	return in, nil
}

// startChildren starts n children one after the other (each migrates on
// open, so none races another). stopAll stops them (SIGTERM, SIGKILL
// after 10 s) and removes their logs; it may be called more than once.
func startChildren(ctx context.Context, n int, env []string) (children []*child, stopAll func(), err error) {
	dir, err := os.MkdirTemp("", "hookbench-procs")
	if err != nil {
		return nil, func() {}, err
	}
	stopAll = func() {
		var wg sync.WaitGroup
		for _, c := range children {
			wg.Go(c.stop)
		}
		wg.Wait()
		os.RemoveAll(dir)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, stopAll, err
	}
	for i := range n {
		c, err := startChild(ctx, exe, dir, i, env)
		if err != nil {
			return children, stopAll, err
		}
		children = append(children, c)
	}
	return children, stopAll, nil
}

// loadPhase offers the throughput load, its clients spread evenly over the
// children, and waits until every event was delivered and recorded.
func loadPhase(ctx context.Context, o options, in *instance, rc *dupReceiver, children []*child) (phase, error) {
	var ph phase
	before, err := markCPU(children)
	if err != nil {
		return ph, err
	}
	ph.dbStart = readDBCounters(ctx, in.st)
	begin := time.Now()
	clients := childClients(in, children, o.concurrency)
	l := offerLoad(o.concurrency, begin.Add(o.duration), func(g int) *client { return clients[g%len(children)] },
		func(g int) { children[g%len(children)].ingested.Add(1) })
	sents := l.sents
	ph.events, ph.ingestErrs = l.total.Load(), l.errs.Load()
	if ph.recorded, err = awaitDrain(ctx, in, rc, ph.events); err != nil {
		return ph, err
	}
	ph.seconds = time.Since(begin).Seconds()
	after, err := markCPU(children)
	if err != nil {
		return ph, err
	}
	ph.cpu = after.since(before)
	time.Sleep(time.Second) // a late second delivery would show now
	ph.delivered, ph.duplicates = rc.unique.Load(), rc.dups.Load()
	ph.lat = rc.latencies(sents, "/hook")
	return ph, nil
}

// childClients is one keep-alive client per child, sharing conc
// connections evenly.
func childClients(in *instance, children []*child, conc int) []*client {
	clients := make([]*client, len(children))
	for i, c := range children {
		clients[i] = newClient(&instance{base: c.url, app: in.app, key: in.key}, (conc+len(children)-1)/len(children))
	}
	return clients
}

// awaitDrain waits (at most 5 minutes) until events distinct deliveries
// have arrived and as many succeeded attempts are recorded; it returns how
// many are recorded.
func awaitDrain(ctx context.Context, in *instance, rc *dupReceiver, events int64) (int64, error) {
	limit := time.Now().Add(5 * time.Minute)
	for rc.unique.Load() < events && time.Now().Before(limit) {
		time.Sleep(20 * time.Millisecond)
	}
	for {
		recorded, err := countSucceeded(ctx, in.st)
		if err != nil || recorded >= events || time.Now().After(limit) {
			return recorded, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// childrenApp names the children's PostgreSQL connections
// (application_name), so the bench can tell when they have ended.
const childrenApp = "hookbench-child"

// childrenEnv is env with the children's connections named childrenApp.
func childrenEnv(env []string) []string {
	out := slices.Clone(env)
	for i, kv := range out {
		if dsn, ok := strings.CutPrefix(kv, "DATABASE_URL="); ok {
			if u, err := url.Parse(dsn); err == nil {
				q := u.Query()
				q.Set("application_name", childrenApp)
				u.RawQuery = q.Encode()
				out[i] = "DATABASE_URL=" + u.String()
			}
		}
	}
	return out
}

// awaitBackends waits, up to 5 s, until the stopped children's database
// connections have ended.
func awaitBackends(ctx context.Context, in *instance) {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var n int
		err := in.st.DB().GetContext(ctx, &n, `SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`, childrenApp)
		if err != nil || n == 0 {
			return
		}
	}
}
