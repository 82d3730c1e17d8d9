package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hookboard/hookboard/internal/assembly"
	hbbrowser "github.com/hookboard/hookboard/internal/browser"
	"github.com/hookboard/hookboard/internal/config"
	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/secretbox"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// TestRecoveryProgressMovesByItself: the whole program runs (sender and
// job runner under Run, as serve runs them) against a real receiver that
// was gone while 20 deliveries failed and is back. The admin previews
// a recovery and confirms it; the job's page then shows its progress
// moving and the job ending without a reload, and its counts add up.
func TestRecoveryProgressMovesByItself(t *testing.T) {
	const n, rate = 20, 5 // four seconds of sending
	e, received, since := newRecoveryEnv(t, n, rate)
	e.do(chromedp.Navigate(e.base+"/apps/"+e.app.ID+"/webhooks/"+e.webhook.ID+"/recover?since="+url.QueryEscape(since)),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=recover-count]")))
	if got := run(e, chromedp.AttributeValue(chromedp.CSS("[data-testid=recover-count]"), "data-count")).Value; got != strconv.Itoa(n) {
		t.Fatalf("preview counts %q, want %d", got, n)
	}
	e.screenshot("preview")
	e.do(chromedp.Click(chromedp.CSS("form[data-testid=confirm-recovery] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("progress[data-testid=recover-progress]")))
	// A mark on this document: a reload would lose it.
	run(e, chromedp.Evaluate[bool](`window.sameDocument = true`))
	first := run(e, chromedp.Evaluate[int](`Number(document.querySelector("progress[data-testid=recover-progress]").value)`))
	if first >= n {
		t.Fatalf("the job was done before its page showed it (%d of %d): nothing to watch", first, n)
	}
	moved := fmt.Sprintf(`window.sameDocument === true && Number(document.body.dataset.recoveryRefreshes || 0) > 0 &&
		Number(document.querySelector("progress[data-testid=recover-progress]").value) > %d &&
		Number(document.querySelector("progress[data-testid=recover-progress]").value) < %d`, first, n)
	if _, err := chromedp.Run(e.ctx, chromedp.Poll[bool](moved, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		e.screenshot("not-moving")
		t.Fatalf("the progress did not move by itself mid-way: %v", err)
	}
	e.screenshot("running")
	done := `window.sameDocument === true && document.querySelector("[data-field=status]").textContent.trim() === "done"`
	if _, err := chromedp.Run(e.ctx, chromedp.Poll[bool](done, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		e.screenshot("not-done")
		t.Fatalf("the job did not end on the page by itself: %v", err)
	}
	e.screenshot("done")
	figure := func(field string) int {
		return run(e, chromedp.Evaluate[int](fmt.Sprintf(`Number(document.querySelector("[data-field=%s]").textContent)`, field)))
	}
	total, ok, failed, skipped := figure("total"), figure("succeeded"), figure("failed"), figure("skipped")
	if total != n || ok+failed+skipped != total || ok == 0 {
		t.Errorf("done: total %d = succeeded %d + failed %d + skipped %d?", total, ok, failed, skipped)
	}
	if v := run(e, chromedp.Evaluate[int](`Number(document.querySelector("progress[data-testid=recover-progress]").value)`)); v != n {
		t.Errorf("progress at the end: %d of %d", v, n)
	}
	if c := run(e, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=cancel-recovery]").length`)); c != 0 {
		t.Error("Cancel is still offered on a finished job")
	}
	if int(received.Load()) < ok {
		t.Errorf("the receiver got %d requests, the job counts %d succeeded", received.Load(), ok)
	}
}

// TestRecoveryStopFromItsPage: Stop on a running job's page asks in a
// dialog, and once confirmed the job ends as cancelled, sends nothing more,
// and its page no longer offers Stop.
func TestRecoveryStopFromItsPage(t *testing.T) {
	const n, rate = 20, 2 // ten seconds of sending: time to stop it
	e, received, since := newRecoveryEnv(t, n, rate)
	e.do(chromedp.Navigate(e.base+"/apps/"+e.app.ID+"/webhooks/"+e.webhook.ID+"/recover?since="+url.QueryEscape(since)),
		chromedp.Click(chromedp.CSS("form[data-testid=confirm-recovery] button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("form[data-testid=cancel-recovery]")),
		chromedp.Click(chromedp.CSS("form[data-testid=cancel-recovery] button")),
		chromedp.WaitVisible(chromedp.CSS("dialog[open] [data-testid=confirm-ok]")))
	e.screenshot("stop-dialog")
	e.do(chromedp.Click(chromedp.CSS("dialog[open] [data-testid=confirm-ok]")))
	// The form posts and the job's page loads again: wait across the navigation.
	waitFor(t, 10*time.Second, "the job's page to say cancelled", func() bool {
		st, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](`(document.querySelector("[data-field=status] [data-status]") || {}).textContent || ""`))
		return err == nil && st == "cancelled"
	})
	if c := run(e, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=cancel-recovery]").length`)); c != 0 {
		t.Error("a cancelled job still offers Stop")
	}
	e.screenshot("stopped")
	// Within a second of the cancel, nothing more is sent.
	time.Sleep(time.Second)
	got := received.Load()
	time.Sleep(1500 * time.Millisecond)
	if more := received.Load(); more != got || more >= n {
		t.Errorf("after the cancel the receiver got %d, then %d more (of %d)", got, more-got, n)
	}
}

// newRecoveryEnv runs the whole program (sender and job runner under Run,
// as serve runs them, jobs at rate per second) with an admin and a webhook
// whose receiver was gone (410) while n deliveries failed, and is back; it
// returns the env with Chromium signed in, the receiver's count of
// requests since it is back, and a since that covers the failures.
func newRecoveryEnv(t *testing.T, n, rate int) (*env, *atomic.Int64, string) {
	t.Helper()
	if _, err := hbbrowser.Path(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %v", err)
		}
		t.Skipf("skipping browser test: %v", err)
	}
	var down atomic.Bool
	down.Store(true)
	received := &atomic.Int64{}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			// Gone: the deliveries fail for good at once, so no retry
			// of the sender's own competes with the job.
			w.WriteHeader(http.StatusGone)
			return
		}
		received.Add(1)
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(receiver.Close)

	vars := map[string]string{"HOOKBOARD_RECOVERY_RATE": strconv.Itoa(rate)}
	cfg, err := config.Load([]string{"-database-url", storetest.DSN(t, store.SQLite), "-addr", "127.0.0.1:0",
		"-allow-private-targets", "true", "-allow-http-targets", "true",
		"-session-key", secretbox.NewKey(), "-encryption-key", secretbox.NewKey()},
		func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	p, err := assembly.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- p.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		<-ran
	})

	e := &env{t: t, st: p.Store(), base: p.URL()}
	bg := context.Background()
	res, err := e.st.AddUser(bg, "admin@acme.test", password, "Acme", hook.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	e.app = res.App
	if _, err := e.st.CreateEventType(bg, hook.Actor{}, e.app.ID, hook.EventTypeInput{Name: "invoice.paid"}); err != nil {
		t.Fatal(err)
	}
	e.webhook, _, err = e.st.CreateWebhook(bg, hook.Actor{}, e.app.ID, hook.WebhookInput{
		Name: "Billing", URL: receiver.URL + "/hooks", Events: []string{"*"}, Active: true, AuthType: hook.AuthNone,
	}, hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	since := time.Now().Add(-time.Minute).UTC().Format("2006-01-02T15:04")
	for i := range n {
		if _, err := e.st.IngestEvent(bg, e.app.ID, "invoice.paid", []byte(fmt.Sprintf(`{"n":%d}`, i)), ""); err != nil {
			t.Fatal(err)
		}
	}
	// The endpoint is down: every delivery fails.
	waitFor(t, 20*time.Second, "every delivery failed", func() bool {
		var failed int
		e.st.DB().Get(&failed, e.st.DB().Rebind(`SELECT COUNT(*) FROM deliveries WHERE webhook_id = ? AND status = 'failed'`), e.webhook.ID)
		return failed == n
	})
	down.Store(false)

	e.startBrowser(1280)
	return e, received, since
}

// startBrowser starts Chromium at width×900 and signs in as the admin.
func (e *env) startBrowser(width int) {
	e.t.Helper()
	bctx, cancel, err := hbbrowser.New(context.Background(), width, 900)
	if err != nil {
		e.t.Fatalf("start chromium: %v", err)
	}
	e.t.Cleanup(cancel)
	bctx, cancelT := context.WithTimeout(bctx, 90*time.Second)
	e.t.Cleanup(cancelT)
	e.ctx = bctx
	e.t.Cleanup(func() {
		if e.t.Failed() {
			e.screenshot("failure")
		}
	})
	e.do(chromedp.EmulateViewport(int64(width), 900),
		chromedp.Navigate(e.base+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), "admin@acme.test"),
		chromedp.SendKeys(chromedp.CSS("#password"), password+"\r"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=current-app]")),
	)
}

// waitFor polls cond until it holds or within passes.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
