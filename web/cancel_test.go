package web_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/store/storetest"
	"github.com/hookboard/hookboard/web"
)

// logLines collects a server's log output and stops a runaway: past
// maxLogLines lines (the old render → error page → render recursion wrote
// 100k lines) it panics, so the test fails instead of filling the disk or
// overflowing the stack.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

const maxLogLines = 50

var errRunawayLog = fmt.Errorf("more than %d log lines for one request", maxLogLines)

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		l.lines = append(l.lines, line)
	}
	if len(l.lines) > maxLogLines {
		panic(errRunawayLog)
	}
	return len(p), nil
}

func (l *logLines) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.lines
	l.lines = nil
	return out
}

// countingWriter records every WriteHeader and Write a handler makes.
type countingWriter struct {
	header      http.Header
	writeHeader int
	writes      int
	body        bytes.Buffer
}

func (w *countingWriter) Header() http.Header { return w.header }
func (w *countingWriter) WriteHeader(int)     { w.writeHeader++ }
func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.body.Write(p)
}

// cancelOnDone is a request context that cancels itself at the n-th call
// of Done: database/sql asks for Done before every query, and templ's
// components check the context before rendering, so n = 1, 2, 3, … cancels
// the request at each store call and render of the handler in turn.
type cancelOnDone struct {
	context.Context
	cancel context.CancelFunc
	n      int64
	calls  atomic.Int64
}

func (c *cancelOnDone) Done() <-chan struct{} {
	if c.calls.Add(1) == c.n {
		c.cancel()
	}
	return c.Context.Done()
}

func (c *cancelOnDone) fired() bool { return c.calls.Load() >= c.n }

// TestCancelledRequests walks every route of routes.go (Server.Routes, so
// routes added later are covered too), on each database, with a request
// whose context is cancelled before the handler runs, and then at each
// context check during it. Whatever the point, a client that goes away
// costs the one request log line (marked client_gone when nothing was
// sent), no error line, no panic and at most one response (one
// WriteHeader). Cancelled before the handler, that line is all; during it,
// an action that finished before the cancel may add its own record
// ("webhook deleted"), as it would for a client that stayed.
func TestCancelledRequests(t *testing.T) {
	routes := newMatrixFixture(t).server.Routes()
	if len(routes) < 50 {
		t.Fatalf("only %d routes", len(routes))
	}
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { testCancelledRequests(t, dialect, routes) })
	}
}

func testCancelledRequests(t *testing.T, dialect string, routes []string) {
	for _, pattern := range routes {
		t.Run(pattern, func(t *testing.T) {
			f := newMatrixFixtureOn(t, dialect)
			logs := &logLines{}
			snd := sender.New(sender.Options{Store: f.h.store, AllowPrivate: true})
			srv := web.New(web.Options{Store: f.h.store, Deliverer: sender.NewService(f.h.store, snd), Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
				SessionKey: make([]byte, 32), Targets: hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}})
			cookie := signInCookie(t, srv)
			logs.take()
			method, _, ok := strings.Cut(pattern, " ")
			if !ok {
				method = http.MethodGet
			}
			api := strings.Contains(pattern, " /api/v1/apps/")
			newRequest := func(ctx context.Context) *http.Request {
				req := httptest.NewRequestWithContext(ctx, method, f.path(pattern), strings.NewReader(matrix[pattern].body))
				if api {
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+f.key)
				} else {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					req.Header.Set("Cookie", cookie)
				}
				return req
			}
			// maxOther is how many lines besides the request line may come:
			// none when cancelled before the handler, and during it one
			// record of an action that finished before the cancel.
			run := func(name string, ctx context.Context, cancelled func() bool, maxOther int) {
				t.Helper()
				w := &countingWriter{header: http.Header{}}
				func() {
					defer func() {
						if v := recover(); v != nil {
							t.Errorf("%s: panic: %v", name, v)
						}
					}()
					srv.ServeHTTP(w, newRequest(ctx))
				}()
				lines := logs.take()
				if w.writeHeader > 1 {
					t.Errorf("%s: %d WriteHeader calls: a second response", name, w.writeHeader)
				}
				var access, other []string
				logged := false
				for _, l := range lines {
					if strings.Contains(l, "msg=request ") {
						access = append(access, l)
					} else {
						other = append(other, l)
					}
					if (strings.Contains(l, "level=ERROR") || strings.Contains(l, "level=WARN")) && !logged {
						t.Errorf("%s: the client going away is no error: %s", name, l)
						logged = true
					}
				}
				if len(access) != 1 || len(other) > maxOther {
					t.Errorf("%s: %d log lines, want the request line and at most %d other:\n%s", name, len(lines), maxOther, strings.Join(lines, "\n"))
				}
				if answered := w.writeHeader+w.writes > 0; cancelled() && !answered && len(access) == 1 && !strings.Contains(access[0], "client_gone=true") {
					t.Errorf("%s: no answer, and the request line does not say the client went away: %s", name, access[0])
				}
			}

			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			run("cancelled before", ctx, func() bool { return true }, 0)

			// A form that adds a row (an API key) adds a context check per
			// row to the next run's page, so those walks stop at the cap.
			const maxChecks = 300
			for n := int64(1); n <= maxChecks; n++ {
				base, cancel := context.WithCancel(context.Background())
				c := &cancelOnDone{Context: base, cancel: cancel, n: n}
				run(fmt.Sprintf("cancelled at context check %d", n), c, c.fired, 1)
				cancel()
				if !c.fired() {
					break // the request finished before its n-th check: every point is done
				}
			}
		})
	}
}
