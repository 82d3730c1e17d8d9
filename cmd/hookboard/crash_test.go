package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/secretbox"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// The kill -9 tests build the real binary and run it, so they take a while
// (about 15 s each): they run when HOOKBOARD_CRASH_TEST=1, as .ci/run does.
func crashTest(t *testing.T) {
	t.Helper()
	if os.Getenv("HOOKBOARD_CRASH_TEST") == "" {
		t.Skip("set HOOKBOARD_CRASH_TEST=1 to run the kill -9 tests (.ci/run does)")
	}
}

// crashReceiver is a loopback endpoint that notes when each delivery
// (webhook-id + path) arrives, every time it arrives.
type crashReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	arrivals map[string][]time.Time
	answered map[string][]time.Time // when the answer was written
	total    int
}

func newCrashReceiver(t *testing.T) *crashReceiver {
	rc := &crashReceiver{arrivals: map[string][]time.Time{}, answered: map[string][]time.Time{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		rc.mu.Lock()
		key := r.Header.Get("webhook-id") + r.URL.Path
		rc.arrivals[key] = append(rc.arrivals[key], now)
		rc.total++
		rc.mu.Unlock()
		// A receiver that takes a little while, as real ones do, so
		// that requests are in flight when the process dies.
		time.Sleep(30 * time.Millisecond)
		w.WriteHeader(http.StatusNoContent)
		http.NewResponseController(w).Flush()
		rc.mu.Lock()
		rc.answered[key] = append(rc.answered[key], time.Now())
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *crashReceiver) snapshot() (map[string][]time.Time, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	m := make(map[string][]time.Time, len(rc.arrivals))
	for k, v := range rc.arrivals {
		m[k] = slices.Clone(v)
	}
	return m, rc.total
}

func (rc *crashReceiver) answers() map[string][]time.Time {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	m := make(map[string][]time.Time, len(rc.answered))
	for k, v := range rc.answered {
		m[k] = slices.Clone(v)
	}
	return m
}

var crashPaths = []string{"/a", "/b", "/c"}

type crashEnv struct {
	t      *testing.T
	bin    string
	env    []string
	app    hook.App
	apiKey string
	dsn    string
	box    *secretbox.Box
	rc     *crashReceiver
}

// newCrashEnv builds the binary and prepares a database with an app, an
// API key and three webhooks to a loopback receiver.
func newCrashEnv(t *testing.T, dialect string) *crashEnv {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "hookboard")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	e := &crashEnv{t: t, bin: bin, rc: newCrashReceiver(t)}
	if dialect == store.SQLite {
		e.dsn = "sqlite:" + filepath.Join(dir, "hb.db")
	} else {
		e.dsn = storetest.DSN(t, store.Postgres)
	}
	encKey := secretbox.NewKey()
	key, _ := secretbox.ParseKey(encKey)
	e.box, _ = secretbox.New(key)
	e.env = append(os.Environ(),
		"DATABASE_URL="+e.dsn,
		"HOOKBOARD_ENCRYPTION_KEY="+encKey,
		"HOOKBOARD_SESSION_KEY="+secretbox.NewKey(),
		"HOOKBOARD_ADMIN_EMAIL=boss@example.com",
		"HOOKBOARD_ADMIN_PASSWORD=a long enough password",
		"HOOKBOARD_ALLOW_PRIVATE_TARGETS=true",
		"HOOKBOARD_ALLOW_HTTP_TARGETS=true",
	)
	ctx := context.Background()
	st, err := store.Open(ctx, e.dsn, store.Options{Box: e.box})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, err := st.AddUser(ctx, "boss@example.com", "a long enough password", "Crash", hook.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	e.app = res.App
	if _, e.apiKey, err = st.CreateAPIKey(ctx, hook.Actor{}, e.app.ID, "load"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateEventType(ctx, hook.Actor{}, e.app.ID, hook.EventTypeInput{Name: "invoice.paid"}); err != nil {
		t.Fatal(err)
	}
	for _, p := range crashPaths {
		if _, _, err := st.CreateWebhook(ctx, hook.Actor{}, e.app.ID, hook.WebhookInput{Name: "Hook " + p, URL: e.rc.URL + p,
			Events: []string{"*"}, Active: true, AuthType: hook.AuthNone}, hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

type proc struct {
	cmd  *exec.Cmd
	base string
	out  *syncBuffer
	done chan struct{}
}

// start runs the binary and waits until it is ready.
func (e *crashEnv) start() *proc {
	e.t.Helper()
	addr := freeAddr(e.t)
	p := &proc{base: "http://" + addr, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(e.bin)
	p.cmd.Env = append(slices.Clone(e.env), "HOOKBOARD_ADDR="+addr)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	e.t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-p.done:
			e.t.Fatalf("hookboard exited at start:\n%s", p.out.String())
		default:
		}
		if resp, err := http.Get(p.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("hookboard not ready:\n%s", p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *proc) kill9() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop ends the process gracefully (SIGTERM): what it sent is recorded.
func (p *proc) stop(t *testing.T) {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatal("hookboard did not stop on SIGTERM")
	}
}

// load posts events to p at rate per second until stop closes, and
// returns the ids of the events the API accepted.
func (e *crashEnv) load(p *proc, rate int, stop <-chan struct{}) []string {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	url := p.base + "/api/v1/apps/" + e.app.ID + "/events"
	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-stop:
			wg.Wait()
			return ids
		case <-tick.C:
		}
		n++
		i := n
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(fmt.Sprintf(`{"eventType":"invoice.paid","payload":{"n":%d}}`, i)))
			req.Header.Set("Authorization", "Bearer "+e.apiKey)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				return // the process was killed under this request
			}
			defer resp.Body.Close()
			var body struct {
				Data struct {
					ID string `json:"id"`
				} `json:"data"`
			}
			if resp.StatusCode == http.StatusAccepted && json.NewDecoder(resp.Body).Decode(&body) == nil {
				mu.Lock()
				ids = append(ids, body.Data.ID)
				mu.Unlock()
			}
		})
	}
}

// waitDone waits until every delivery of the events arrived and every
// delivery in the database is recorded as succeeded, or the limit; it
// returns when that was, or how many are missing.
func (e *crashEnv) waitDone(ids []string, limit time.Duration) (done time.Time, missing, pending int) {
	e.t.Helper()
	st, err := store.Open(context.Background(), e.dsn, store.Options{Box: e.box})
	if err != nil {
		e.t.Fatal(err)
	}
	defer st.Close()
	deadline := time.Now().Add(limit)
	for {
		now := time.Now()
		arr, _ := e.rc.snapshot()
		missing = 0
		for _, id := range ids {
			for _, p := range crashPaths {
				if len(arr[id+p]) == 0 {
					missing++
				}
			}
		}
		if err := st.DB().Get(&pending, `SELECT COUNT(*) FROM deliveries WHERE status <> 'succeeded'`); err != nil {
			e.t.Fatal(err)
		}
		if missing == 0 && pending == 0 || now.After(deadline) {
			return now, missing, pending
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// unrecorded compares what the receiver got with the attempts recorded,
// after every process has stopped. Of the requests missing from the
// history, answered ones were answered before the kill but not recorded
// in time; the others were still in flight when the process died (the
// receiver got them, the sender never saw the answer). oldest is how long
// before the kill the earliest answered-but-unrecorded one was answered.
type unrecordedCount struct {
	requests, attempts, answered, inFlight int
	oldest                                 time.Duration
}

func (e *crashEnv) unrecorded(killed time.Time) unrecordedCount {
	e.t.Helper()
	st, err := store.Open(context.Background(), e.dsn, store.Options{Box: e.box})
	if err != nil {
		e.t.Fatal(err)
	}
	defer st.Close()
	type row struct {
		EventID string `db:"event_id"`
		URL     string `db:"request_url"`
		N       int    `db:"n"`
	}
	var rows []row
	if err := st.DB().Select(&rows, `SELECT d.event_id, a.request_url, COUNT(*) AS n FROM attempts a JOIN deliveries d ON d.id = a.delivery_id GROUP BY d.event_id, a.request_url`); err != nil {
		e.t.Fatal(err)
	}
	var c unrecordedCount
	recorded := map[string]int{}
	for _, r := range rows {
		recorded[r.EventID+strings.TrimPrefix(r.URL, e.rc.URL)] += r.N
		c.attempts += r.N
	}
	var arr map[string][]time.Time
	arr, c.requests = e.rc.snapshot()
	answers := e.rc.answers()
	for key, ts := range arr {
		n := recorded[key]
		if n > len(ts) {
			e.t.Errorf("%s: %d attempts recorded, %d requests received", key, n, len(ts))
		}
		// The requests before the kill that the history lacks are the
		// earliest ones: what came after the kill was recorded.
		for i := range len(ts) - n {
			if i < len(answers[key]) && answers[key][i].Before(killed) {
				c.answered++
				c.oldest = max(c.oldest, killed.Sub(answers[key][i]))
			} else {
				c.inFlight++
			}
		}
	}
	e.t.Logf("receiver got %d requests, %d attempts recorded: %d unrecorded, of which %d were answered before the kill (the earliest %v before it) and %d were in flight",
		c.requests, c.attempts, c.requests-c.attempts, c.answered, c.oldest.Round(time.Millisecond), c.inFlight)
	// An answered attempt waits only for the batch being written before
	// it and, when few are queued, up to 20 ms for a fuller batch (the
	// recorder's linger): tens of milliseconds here. Nothing bounds
	// a database write's time, so this is a generous bound that catches a
	// recorder that holds attempts back, not a guarantee.
	if c.oldest > 2*time.Second {
		e.t.Errorf("a request answered %v before the kill was never recorded", c.oldest.Round(time.Millisecond))
	}
	return c
}

// TestKill9SQLiteRestart kills a Hookboard process under load on SQLite
// and starts it again: every delivery arrives, none more than 5 s after
// the restart (the new process takes over every lease at once).
func TestKill9SQLiteRestart(t *testing.T) {
	crashTest(t)
	e := newCrashEnv(t, store.SQLite)
	a := e.start()
	stop := make(chan struct{})
	idsc := make(chan []string)
	go func() { idsc <- e.load(a, 200, stop) }()
	time.Sleep(3 * time.Second)
	a.kill9()
	killed := time.Now()
	close(stop)
	ids := <-idsc
	restarted := time.Now()
	b := e.start()
	done, missing, pending := e.waitDone(ids, 45*time.Second)
	if missing > 0 || pending > 0 {
		t.Fatalf("%d of %d deliveries never arrived; %d not recorded as succeeded", missing, 3*len(ids), pending)
	}
	late := done.Sub(restarted)
	t.Logf("%d events × 3 webhooks; every delivery arrived and recorded %v after the restart", len(ids), late.Round(time.Millisecond))
	if late > 5*time.Second {
		t.Errorf("deliveries were done %v after the restart, want at most 5s", late.Round(time.Millisecond))
	}
	time.Sleep(500 * time.Millisecond)
	b.stop(t)
	e.unrecorded(killed)
}

// TestKill9PostgresTakeover runs two Hookboard processes on one PostgreSQL
// database, kills the one taking the events, and the survivor takes over
// its leases: every delivery arrives, none more than 5 s after the kill.
func TestKill9PostgresTakeover(t *testing.T) {
	crashTest(t)
	if os.Getenv("TEST_DATABASE_URL") == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true but TEST_DATABASE_URL is not set")
		}
		t.Skip("TEST_DATABASE_URL not set")
	}
	e := newCrashEnv(t, store.Postgres)
	a := e.start()
	b := e.start()
	stop := make(chan struct{})
	idsc := make(chan []string)
	go func() { idsc <- e.load(a, 200, stop) }()
	time.Sleep(3 * time.Second)
	a.kill9()
	killed := time.Now()
	close(stop)
	ids := <-idsc
	done, missing, pending := e.waitDone(ids, 45*time.Second)
	if missing > 0 || pending > 0 {
		t.Fatalf("%d of %d deliveries never arrived; %d not recorded as succeeded", missing, 3*len(ids), pending)
	}
	late := done.Sub(killed)
	t.Logf("%d events × 3 webhooks; every delivery arrived and recorded %v after the kill", len(ids), late.Round(time.Millisecond))
	if late > 5*time.Second {
		t.Errorf("deliveries were done %v after the kill, want at most 5s", late.Round(time.Millisecond))
	}
	time.Sleep(500 * time.Millisecond)
	b.stop(t)
	e.unrecorded(killed)
}
