package assembly_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/assembly"
	"github.com/hookboard/hookboard/internal/config"
	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/logbuf"
	"github.com/hookboard/hookboard/internal/secretbox"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// parts lists the part names of the log lines with message msg, in order.
func parts(log, msg string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`msg=`+msg+` part="?([^"\n]+)"?`).FindAllStringSubmatch(log, -1) {
		names = append(names, m[1])
	}
	return names
}

// The program opens, runs every part once in order (the demo included),
// answers a request, and on cancel stops the parts in reverse; after Close
// no goroutine of it is left.
func TestRunStartsInOrderStopsInReverseAndLeavesNothing(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			dsn := storetest.DSN(t, dialect) // its admin connection lives until the test ends
			before := runtime.NumGoroutine()
			cfg, err := config.Load([]string{"-database-url", dsn, "-addr", "127.0.0.1:0", "-demo",
				"-session-key", secretbox.NewKey(), "-encryption-key", secretbox.NewKey()},
				func(string) string { return "" }, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			var logs syncBuffer
			p, err := assembly.Open(context.Background(), cfg,
				assembly.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			if err != nil {
				t.Fatal(err)
			}
			// The demo makes the configured admin an admin of its app.
			if _, err := p.Store().AddUser(context.Background(), cfg.AdminEmail, "a long enough password", "Default", hook.RoleAdmin); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			ran := make(chan error, 1)
			go func() { ran <- p.Run(ctx) }()

			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
			deadline := time.Now().Add(20 * time.Second)
			for {
				resp, err := client.Get(p.URL() + "/readyz")
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						break
					}
				}
				if time.Now().After(deadline) {
					t.Fatalf("not ready: %v\n%s", err, logs.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err := p.Run(ctx); err == nil {
				t.Error("a second Run started the program again")
			}

			cancel()
			select {
			case err := <-ran:
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}

			want := []string{"log", "demo receiver", "retention", "chart roll-up", "clean-up", "delivery", "demo events", "http"}
			if got := parts(logs.String(), "started"); !slices.Equal(got, want) {
				t.Errorf("started %q, want each once, in the order %q", got, want)
			}
			slices.Reverse(want)
			if got := parts(logs.String(), "stopped"); !slices.Equal(got, want) {
				t.Errorf("stopped %q, want %q", got, want)
			}
			if c, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
				c.Close()
				t.Error("still listening after Run returned")
			}
			// Everything Run started has ended: the goroutines are as
			// before (the database driver may take a moment to let go).
			for end := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > before; {
				if time.Now().After(end) {
					buf := make([]byte, 1<<20)
					t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// With HOOKBOARD_FRAME_ANCESTORS set but no https:// public URL, the start
// says that framed portal sessions need HTTPS; with one, it says nothing.
func TestFramingWithoutHTTPSWarns(t *testing.T) {
	for _, public := range []string{"", "https://hooks.example.com"} {
		env := map[string]string{"HOOKBOARD_FRAME_ANCESTORS": "https://shop.example.com", "HOOKBOARD_PUBLIC_URL": public}
		cfg, err := config.Load([]string{"-database-url", "sqlite://" + t.TempDir() + "/h.db", "-addr", "127.0.0.1:0",
			"-session-key", secretbox.NewKey(), "-encryption-key", secretbox.NewKey()},
			func(k string) string { return env[k] }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		var logs syncBuffer
		p, err := assembly.Open(context.Background(), cfg, assembly.WithoutListener(),
			assembly.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		if err != nil {
			t.Fatal(err)
		}
		p.Close()
		warned := regexp.MustCompile(`level=WARN msg="HOOKBOARD_FRAME_ANCESTORS is set`).MatchString(logs.String())
		if warned != (public == "") {
			t.Errorf("public URL %q: warned %v\n%s", public, warned, logs.String())
		}
	}
}

// WithLogOutput logs as serve does, in batches: while the program runs, a
// request's line reaches the output within moments (the "log" part's
// flushes), and after Close every line is there, the last one included.
func TestLogOutputIsWrittenWhileRunningAndAtClose(t *testing.T) {
	cfg, err := config.Load([]string{"-database-url", "sqlite://" + t.TempDir() + "/h.db", "-addr", "127.0.0.1:0",
		"-session-key", secretbox.NewKey(), "-encryption-key", secretbox.NewKey()},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	p, err := assembly.Open(context.Background(), cfg, assembly.WithLogOutput(logbuf.New(&out)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- p.Run(ctx) }()
	requested := regexp.MustCompile(`msg=request method=GET path=/readyz .*status=200`)
	for deadline := time.Now().Add(20 * time.Second); !requested.MatchString(out.String()); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no request line while running:\n%s", out.String())
		}
		if resp, err := http.Get(p.URL() + "/readyz"); err == nil {
			resp.Body.Close()
		}
	}
	cancel()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "level=INFO msg=stopped") {
		t.Errorf("the last line is not written after Close:\n%s", out.String())
	}
}
