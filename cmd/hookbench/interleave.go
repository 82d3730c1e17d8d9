package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// The scaleout scenario runs its two phases a minute apart, and on a
// machine whose speed moves by a quarter between minutes a round's ratio
// moves with it (BENCHMARKS.md, "Eleventh pass"): rounds of one build ran
// from 0.78 to 1.10 within six minutes. scaleout-windows keeps both
// configurations running side by side, one process on one fresh schema
// and -procs processes on another, and offers the load to one of them at
// a time in short windows, in the order one, procs, procs, one (ABBA),
// -rounds times: a drift over minutes falls on both alike, and each block
// of four windows gives its own ratio.
//
// The configuration not under load idles beside the other: its children
// poll, beat and look for dead leases, a few statements a second. The
// procs side idles with more processes than the one side does, so what
// idling costs falls a little more on the one-process windows.

// warmup is the most unmeasured load each configuration gets before the
// first window (at most one window's): connections opened, statements
// prepared, caches filled.
const warmup = 3 * time.Second

// side is one configuration of scaleout-windows: n children on their own
// schema and receiver, kept running across its windows.
type side struct {
	n        int
	in       *instance
	rc       *dupReceiver
	children []*child
	clients  []*client
	webhook  string
	offered  int64 // events taken in every window so far, warm-up included
	windows  []phase
	// idle is the CPU time the other side's children took during each of
	// this side's windows, idling.
	idle  []int64
	other *side
	close func()
}

func scaleOutWindows(ctx context.Context, o options) (result, error) {
	if err := checkProcs(o); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	one, err := newSide(ctx, o, 1)
	if err != nil {
		return nil, fmt.Errorf("one process: %w", err)
	}
	defer one.close()
	many, err := newSide(ctx, o, o.procs)
	if err != nil {
		return nil, fmt.Errorf("%d processes: %w", o.procs, err)
	}
	defer many.close()
	window := windowOf(o)
	one.other, many.other = many, one
	for _, s := range []*side{one, many} {
		if _, err := s.window(ctx, o, min(warmup, window)); err != nil {
			return nil, err
		}
		for _, c := range s.children {
			c.ingested.Store(0) // the line counts the windows' events
		}
	}
	var order []string
	for range max(1, o.rounds) {
		for _, s := range []*side{one, many, many, one} {
			idleBefore, err := markCPU(s.other.children)
			if err != nil {
				return nil, err
			}
			ph, err := s.window(ctx, o, window)
			if err != nil {
				return nil, err
			}
			idleAfter, err := markCPU(s.other.children)
			if err != nil {
				return nil, err
			}
			s.windows, s.idle = append(s.windows, ph), append(s.idle, idleAfter.children-idleBefore.children)
			name := "procs"
			if s == one {
				name = "one"
			}
			order = append(order, name)
		}
	}
	return windowsResult(o, one, many, order), nil
}

// windowOf is how long each window of scaleout-windows lasts: a third of
// -duration, as the recovery scenario's, at least a second.
func windowOf(o options) time.Duration { return max(time.Second, o.duration/3) }

// newSide makes a fresh schema with the bench's tenant and one webhook to
// its own receiver, and starts n children on it.
func newSide(ctx context.Context, o options, n int) (s *side, err error) {
	s = &side{n: n, close: func() {}}
	dsn, drop, err := freshDatabase(ctx, o)
	if err != nil {
		return nil, err
	}
	var closers []func()
	s.close = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	closers = append(closers, drop)
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	env := childSettings(dsn, o.workers)
	if s.in, err = openShared(ctx, env); err != nil {
		return nil, err
	}
	closers = append(closers, s.in.Close)
	if s.rc, err = newDupReceiver(ctx); err != nil {
		return nil, err
	}
	if err = addWebhook(ctx, s.in, "sink", s.rc.url+"/hook"); err != nil {
		return nil, err
	}
	if err = s.in.st.DB().GetContext(ctx, &s.webhook, `SELECT id::text FROM webhooks`); err != nil {
		return nil, err
	}
	children, stopAll, err := startChildren(ctx, n, childrenEnv(env))
	closers = append(closers, stopAll)
	if err != nil {
		return nil, err
	}
	s.children = children
	for _, c := range children {
		go c.sampleRSS(ctx)
	}
	s.clients = childClients(s.in, children, o.concurrency)
	return s, nil
}

