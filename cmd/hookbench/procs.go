package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hookboard/hookboard/internal/assembly"
	"github.com/hookboard/hookboard/internal/config"
	"github.com/hookboard/hookboard/internal/logbuf"
	"github.com/hookboard/hookboard/internal/secretbox"
)

// The scaleout scenario (issue 19): does a second Hookboard process on the
// same PostgreSQL deliver more, and never twice? The throughput load runs
// against one child process, then, on a fresh schema, against -procs child
// processes that share it, the load generator's clients spread evenly over
// their URLs. The children are real processes: hookbench re-executes itself
// with childEnv set, and the child assembles Hookboard as `hookboard serve`
// does, configured only through its environment.

// childEnv set to "1" makes hookbench (or its test binary) a Hookboard child.
const childEnv = "HOOKBENCH_CHILD"

// childMain runs Hookboard as `hookboard serve` assembles it, configured by
// the environment, logging to its standard output; it writes its URL on
// file descriptor 3 once it listens, and stops on SIGTERM or SIGINT.
func childMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := config.Load(nil, os.Getenv, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hookbench child:", err)
		return 2
	}
	config.TuneGC(os.Getenv)
	p, err := assembly.Open(ctx, cfg, assembly.WithLogOutput(logbuf.New(os.Stdout)))
	if err != nil {
		fmt.Fprintln(os.Stderr, "hookbench child:", err)
		return 1
	}
	defer p.Close()
	ready := os.NewFile(3, "ready")
	fmt.Fprintln(ready, p.URL())
	ready.Close()
	if err := p.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "hookbench child:", err)
		return 1
	}
	return 0
}

// childSettings is the environment every child of a phase gets: hookbench's
// own (minus any Hookboard setting, so the children run serve's defaults
// as the in-process bench does) plus the bench's settings and one pair of
// fresh keys, so a secret one child encrypted the others decrypt.
func childSettings(dsn string, workers int) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "HOOKBOARD_") && name != "DATABASE_URL" && name != childEnv {
			env = append(env, kv)
		}
	}
	return append(env, childEnv+"=1", "DATABASE_URL="+dsn, "HOOKBOARD_ADDR=127.0.0.1:0",
		"HOOKBOARD_WORKERS="+strconv.Itoa(workers), "HOOKBOARD_DELIVERY_TIMEOUT=2s",
		"HOOKBOARD_ALLOW_PRIVATE_TARGETS=true", "HOOKBOARD_ALLOW_HTTP_TARGETS=true",
		"HOOKBOARD_SESSION_KEY="+secretbox.NewKey(), "HOOKBOARD_ENCRYPTION_KEY="+secretbox.NewKey())
}

// lookup reads a variable from an environment list, as os.Getenv would in
// the child.
func lookup(env []string) func(string) string {
	return func(name string) string {
		v := ""
		for _, kv := range env {
			if n, val, ok := strings.Cut(kv, "="); ok && n == name {
				v = val
			}
		}
		return v
	}
}

// child is one Hookboard child process.
type child struct {
	cmd      *exec.Cmd
	url      string
	logPath  string
	done     chan struct{} // closed when the process has been waited for
	maxRSS   atomic.Int64  // KiB, sampled every 100 ms
	ingested atomic.Int64  // events the load generator posted to it
	logBytes int64
}

