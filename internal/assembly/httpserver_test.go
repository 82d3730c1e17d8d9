package assembly

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/config"
)

// TestServerErrorLogIsRateLimited: net/http logs an Accept error on every
// failed accept, which a client can cause at will by using up the file
// descriptors; the log gets one line a second, saying how many it skipped.
func TestServerErrorLogIsRateLimited(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	srv := newHTTPServer(config.HTTPTimeouts{ReadHeader: time.Second, Read: time.Second, Write: time.Second, Idle: time.Second},
		nil, slog.New(slog.NewTextHandler(&out, nil)))
	srv.ErrorLog.Writer().(*serverErrorLog).now = func() time.Time { return now }
	for i := range 1000 {
		srv.ErrorLog.Printf("http: Accept error: accept tcp: too many open files; retrying in %dms", i%5+1)
	}
	now = now.Add(time.Second)
	srv.ErrorLog.Printf("http: Accept error: accept tcp: too many open files; retrying in 1s")
	srv.ErrorLog.Printf("http: TLS handshake error from 192.0.2.1:1234: EOF") // Debug: not written at all
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), out.String())
	}
	if !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "too many open files") {
		t.Errorf("first line %q", lines[0])
	}
	if want := fmt.Sprintf("suppressed_since_last=%d", 999); !strings.Contains(lines[1], want) {
		t.Errorf("second line %q, want %s", lines[1], want)
	}
}

func TestNewHTTPServerSetsEveryBound(t *testing.T) {
	tm := config.HTTPTimeouts{ReadHeader: 1 * time.Second, Read: 2 * time.Second, Write: 3 * time.Second, Idle: 4 * time.Second, Shutdown: 5 * time.Second}
	srv := newHTTPServer(tm, nil, slog.New(slog.DiscardHandler))
	if srv.ReadHeaderTimeout != tm.ReadHeader || srv.ReadTimeout != tm.Read || srv.WriteTimeout != tm.Write || srv.IdleTimeout != tm.Idle {
		t.Errorf("timeouts %v %v %v %v, want %+v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout, tm)
	}
	if srv.MaxHeaderBytes != 64<<10 {
		t.Errorf("MaxHeaderBytes %d, want 64 KiB", srv.MaxHeaderBytes)
	}
}
