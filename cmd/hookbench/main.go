// Command hookbench measures Hookboard on this machine: it starts Hookboard
// in-process on the chosen database, a loopback receiver, and a load
// generator that ingests through the JSON API, and prints one JSON line per
// scenario.
//
//	go run ./cmd/hookbench -db sqlite -scenario all
//	go run ./cmd/hookbench -db postgres -dsn postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookboard/hookboard/internal/assembly"
	"github.com/hookboard/hookboard/internal/config"
	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/logbuf"
	"github.com/hookboard/hookboard/internal/secretbox"
	"github.com/hookboard/hookboard/internal/store"
)

type options struct {
	db          string
	dsn         string
	scenario    string
	duration    time.Duration
	rate        int
	seed        int
	workers     int
	concurrency int
	procs       int // Hookboard processes in the scaleout scenario's second phase
	rounds      int // scaleout: one and -procs processes in turn, this many times
	// recovery: no job in any window (a control run)
	recoveryControl bool
}

func main() {
	if os.Getenv(childEnv) == "1" { // a scaleout child (procs.go)
		os.Exit(childMain())
	}
	var o options
	flag.StringVar(&o.db, "db", "sqlite", "sqlite or postgres")
	flag.StringVar(&o.dsn, "dsn", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL URL (with -db postgres); a schema is created in it and dropped afterwards")
	flag.StringVar(&o.scenario, "scenario", "all", "all, or one or more (comma-separated) of throughput, latency, fanout, slow, policies, dashboard; drain and ingest measure the sender and the API alone; recovery (minutes) a recovery job beside the throughput load; scaleout (postgres) the throughput load on one Hookboard process, then on -procs of them; scaleout-windows (postgres) both side by side, the load in turn in windows of -duration/3")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "how long load is offered (throughput, latency, slow)")
	flag.IntVar(&o.rate, "rate", 500, "events per second offered in the latency scenario")
	flag.IntVar(&o.seed, "seed", 1_000_000, "deliveries stored for the dashboard scenario")
	flag.IntVar(&o.workers, "workers", 256, "sender workers (HOOKBOARD_WORKERS)")
	flag.IntVar(&o.concurrency, "concurrency", 128, "concurrent API clients in the load generator")
	flag.IntVar(&o.procs, "procs", 2, "Hookboard processes sharing the database in the scaleout scenario's second phase")
	flag.IntVar(&o.rounds, "rounds", 1, "scaleout: run one process and -procs this many times, every other round in the other order (an even number cancels a steady drift), and report the round with the median ratio beside every round's and the ratio of their mean rates; scaleout-windows: this many blocks of four windows (one, procs, procs, one)")
	flag.BoolVar(&o.recoveryControl, "recovery-control", false, "recovery: start no job in any window, to see what the scenario measures with nothing to measure (the ratio should be about 100 %)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	config.TuneGC(os.Getenv) // as hookboard serve does
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "hookbench:", err)
			os.Exit(2)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	order := []string{"throughput", "latency", "fanout", "slow", "policies", "dashboard"}
	if o.scenario != "all" {
		order = strings.Split(o.scenario, ",")
		for _, name := range order {
			if _, ok := scenarios[name]; !ok {
				fmt.Fprintf(os.Stderr, "hookbench: unknown scenario %q\n", name)
				os.Exit(2)
			}
		}
	}
	go sampleRSS()
	if !runScenarios(o, order, os.Stdout, os.Stderr) {
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// runScenarios runs the named scenarios in turn and writes one JSON line
// for each to out; it reports whether all of them ran.
func runScenarios(o options, order []string, out, errOut io.Writer) bool {
	ok := true
	for _, name := range order {
		res, err := scenarios[name](context.Background(), o)
		if err != nil {
			fmt.Fprintf(errOut, "hookbench: %s: %v\n", name, err)
			ok = false
			continue
		}
		res["scenario"], res["db"] = name, o.db
		res["max_rss_mb"] = float64(maxRSS.Load()) / 1024
		line, _ := json.Marshal(res)
		fmt.Fprintln(out, string(line))
	}
	return ok
}

type result map[string]any

var scenarios map[string]func(context.Context, options) (result, error)

func init() {
	scenarios = map[string]func(context.Context, options) (result, error){
		"throughput": throughput, "latency": latency, "fanout": fanout, "slow": slowEndpoint, "dashboard": dashboard,
		"drain": drain, "ingest": ingestOnly, "policies": policies,
		"recovery":         recoveryScenario, // recovery.go
		"scaleout":         scaleOut,         // scaleout.go, procs.go
		"scaleout-windows": scaleOutWindows,  // interleave.go
	}
}

// maxRSS is the largest resident set seen, in KiB, sampled every 100 ms.
var maxRSS atomic.Int64

func sampleRSS() {
	for {
		if b, err := os.ReadFile("/proc/self/status"); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(l, "VmRSS:") {
					var kb int64
					fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(l, "VmRSS:"), "kB")), &kb)
					if kb > maxRSS.Load() {
						maxRSS.Store(kb)
					}
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// instance is Hookboard, as hookboard serve assembles it, in-process on a
// fresh database, logging to a file as serve logs to its output.
type instance struct {
	p       *assembly.Program
	st      *store.Store
	base    string
	app     hook.App
	key     string
	cleanup []func()
	stop    context.CancelFunc
	done    chan struct{}
}

// Close stops the program (if it runs) and removes its database and log.
func (in *instance) Close() {
	if in.stop != nil {
		in.stop()
		<-in.done
	}
	for i := len(in.cleanup) - 1; i >= 0; i-- {
		in.cleanup[i]()
	}
}

// start opens Hookboard and runs it.
func start(ctx context.Context, o options, timeout time.Duration) (*instance, error) {
	in, err := open(ctx, o, timeout)
	if err != nil {
		return nil, err
	}
	in.run()
	return in, nil
}

// open opens Hookboard on a fresh database with an admin, an API key and an
// event type, without running it.
func open(ctx context.Context, o options, timeout time.Duration) (in *instance, err error) {
	in = &instance{}
	defer func() {
		if err != nil {
			in.Close()
		}
	}()
	dsn, drop, err := freshDatabase(ctx, o)
	if err != nil {
		return nil, err
	}
	in.cleanup = append(in.cleanup, drop)
	log, closeLog, err := logFile()
	if err != nil {
		return nil, err
	}
	in.cleanup = append(in.cleanup, closeLog)
	cfg, err := benchConfig(dsn, o.workers, timeout)
	if err != nil {
		return nil, err
	}
	if in.p, err = assembly.Open(ctx, cfg, assembly.WithLogOutput(log)); err != nil {
		return nil, err
	}
	in.cleanup = append(in.cleanup, func() { in.p.Close() })
	in.st, in.base = in.p.Store(), in.p.URL()
	return in, in.addTenant(ctx)
}

// benchConfig is hookboard serve's configuration (its defaults, no
// environment) on dsn, with fresh keys, on a loopback port, delivering to
// loopback receivers.
func benchConfig(dsn string, workers int, timeout time.Duration) (config.Config, error) {
	cfg, err := config.Load([]string{"-database-url", dsn, "-addr", "127.0.0.1:0", "-workers", strconv.Itoa(workers),
		"-delivery-timeout", timeout.String(), "-allow-private-targets", "true", "-allow-http-targets", "true"},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		return cfg, err
	}
	cfg.SessionKey, _ = secretbox.ParseKey(secretbox.NewKey())
	cfg.EncryptionKey, _ = secretbox.ParseKey(secretbox.NewKey())
	return cfg, nil
}

// logFile is where the program logs as serve does (text at Info, written
// in batches): a temporary file, removed afterwards.
func logFile() (*logbuf.Writer, func(), error) {
	f, err := os.CreateTemp("", "hookbench-*.log")
	if err != nil {
		return nil, nil, err
	}
	return logbuf.New(f), func() { f.Close(); os.Remove(f.Name()) }, nil
}

func (in *instance) addTenant(ctx context.Context) error {
	res, err := in.st.AddUser(ctx, "bench@example.com", "bench password", "Bench", hook.RoleAdmin)
	if err != nil {
		return err
	}
	in.app = res.App
	if _, in.key, err = in.st.CreateAPIKey(ctx, hook.Actor{}, in.app.ID, "bench"); err != nil {
		return err
	}
	_, err = in.st.CreateEventType(ctx, hook.Actor{}, in.app.ID, hook.EventTypeInput{Name: "invoice.paid"})
	return err
}

// run starts the program: its loops, its sender and its HTTP server.
func (in *instance) run() {
	runCtx, cancel := context.WithCancel(context.Background())
	in.stop, in.done = cancel, make(chan struct{})
	go func() {
		defer close(in.done)
		if err := in.p.Run(runCtx); err != nil {
			fmt.Fprintln(os.Stderr, "hookbench: run:", err)
		}
	}()
}

// freshDatabase returns a DSN for an empty database and a func that removes it.
func freshDatabase(ctx context.Context, o options) (string, func(), error) {
	switch o.db {
	case "sqlite":
		dir, err := os.MkdirTemp("", "hookbench")
		if err != nil {
			return "", nil, err
		}
		return "sqlite:" + filepath.Join(dir, "bench.db"), func() { os.RemoveAll(dir) }, nil
	case "postgres":
		return postgresSchema(ctx, o.dsn)
	}
	return "", nil, fmt.Errorf("-db must be sqlite or postgres")
}

// receiver is a loopback endpoint that notes when each webhook-id arrives.
type receiver struct {
	url      string
	mu       sync.Mutex
	arrivals map[string]time.Time
	count    atomic.Int64
	byPath   sync.Map // path → *atomic.Int64
}

func newReceiver(ctx context.Context, slowPath string) (*receiver, error) {
	rc := &receiver{arrivals: map[string]time.Time{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		io.Copy(io.Discard, r.Body)
		if r.URL.Path == slowPath {
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
			return
		}
		if id := r.Header.Get("webhook-id"); sampled(id) {
			rc.mu.Lock()
			if _, seen := rc.arrivals[id+r.URL.Path]; !seen {
				rc.arrivals[id+r.URL.Path] = now
			}
			rc.mu.Unlock()
		}
		rc.count.Add(1)
		c, _ := rc.byPath.LoadOrStore(r.URL.Path, new(atomic.Int64))
		c.(*atomic.Int64).Add(1)
		w.WriteHeader(http.StatusNoContent)
	})}
	go srv.Serve(ln)
	go func() { <-ctx.Done(); srv.Close() }()
	rc.url = "http://" + ln.Addr().String()
	return rc, nil
}

func (rc *receiver) arrival(key string) (time.Time, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	t, ok := rc.arrivals[key]
	return t, ok
}

func (rc *receiver) pathCount(path string) int64 {
	c, ok := rc.byPath.Load(path)
	if !ok {
		return 0
	}
	return c.(*atomic.Int64).Load()
}

func addWebhook(ctx context.Context, in *instance, name, u string) error {
	_, _, err := in.st.CreateWebhook(ctx, hook.Actor{}, in.app.ID, hook.WebhookInput{Name: name, URL: u, Events: []string{"*"}, Active: true, AuthType: hook.AuthNone},
		hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true})
	return err
}

