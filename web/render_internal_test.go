package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

// TestRenderFailureShowsErrorPageOnce: a component that fails for a reason
// other than the client leaving gets the error page (500) once, with one
// log line, and never half of the failed page.
func TestRenderFailureShowsErrorPageOnce(t *testing.T) {
	var logs bytes.Buffer
	s := New(Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), SessionKey: make([]byte, 32)})
	failing := templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		io.WriteString(w, "<p>half a page")
		return errors.New("boom")
	})
	rec := httptest.NewRecorder()
	s.render(rec, httptest.NewRequest("GET", "/x", nil), nil, 200, failing)
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `data-testid="error-page"`) || strings.Contains(rec.Body.String(), "half a page") {
		t.Errorf("status %d, body %.300s", rec.Code, rec.Body)
	}
	if n := strings.Count(logs.String(), "\n"); n != 1 || !strings.Contains(logs.String(), "render failed") {
		t.Errorf("%d log lines: %s", n, logs.String())
	}

	// The client gone: nothing written, nothing logged.
	logs.Reset()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec = httptest.NewRecorder()
	s.render(rec, httptest.NewRequest("GET", "/x", nil).WithContext(ctx), nil, 200, failing)
	if rec.Body.Len() != 0 || logs.Len() != 0 {
		t.Errorf("client gone: wrote %q, logged %q", rec.Body, logs.String())
	}
}
