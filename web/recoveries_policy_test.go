package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

// Replay missing on a FIFO webhook is refused with the reason on the
// form's page, preview and start alike (422); no job is made.
func TestReplayMissingRefusedOnFIFO(t *testing.T) {
	f := newRecoveryFixtureOn(t, store.SQLite)
	f.send(2, "invoice.paid", true)
	f.clock.Advance(time.Minute)
	in := hook.WebhookInput{Name: "Ordered", URL: "http://127.0.0.1:1/never", Events: []string{"invoice.paid"}, Active: true,
		AuthType: hook.AuthNone, Ordering: hook.OrderingFIFO}
	wh, _, err := f.store.CreateWebhook(context.Background(), hook.Actor{Label: "test"}, f.acme.ID, in, hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	since := when(f.clock.Now().Add(-time.Hour))
	a := f.admin()
	_, doc := a.get(f.webhookPage(wh))
	if doc.Find("form[data-testid=replay]").Length() != 0 || !strings.Contains(text(doc, "[data-testid=replay-fifo]"), "out of order") {
		t.Error("the FIFO webhook's page offers Replay missing instead of saying why not")
	}
	// The preview asked for all the same (an old page, a typed URL) says why.
	resp, doc := a.get(f.webhookPage(wh) + "/replay?" + url.Values{"since": {since}}.Encode())
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if got := text(doc, "[data-testid=recovery-refused]"); !strings.Contains(got, "in order (FIFO)") {
		t.Errorf("refusal %q does not say why", got)
	}
	if doc.Find("form[data-testid=confirm-recovery]").Length() != 0 {
		t.Error("a refused replay offers Confirm")
	}
	resp, _ = a.post(f.webhookPage(wh)+"/replay", url.Values{"since": {since}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	jobs, _, err := f.store.ListRecoveries(context.Background(), f.acme.ID, store.RecoveryFilter{})
	if err != nil || len(jobs) != 0 {
		t.Errorf("%d jobs after a refused replay, %v", len(jobs), err)
	}
}

// The preview of a recovery to a webhook limited below the job's rate
// paces it at the limit, says so, and estimates the time by it; so does
// the job's page.
func TestRecoverPreviewAtRateLimit(t *testing.T) {
	f := newRecoveryFixtureOn(t, store.SQLite)
	f.send(3, "invoice.paid", true) // fail to Billing (down)
	in := hook.WebhookInput{Name: f.down.Name, URL: f.down.URL, Events: f.down.Events, Active: true, AuthType: hook.AuthNone, RateLimit: 1}
	if _, err := f.store.UpdateWebhook(context.Background(), hook.Actor{Label: "test"}, f.acme.ID, f.down.ID, in, hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	a := f.admin()
	_, doc := a.get(f.webhookPage(f.down))
	resp, doc := a.submit(doc.Find("form[data-testid=recover]"), url.Values{"since": {when(f.clock.Now().Add(-time.Hour))}})
	wantStatus(t, resp, http.StatusOK)
	count := doc.Find("[data-testid=recover-count]")
	if count.AttrOr("data-count", "") != "3" || count.AttrOr("data-rate", "") != "1" {
		t.Fatalf("preview count %q at rate %q, want 3 at the limit 1", count.AttrOr("data-count", ""), count.AttrOr("data-rate", ""))
	}
	if got := text(doc, "[data-testid=recover-count]"); !strings.Contains(got, "rate limit") || text(doc, "[data-field=duration]") == "" {
		t.Errorf("preview %q does not say the rate limit sets the pace", got)
	}
	_, job := startedJob(t, a, first(a.submit(doc.Find("form[data-testid=confirm-recovery]"), nil)))
	if got := text(job, "[data-field=rate]"); !strings.Contains(got, "rate limit, 1 per second") {
		t.Errorf("job page rate %q does not name the webhook's limit", got)
	}
}

// The API refuses Replay missing on a FIFO webhook: 422 with its own code
// (not "nothing-matches").
func TestAPIReplayMissingRefusedOnFIFO(t *testing.T) {
	e := newAPIEnv(t)
	p := "/api/v1/apps/" + e.app.ID
	_, out, _ := e.call("POST", p+"/webhooks", b+"/webhooks", `{"name":"F","url":"`+e.receiver.URL+`","events":["*"],"ordering":"fifo"}`)
	wh := out["data"].(map[string]any)["id"].(string)
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	resp, out, _ := e.call("POST", p+"/webhooks/"+wh+"/replay-missing", b+"/webhooks/{id}/replay-missing", `{"since":"`+since+`"}`)
	if resp.StatusCode != http.StatusUnprocessableEntity || out["code"] != "fifo-webhook" || !strings.Contains(out["detail"].(string)+out["title"].(string), "FIFO") {
		t.Errorf("replay to a FIFO webhook: %d %v", resp.StatusCode, out)
	}
}