// startChild starts a child with env, logging to a file in dir, and
// returns once it answers /readyz.
func startChild(ctx context.Context, exe, dir string, i int, env []string) (*child, error) {
	c := &child{logPath: filepath.Join(dir, fmt.Sprintf("child-%d.log", i)), done: make(chan struct{})}
	logf, err := os.Create(c.logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	c.cmd = exec.Command(exe)
	c.cmd.Env, c.cmd.Stdout, c.cmd.Stderr, c.cmd.ExtraFiles = env, logf, logf, []*os.File{pw}
	// If hookbench dies, its children are told to stop rather than left behind.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	err = c.cmd.Start()
	pw.Close()
	if err != nil {
		return nil, fmt.Errorf("start child: %w", err)
	}
	go func() { c.cmd.Wait(); close(c.done) }()
	if err := c.awaitReady(ctx, pr); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// awaitReady reads the child's URL from the pipe, then polls /readyz.
func (c *child) awaitReady(ctx context.Context, pr io.Reader) error {
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(pr).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	limit := time.After(30 * time.Second)
	select {
	case c.url = <-line:
	case <-limit:
		return fmt.Errorf("child %d gave no URL within 30 s: %s", c.cmd.Process.Pid, c.logTail())
	}
	if c.url == "" {
		<-c.done
		return fmt.Errorf("child exited before listening: %s", c.logTail())
	}
	for {
		if resp, err := http.Get(c.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-c.done:
			return fmt.Errorf("child exited before it was ready: %s", c.logTail())
		case <-limit:
			return fmt.Errorf("child %s not ready within 30 s: %s", c.url, c.logTail())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// logTail is the end of the child's log, for an error message.
func (c *child) logTail() string {
	b, _ := os.ReadFile(c.logPath)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return strings.TrimSpace(string(b))
}

// stop sends SIGTERM and waits; after 10 s it kills the child. It notes the
// size of the child's log. Stopping a stopped child does nothing.
func (c *child) stop() {
	select {
	case <-c.done:
	default:
		c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			c.cmd.Process.Kill()
			<-c.done
		}
	}
	if fi, err := os.Stat(c.logPath); err == nil {
		c.logBytes = fi.Size()
	}
}

// sampleRSS notes the child's largest VmRSS until ctx ends or it exits.
func (c *child) sampleRSS(ctx context.Context) {
	path := fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid)
	for {
		if kb := statusKiB(path, "VmRSS:"); kb > c.maxRSS.Load() {
			c.maxRSS.Store(kb)
		}
		select {
		case <-ctx.Done():
			return
		case <-c.done:
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// statusKiB reads one "Name: N kB" line of a /proc status file; 0 if absent.
func statusKiB(path, field string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}

// cpuMark is the machine's CPU ticks (busy, and in all), the children's
// and PostgreSQL's, and how many times the children's threads were switched
// off a core (switches), at one moment; or the difference of two.
type cpuMark struct{ busy, total, children, postgres, switches int64 }

// since is what was spent from before to m.
func (m cpuMark) since(before cpuMark) cpuMark {
	return cpuMark{busy: m.busy - before.busy, total: m.total - before.total, children: m.children - before.children,
		postgres: m.postgres - before.postgres, switches: m.switches - before.switches}
}

func markCPU(children []*child) (cpuMark, error) {
	snap := readCPU()
	m := cpuMark{busy: snap.busy, total: snap.busy + snap.idle, postgres: snap.postgres}
	if m.total == 0 {
		return m, errors.New("/proc/stat: no CPU time")
	}
	for _, c := range children {
		t := selfTicks(fmt.Sprintf("/proc/%d/stat", c.cmd.Process.Pid))
		if t == 0 {
			return m, fmt.Errorf("child CPU time: /proc/%d/stat unreadable", c.cmd.Process.Pid)
		}
		m.children += t
		m.switches += contextSwitches(fmt.Sprintf("/proc/%d/task", c.cmd.Process.Pid))
	}
	return m, nil
}

// dupReceiver is a loopback endpoint that counts every arrival by its
// webhook-id: an arrival whose id arrived before is a duplicate. It notes
// the first arrival of sampled ids, for latencies, as receiver does.
type dupReceiver struct {
	*receiver
	seen   map[string]struct{} // guarded by receiver.mu
	unique atomic.Int64
	dups   atomic.Int64
}

func newDupReceiver(ctx context.Context) (*dupReceiver, error) {
	dr := &dupReceiver{receiver: &receiver{arrivals: map[string]time.Time{}}, seen: map[string]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		io.Copy(io.Discard, r.Body)
		id := r.Header.Get("webhook-id")
		dr.mu.Lock()
		_, dup := dr.seen[id]
		if !dup {
			dr.seen[id] = struct{}{}
			if sampled(id) {
				dr.arrivals[id+r.URL.Path] = now
			}
		}
		dr.mu.Unlock()
		if dup {
			dr.dups.Add(1)
		} else {
			dr.unique.Add(1)
		}
		dr.count.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})}
	go srv.Serve(ln)
	go func() { <-ctx.Done(); srv.Close() }()
	dr.url = "http://" + ln.Addr().String()
	return dr, nil
}