// client posts events through the API over keep-alive connections.
type client struct {
	http *http.Client
	url  string
	key  string
}

func newClient(in *instance, conns int) *client {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: time.Minute}
	return &client{http: &http.Client{Transport: tr, Timeout: 30 * time.Second}, url: in.base + "/api/v1/apps/" + in.app.ID + "/events", key: in.key}
}

var eventPayload = []byte(`{"eventType":"invoice.paid","payload":{"invoiceId":"inv_0001","amount":4200,"currency":"EUR","customer":{"id":"cus_1","email":"ann@example.com"}}}`)

// ingest posts one event and returns its id.
func (c *client) ingest() (string, error) {
	req, _ := http.NewRequest(http.MethodPost, c.url, strings.NewReader(string(eventPayload)))
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusAccepted {
		return "", fmt.Errorf("ingest: status %d", resp.StatusCode)
	}
	return body.Data.ID, nil
}

func percentile(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(float64(len(ds)-1) * p)
	return float64(ds[i].Microseconds()) / 1000
}

// offered is what offerLoad sent: events taken, requests that failed, and
// the sampled events with when they were sent.
type offered struct {
	total, errs atomic.Int64
	mu          sync.Mutex
	sents       []sent
}

// offerLoad runs n clients, each posting events as fast as the API takes
// them until deadline through clientOf(its number); onSent(its number), if
// set, is told of each event taken.
func offerLoad(n int, deadline time.Time, clientOf func(int) *client, onSent func(int)) *offered {
	l := &offered{}
	var wg sync.WaitGroup
	for g := range n {
		c := clientOf(g)
		wg.Go(func() {
			var mine []sent
			for time.Now().Before(deadline) {
				at := time.Now()
				id, err := c.ingest()
				if err != nil {
					l.errs.Add(1)
					continue
				}
				l.total.Add(1)
				if onSent != nil {
					onSent(g)
				}
				if sampled(id) {
					mine = append(mine, sent{id, at})
				}
			}
			l.mu.Lock()
			l.sents = append(l.sents, mine...)
			l.mu.Unlock()
		})
	}
	wg.Wait()
	return l
}