// window offers the throughput load to this side for d and waits until
// every event it took was delivered and recorded: the window's time runs
// until the last was recorded, as the throughput scenario's does.
func (s *side) window(ctx context.Context, o options, d time.Duration) (phase, error) {
	ph := phase{procs: s.n}
	before, err := markCPU(s.children)
	if err != nil {
		return ph, err
	}
	arrivedBefore := s.rc.unique.Load()
	begin := time.Now()
	l := offerLoad(o.concurrency, begin.Add(d), func(g int) *client { return s.clients[g%len(s.clients)] },
		func(g int) { s.children[g%len(s.children)].ingested.Add(1) })
	ph.arrivedUnderLoad, ph.loadSeconds = s.rc.unique.Load()-arrivedBefore, time.Since(begin).Seconds()
	ph.events, ph.ingestErrs = l.total.Load(), l.errs.Load()
	s.offered += ph.events
	dupsBefore := s.rc.dups.Load()
	limit := time.Now().Add(5 * time.Minute)
	for s.rc.unique.Load() < s.offered && time.Now().Before(limit) {
		time.Sleep(10 * time.Millisecond)
	}
	for {
		// Attempts of this side's webhook made since the window began: a
		// range of its index, not the whole table.
		err := s.in.st.DB().GetContext(ctx, &ph.recorded,
			`SELECT COUNT(*) FROM attempts WHERE webhook_id = $1 AND created_at >= $2 AND succeeded`, s.webhook, begin)
		if err != nil {
			return ph, err
		}
		if ph.recorded >= ph.events || time.Now().After(limit) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	ph.seconds = time.Since(begin).Seconds()
	after, err := markCPU(s.children)
	if err != nil {
		return ph, err
	}
	ph.cpu = after.since(before)
	ph.delivered = ph.events - (s.offered - s.rc.unique.Load())
	ph.duplicates = s.rc.dups.Load() - dupsBefore
	ph.lat = s.rc.latencies(l.sents, "/hook")
	if ph.recorded < ph.events {
		return ph, fmt.Errorf("%d process(es): %d of %d events recorded after 5 minutes", s.n, ph.recorded, ph.events)
	}
	return ph, nil
}

// windowsResult sums each side's windows (deliveries over seconds, CPU per
// delivery over them all) and gives each ABBA block's ratio beside the
// ratio of the sums.
func windowsResult(o options, one, many *side, order []string) result {
	res := result{"procs": o.procs, "design": "interleaved", "window_seconds": windowOf(o).Seconds(), "order_windows": order}
	sumOne, sumMany := one.sum(one.windows), many.sum(many.windows)
	sumOne.addTo(res, "_one")
	sumMany.addTo(res, "_procs")
	// PostgreSQL's counters are the database's, both schemas' together.
	delete(res, "db_per_delivery_one")
	delete(res, "db_per_delivery_procs")
	res["one_per_sec"], res["procs_per_sec"] = round(sumOne.perSec()), round(sumMany.perSec())
	if sumOne.perSec() > 0 {
		res["ratio"] = round(sumMany.perSec() / sumOne.perSec())
	}
	// The same without each window's drain: what arrived while the load
	// ran. A side that falls behind the load (a backlog of due deliveries
	// at the window's end) finishes later, and over a short window its
	// drain weighs more than over the throughput scenario's 30 s.
	underLoad := func(ph phase) float64 {
		if ph.loadSeconds == 0 {
			return 0
		}
		return float64(ph.arrivedUnderLoad) / ph.loadSeconds
	}
	res["one_arrived_per_sec_under_load"], res["procs_arrived_per_sec_under_load"] = round(underLoad(sumOne)), round(underLoad(sumMany))
	if underLoad(sumOne) > 0 {
		res["ratio_under_load"] = round(underLoad(sumMany) / underLoad(sumOne))
	}
	var blocks []float64
	for i := 0; i+1 < len(one.windows) && i+1 < len(many.windows); i += 2 {
		a, b := one.sum(one.windows[i:i+2]), many.sum(many.windows[i:i+2])
		if a.perSec() > 0 {
			blocks = append(blocks, round(b.perSec()/a.perSec()))
		}
	}
	res["ratio_blocks"] = blocks
	if len(blocks) > 0 {
		sorted := slices.Clone(blocks)
		slices.Sort(sorted)
		res["ratio_median_block"] = sorted[len(sorted)/2]
	}
	rates := func(ws []phase) []float64 {
		var out []float64
		for _, w := range ws {
			out = append(out, round(w.perSec()))
		}
		return out
	}
	res["one_per_sec_windows"], res["procs_per_sec_windows"] = rates(one.windows), rates(many.windows)
	res["max_child_rss_mb"] = round(float64(max(sumOne.maxRSS(), sumMany.maxRSS())) / 1024)
	// What the idle side cost, as a share of the machine during the other's
	// windows: the procs side idles beside the one-process windows.
	idlePct := func(s *side, sum phase) float64 {
		var t int64
		for _, v := range s.idle {
			t += v
		}
		if sum.cpu.total == 0 {
			return 0
		}
		return round(100 * float64(t) / float64(sum.cpu.total))
	}
	res["idle_other_cpu_percent_one"], res["idle_other_cpu_percent_procs"] = idlePct(one, sumOne), idlePct(many, sumMany)
	return res
}

// sum is the side's windows ws as one phase: their events, deliveries and
// seconds added, their CPU added, their latencies together, and the
// side's children as they are now.
func (s *side) sum(ws []phase) phase {
	sum := phase{procs: s.n}
	for _, c := range s.children {
		sum.children = append(sum.children, childFigures{pid: c.cmd.Process.Pid, ingested: c.ingested.Load(), maxRSS: c.maxRSS.Load()})
	}
	for _, w := range ws {
		sum.events += w.events
		sum.ingestErrs += w.ingestErrs
		sum.delivered += w.delivered
		sum.duplicates += w.duplicates
		sum.recorded += w.recorded
		sum.seconds += w.seconds
		sum.arrivedUnderLoad += w.arrivedUnderLoad
		sum.loadSeconds += w.loadSeconds
		sum.cpu.busy += w.cpu.busy
		sum.cpu.total += w.cpu.total
		sum.cpu.children += w.cpu.children
		sum.cpu.postgres += w.cpu.postgres
		sum.cpu.switches += w.cpu.switches
		sum.lat = append(sum.lat, w.lat...)
	}
	return sum
}
