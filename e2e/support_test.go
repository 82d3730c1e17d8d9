package e2e

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// waitRefreshes waits until auto-refresh has replaced the page's content n
// times (app.js counts them on body's data-refreshes).
func (e *env) waitRefreshes(n int) {
	e.t.Helper()
	expr := `Number(document.body.dataset.refreshes || 0) >= ` + strconv.Itoa(n)
	if _, err := chromedp.Run(e.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		got, _ := chromedp.Run(e.ctx, chromedp.Evaluate[string](`document.body.dataset.refreshes || "0"`))
		e.t.Fatalf("%s refreshes, want %d: %v", got, n, err)
	}
}

// On a retrying delivery whose next attempt is due soon, the page refreshes
// itself; after two refreshes Copy still copies and the tabs still switch
// without a reload.
func TestCopyAndTabsAfterTwoRefreshes(t *testing.T) {
	e := newEnv(t, 1280)
	e.fail = true
	id, _ := e.deliveryPage(true) // 503: retrying, next attempt in 5 s
	if st := run(e, chromedp.AttributeValue(chromedp.CSS("dd[data-field=status]"), "data-status")); st.Value != "retrying" {
		t.Fatalf("status %q", st.Value)
	}
	e.do(chromedp.Evaluate[chromedp.Void]("window.__noReload = true; document.querySelector('[data-testid=payload]').dataset.original = 'yes'"))
	e.waitRefreshes(2)
	if replaced := run(e, chromedp.Evaluate[bool]("document.querySelector('[data-testid=payload]').dataset.original !== 'yes'")); !replaced {
		t.Fatal("the content was not replaced by the refresh")
	}

	// Copy works on the refreshed content.
	shown := run(e, chromedp.Text(chromedp.CSS("[data-testid=payload]")))
	e.do(chromedp.Click(chromedp.CSS("[data-testid=copy-payload]")))
	e.waitText("[data-testid=copy-payload]", "Copied")
	if got := e.clipboard(); got != shown || !strings.Contains(got, `"amount": 4200`) {
		t.Errorf("clipboard %q, want the payload", got)
	}

	// The tabs switch in place, both ways.
	e.do(chromedp.Click(chromedp.CSS("[data-tab=response]")), chromedp.WaitVisible(chromedp.CSS("#tab-response [data-testid=attempt]")))
	if hidden := run(e, chromedp.Evaluate[bool]("document.getElementById('tab-request').hidden")); !hidden {
		t.Error("request panel still shown")
	}
	if loc := run(e, chromedp.Location()); !strings.HasSuffix(loc, "/deliveries/"+id+"?tab=response") {
		t.Errorf("location %s does not name the tab", loc)
	}
	// A further refresh keeps the tab chosen.
	e.waitRefreshes(3)
	if hidden := run(e, chromedp.Evaluate[bool]("document.getElementById('tab-response').hidden")); hidden {
		t.Error("a refresh switched back from the response tab")
	}
	e.do(chromedp.Click(chromedp.CSS("[data-tab=request]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=request-headers]")))
	if still := run(e, chromedp.Evaluate[bool]("window.__noReload === true")); !still {
		t.Error("the page reloaded")
	}
}

// When the next attempt is more than a minute away, the page does not
// refresh (and a page that was refreshing stops once it gets there).
func TestAutoRefreshStopsWhenNextAttemptIsFar(t *testing.T) {
	e := newEnv(t, 1280)
	e.fail = true
	ctx := context.Background()
	id, _ := e.deliveryPage(true) // retrying, next attempt in 5 s
	if on := run(e, chromedp.Evaluate[string]("document.body.dataset.autorefresh")); on != "on" {
		t.Fatalf("autorefresh %q on a delivery due in 5 s", on)
	}
	// The second attempt fails too: the next is 5 minutes away.
	if _, err := e.st.DB().ExecContext(ctx, e.st.DB().Rebind(`UPDATE deliveries SET next_attempt_at = ? WHERE id = ?`), time.Now().Add(-time.Second), id); err != nil {
		t.Fatal(err)
	}
	e.drv.Step()
	if _, err := chromedp.Run(e.ctx, chromedp.Poll[bool](`document.body.dataset.autorefresh === "off"`, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatalf("the refresh did not stop with the next attempt 5 min away: %v", err)
	}
	n := run(e, chromedp.Evaluate[string](`document.body.dataset.refreshes || "0"`))
	if got := run(e, chromedp.Text(chromedp.CSS("dd[data-field=attempts]"))); got != "2" {
		t.Errorf("attempts %q after the last refresh", got)
	}

	// Opened afresh, the page does not refresh at all.
	e.do(chromedp.Navigate(e.base+"/apps/"+e.app.ID+"/deliveries/"+id), chromedp.WaitVisible(chromedp.CSS("[data-testid=payload]")))
	if on := run(e, chromedp.Evaluate[string]("document.body.dataset.autorefresh")); on != "off" {
		t.Errorf("autorefresh %q with the next attempt 5 min away", on)
	}
	time.Sleep(5 * time.Second) // longer than one refresh period
	if got := run(e, chromedp.Evaluate[string](`document.body.dataset.refreshes || "0"`)); got != "0" {
		t.Errorf("%s refreshes (before: %s) with the next attempt far away", got, n)
	}
}

// Dates show relative to now, with the exact UTC time in datetime and
// title, on the event log and the event page; the whole row opens the
// details.
func TestRelativeTimes(t *testing.T) {
	e := newEnv(t, 1280)
	id, _ := e.deliveryPage(true)
	e.do(chromedp.Navigate(e.base+"/apps/"+e.app.ID+"/events"), chromedp.WaitVisible(chromedp.CSS("table[data-testid=deliveries]")))
	sel := `tr[data-delivery-id="` + id + `"] [data-field=date] time`
	txt := run(e, chromedp.Text(chromedp.CSS(sel)))
	if !regexp.MustCompile(`^(just now|[0-9]+ s ago)$`).MatchString(txt) {
		t.Errorf("date shows %q, want a relative time", txt)
	}
	title := run(e, chromedp.AttributeValue(chromedp.CSS(sel), "title"))
	dt := run(e, chromedp.AttributeValue(chromedp.CSS(sel), "datetime"))
	at, err := time.Parse(time.RFC3339, dt.Value)
	if err != nil || time.Since(at) > time.Minute || title.Value != at.UTC().Format("2006-01-02 15:04:05")+" UTC" {
		t.Errorf("datetime %q title %q", dt.Value, title.Value)
	}
	// The browser keeps the words fresh: an hour-old date says so.
	old := at.Add(-time.Hour).UTC().Format(time.RFC3339)
	e.do(chromedp.Evaluate[chromedp.Void](`document.querySelector(` + jsString(sel) + `).setAttribute("datetime", ` + jsString(old) + `)`))
	if _, err := chromedp.Run(e.ctx, chromedp.Poll[bool](`document.querySelector(`+jsString(sel)+`).textContent === "1 h ago"`, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
		t.Errorf("relative time not refreshed: %v", err)
	}

	// A click anywhere on the row (here: its attempt count) opens the details.
	e.do(chromedp.Click(chromedp.CSS(`tr[data-delivery-id="`+id+`"] [data-field=attempts]`)), chromedp.WaitVisible(chromedp.CSS("dd[data-field=event-log-id]")))
	if loc := run(e, chromedp.Location()); !strings.HasSuffix(loc, "/deliveries/"+id) {
		t.Errorf("row click went to %s", loc)
	}
	e.screenshot("delivery")
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