// throughput: events ingested as fast as the API takes them, one webhook.
func throughput(ctx context.Context, o options) (result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in, rc, err := startWithSink(ctx, o)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	c := newClient(in, o.concurrency)
	cpu0 := readCPU()
	begin := cpu0.at
	l := offerLoad(o.concurrency, begin.Add(o.duration), func(int) *client { return c }, nil)
	total, ingestErrs, sents := &l.total, &l.errs, l.sents
	ingestSecs := time.Since(begin).Seconds()
	// Wait for the backlog to drain (bounded).
	drainDeadline := time.Now().Add(5 * time.Minute)
	for rc.count.Load() < total.Load() && time.Now().Before(drainDeadline) {
		time.Sleep(20 * time.Millisecond)
	}
	var recorded int64
	for time.Now().Before(drainDeadline) {
		if recorded, err = countSucceeded(ctx, in.st); err != nil {
			return nil, err
		}
		if recorded >= total.Load() {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cpu1 := readCPU()
	lat := rc.latencies(sents, "/hook")
	secs := cpu1.at.Sub(begin).Seconds()
	res := result{
		"events": total.Load(), "ingest_errors": ingestErrs.Load(), "ingest_per_sec": round(float64(total.Load()) / ingestSecs),
		"delivered": rc.count.Load(), "recorded": recorded, "seconds": round(secs),
		"deliveries_per_sec": round(float64(recorded) / secs), "p50_ms": percentile(lat, .5), "p99_ms": percentile(lat, .99),
	}
	cpuFigures(cpu0, cpu1, recorded, res)
	return res, nil
}

func countSucceeded(ctx context.Context, st *store.Store) (int64, error) {
	var n int64
	err := st.DB().GetContext(ctx, &n, `SELECT COUNT(*) FROM attempts WHERE succeeded`)
	return n, err
}

func round(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

// latency: a steady offered rate; time from sending the event to its first
// attempt reaching the receiver.
func latency(ctx context.Context, o options) (result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in, rc, err := startWithSink(ctx, o)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	c := newClient(in, o.concurrency)
	dur := o.duration
	interval := time.Second / time.Duration(o.rate)
	var mu sync.Mutex
	var sents []sent
	var wg sync.WaitGroup
	sem := make(chan struct{}, o.concurrency)
	tick := time.NewTicker(interval)
	cpu0 := readCPU()
	begin := cpu0.at
	end := time.After(dur)
loop:
	for {
		select {
		case <-end:
			break loop
		case <-tick.C:
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			at := time.Now()
			id, err := c.ingest()
			if err == nil {
				mu.Lock()
				sents = append(sents, sent{id, at})
				mu.Unlock()
			}
		}()
	}
	tick.Stop()
	wg.Wait()
	deadline := time.Now().Add(time.Minute)
	for rc.count.Load() < int64(len(sents)) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	lat := rc.latencies(sents, "/hook")
	res := result{"events": len(sents), "offered": int(dur / interval), "delivered": rc.count.Load(), "rate": o.rate, "seconds": dur.Seconds(),
		"p50_ms": percentile(lat, .5), "p99_ms": percentile(lat, .99), "max_ms": percentile(lat, 1)}
	cpuFigures(cpu0, readCPU(), rc.count.Load(), res) // every delivery, not the sampled latencies
	if slow := rc.slowSeconds(sents, "/hook", begin, 50*time.Millisecond); len(slow) > 0 {
		res["slow_at_s"] = slow // when the deliveries over 50 ms were sent, to line up with logs
	}
	return res, nil
}

// slowSeconds lists the whole seconds since begin in which an event was
// sent whose delivery took longer than limit, each second once.
func (rc *receiver) slowSeconds(sents []sent, path string, begin time.Time, limit time.Duration) []int {
	var out []int
	for _, s := range sents {
		at, ok := rc.arrival(s.id + path)
		if !ok || at.Sub(s.at) <= limit {
			continue
		}
		if sec := int(s.at.Sub(begin) / time.Second); !slices.Contains(out, sec) {
			out = append(out, sec)
		}
	}
	slices.Sort(out)
	return out
}

// fanout: one event to 100 webhooks; time until all 100 were attempted.
func fanout(ctx context.Context, o options) (result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in, err := start(ctx, o, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	rc, err := newReceiver(ctx, "")
	if err != nil {
		return nil, err
	}
	for i := range 100 {
		if err := addWebhook(ctx, in, fmt.Sprintf("hook %03d", i), fmt.Sprintf("%s/h%03d", rc.url, i)); err != nil {
			return nil, err
		}
	}
	c := newClient(in, 4)
	var spans []time.Duration
	const rounds = 20
	for range rounds {
		before := rc.count.Load()
		at := time.Now()
		if _, err := c.ingest(); err != nil {
			return nil, err
		}
		for rc.count.Load() < before+100 {
			if time.Since(at) > 10*time.Second {
				return nil, fmt.Errorf("fan-out did not complete: %d of 100", rc.count.Load()-before)
			}
			time.Sleep(200 * time.Microsecond)
		}
		spans = append(spans, time.Since(at))
		time.Sleep(50 * time.Millisecond)
	}
	return result{"events": rounds, "webhooks": 100, "delivered": rc.count.Load(), "p50_ms": percentile(spans, .5),
		"p99_ms": percentile(spans, .99), "max_ms": percentile(spans, 1)}, nil
}

// slowEndpoint: 10 webhooks, one of which times out on every request; the
// other nine's throughput compared with a run without the slow one.
func slowEndpoint(ctx context.Context, o options) (result, error) {
	phase := func(withSlow bool) (float64, error) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		in, err := start(ctx, o, 2*time.Second)
		if err != nil {
			return 0, err
		}
		defer in.Close()
		rc, err := newReceiver(ctx, "/slow")
		if err != nil {
			return 0, err
		}
		for i := range 9 {
			if err := addWebhook(ctx, in, fmt.Sprintf("fast %d", i), fmt.Sprintf("%s/fast%d", rc.url, i)); err != nil {
				return 0, err
			}
		}
		path := "/fast9"
		if withSlow {
			path = "/slow"
		}
		if err := addWebhook(ctx, in, "tenth", rc.url+path); err != nil {
			return 0, err
		}
		// A steady offered load (200 events/s, so 1,800 deliveries/s to the
		// nine), not as-fast-as-possible: the question is whether the slow
		// one holds the others back, not how the CPU is shared.
		c := newClient(in, o.concurrency)
		dur := min(o.duration, 15*time.Second)
		const rate = 200
		tick := time.NewTicker(time.Second / rate)
		defer tick.Stop()
		begin := time.Now()
		deadline := begin.Add(dur)
		var wg sync.WaitGroup
		sem := make(chan struct{}, o.concurrency)
		for time.Now().Before(deadline) {
			<-tick.C
			sem <- struct{}{}
			wg.Add(1)
			go func() { defer func() { <-sem; wg.Done() }(); c.ingest() }()
		}
		wg.Wait()
		time.Sleep(500 * time.Millisecond) // what was sent in time is delivered in time
		var n int64
		for i := range 9 {
			n += rc.pathCount(fmt.Sprintf("/fast%d", i))
		}
		return float64(n) / dur.Seconds(), nil
	}
	base, err := phase(false)
	if err != nil {
		return nil, err
	}
	with, err := phase(true)
	if err != nil {
		return nil, err
	}
	return result{"baseline_per_sec": round(base), "with_slow_per_sec": round(with), "kept_percent": round(with / base * 100)}, nil
}

// dashboard: pages over a large history, as a signed-in admin.
func dashboard(ctx context.Context, o options) (result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in, err := open(ctx, o, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	var hooks []string
	for i := range 5 {
		if err := addWebhook(ctx, in, fmt.Sprintf("hook %d", i), fmt.Sprintf("https://example.com/h%d", i)); err != nil {
			return nil, err
		}
	}
	whs, _ := in.st.ListWebhooks(ctx, in.app.ID)
	for _, wh := range whs {
		hooks = append(hooks, wh.ID)
	}
	// Seeded before the program runs: the deliveries are history, nothing
	// to send.
	seedStart := time.Now()
	sample, err := seed(ctx, in.st, in.app.ID, hooks, o.seed)
	if err != nil {
		return nil, err
	}
	seedSecs := time.Since(seedStart).Seconds()
	in.run()

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	resp, err := hc.PostForm(in.base+"/login", url.Values{"email": {"bench@example.com"}, "password": {"bench password"}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	var sampleEvent string
	if err := in.st.DB().GetContext(ctx, &sampleEvent, in.st.DB().Rebind(`SELECT event_id FROM deliveries WHERE id = ?`), sample); err != nil {
		return nil, err
	}
	pages := dashboardPages(in.app.ID, hooks, sample, sampleEvent)
	res := result{"deliveries": o.seed, "seed_seconds": round(seedSecs)}
	worst := 0.0
	for name, p := range pages {
		var ds []time.Duration
		for i := range 220 {
			t0 := time.Now()
			resp, err := hc.Get(in.base + p)
			if err != nil {
				return nil, err
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return nil, fmt.Errorf("%s: status %d", name, resp.StatusCode)
			}
			if i >= 20 { // the first requests warm caches
				ds = append(ds, time.Since(t0))
			}
		}
		p95 := percentile(ds, .95)
		res[name+"_p95_ms"] = p95
		worst = max(worst, p95)
	}
	res["p95_ms"] = worst
	return res, nil
}

// drain: the sender alone, emptying a queue of 20,000 deliveries stored
// beforehand.
func drain(ctx context.Context, o options) (result, error) {
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
	const n = 20000
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n / 32 {
				in.st.IngestEvent(ctx, in.app.ID, "invoice.paid", eventPayload, "")
			}
		}()
	}
	wg.Wait()
	total := int64(n / 32 * 32)
	begin := time.Now()
	in.run()
	for {
		got, err := countSucceeded(ctx, in.st)
		if err != nil {
			return nil, err
		}
		if got >= total || time.Since(begin) > 5*time.Minute {
			secs := time.Since(begin).Seconds()
			return result{"events": total, "delivered": rc.count.Load(), "recorded": got, "seconds": round(secs), "deliveries_per_sec": round(float64(got) / secs)}, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ingest: the API alone, with no webhook to deliver to.
func ingestOnly(ctx context.Context, o options) (result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in, err := start(ctx, o, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	c := newClient(in, o.concurrency)
	dur := min(o.duration, 10*time.Second)
	var n atomic.Int64
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if _, err := c.ingest(); err == nil {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return result{"events": n.Load(), "seconds": dur.Seconds(), "ingest_per_sec": round(float64(n.Load()) / dur.Seconds())}, nil
}

// sampled picks about one event in eight (by the random end of its UUIDv7)
// whose latency the throughput scenario measures, so the bench's own
// bookkeeping stays small next to Hookboard's memory.
func sampled(id string) bool {
	return id != "" && (id[len(id)-1] == '0' || id[len(id)-1] == '8')
}

// sent is when the load generator posted an event.
type sent struct {
	id string
	at time.Time
}

// latencies pairs sent events with their arrival at path.
func (rc *receiver) latencies(sents []sent, path string) []time.Duration {
	var lat []time.Duration
	for _, s := range sents {
		if at, ok := rc.arrival(s.id + path); ok {
			lat = append(lat, at.Sub(s.at))
		}
	}
	return lat
}

// startWithSink starts Hookboard with one webhook, to a receiver at /hook.
func startWithSink(ctx context.Context, o options) (*instance, *receiver, error) {
	in, err := start(ctx, o, 2*time.Second)
	if err != nil {
		return nil, nil, err
	}
	rc, err := newReceiver(ctx, "")
	if err == nil {
		err = addWebhook(ctx, in, "sink", rc.url+"/hook")
	}
	if err != nil {
		in.Close()
		return nil, nil, err
	}
	return in, rc, nil
}

// dashboardPages are the pages the dashboard scenario times, by name.
func dashboardPages(app string, hooks []string, sample, sampleEvent string) map[string]string {
	// The event log's rows read each one's latest attempt; the event page
	// and the searches (by event, delivery and Idempotency-Key) are the
	// support agent's way in.
	return map[string]string{
		"all_events":      "/apps/" + app + "/events",
		"filtered":        "/apps/" + app + "/events?status=failed&event_type=invoice.paid&webhook=" + hooks[2],
		"delivery_detail": "/apps/" + app + "/deliveries/" + sample,
		"older_page":      "/apps/" + app + "/events?cursor=" + sample,
		"webhook_events":  "/apps/" + app + "/webhooks/" + hooks[1] + "/events?status=retrying",
		"event_page":      "/apps/" + app + "/events/" + sampleEvent,
		"search_event":    "/apps/" + app + "/events?q=" + sampleEvent,
		"search_delivery": "/apps/" + app + "/events?q=" + sample,
		"search_key":      "/apps/" + app + "/events?q=bench-key",
		// The other pages over the same history: the overview and the
		// webhook pages (their health figures), the previews that count
		// what a recovery or bulk resend would cover, and the rest.
		"app_home":      "/apps/" + app,
		"webhook_list":  "/apps/" + app + "/webhooks",
		"webhook_page":  "/apps/" + app + "/webhooks/" + hooks[1],
		"recover_count": "/apps/" + app + "/webhooks/" + hooks[1] + "/recover?since=" + url.QueryEscape(time.Now().UTC().Add(-2*time.Hour).Format("2006-01-02T15:04")),
		"bulk_resend":   "/apps/" + app + "/deliveries/bulk-resend?status=failed&event_type=invoice.paid",
		"recoveries":    "/apps/" + app + "/recoveries",
		"audit":         "/apps/" + app + "/audit",
		"event_types":   "/apps/" + app + "/event-types",
		"api_keys":      "/apps/" + app + "/api-keys",
		"members":       "/apps/" + app + "/members",
		"settings":      "/apps/" + app + "/settings",
	}
}
