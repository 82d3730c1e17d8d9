package assembly

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hookboard/hookboard/internal/config"
)

// MaxHeaderBytes caps a request's line and headers. The largest honest
// request carries a session cookie and a few headers (a few KiB); net/http's
// default of 1 MiB lets every connection hold a megabyte. Larger requests get
// 431.
const MaxHeaderBytes = 64 << 10

// newHTTPServer is the one place the HTTP server is configured: Run uses it
// and the slow-client tests measure what it builds. Every timeout is set, so
// a client that sends slowly, or not at all, is dropped instead of holding
// its connection and goroutine for ever.
func newHTTPServer(t config.HTTPTimeouts, h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          log.New(newServerErrorLog(logger, time.Now), "", 0),
	}
}

// shutdownHTTP stops accepting, lets requests in flight finish within grace,
// then closes whatever is left (a client trickling a body, a handler that
// does not return), so a stop never waits on a client. It reports whether
// connections had to be closed.
func shutdownHTTP(srv *http.Server, grace time.Duration) (forced bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err = srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// Shutdown has closed the listener already.
		if err := srv.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			return true, err
		}
		return true, nil
	}
	return false, err
}

// serverErrorLog carries net/http's own messages into slog. A client can
// cause some of them at will (Accept failing in a loop once connections use
// up the file descriptors, broken TLS handshakes), so at most one line a
// second is written, and the next one counts what was left out. Handshake
// errors are the client's business and go to Debug.
type serverErrorLog struct {
	log *slog.Logger
	now func() time.Time

	mu         sync.Mutex
	last       time.Time
	suppressed int
}

const serverErrorLogEvery = time.Second

func newServerErrorLog(logger *slog.Logger, now func() time.Time) *serverErrorLog {
	return &serverErrorLog{log: logger, now: now}
}

func (l *serverErrorLog) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	level := slog.LevelWarn
	switch {
	case strings.HasPrefix(msg, "http: TLS handshake error"):
		level = slog.LevelDebug
	case strings.HasPrefix(msg, "http: panic serving"):
		level = slog.LevelError
	}
	ctx := context.Background()
	if !l.log.Enabled(ctx, level) {
		return len(p), nil
	}
	l.mu.Lock()
	now := l.now()
	if !l.last.IsZero() && now.Sub(l.last) < serverErrorLogEvery {
		l.suppressed++
		l.mu.Unlock()
		return len(p), nil
	}
	l.last = now
	suppressed := l.suppressed
	l.suppressed = 0
	l.mu.Unlock()
	attrs := []any{"source", "net/http"}
	if suppressed > 0 {
		attrs = append(attrs, "suppressed_since_last", suppressed)
	}
	l.log.Log(ctx, level, msg, attrs...)
	return len(p), nil
}
