package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
	"github.com/hookboard/hookboard/web"
)

// What a user trying recovery found, each with the page or answer that
// shows it fixed.

// turnOff switches a webhook off, as its edit form does.
func (f *recoveryFixture) turnOff(wh hook.Webhook) {
	f.t.Helper()
	in := hook.WebhookInput{Name: wh.Name, URL: wh.URL, Events: wh.Events, Active: false, AuthType: hook.AuthNone}
	if _, err := f.store.UpdateWebhook(context.Background(), hook.Actor{Label: "test"}, f.acme.ID, wh.ID, in, hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}); err != nil {
		f.t.Fatal(err)
	}
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// Recover on a webhook that is off is refused like Replay (409, page and
// API) instead of a job that skips every item; a bulk resend's preview
// says how many of its deliveries go to webhooks that are off, and offers
// no Confirm when all do.
func TestRecoveryOfTurnedOffWebhook(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			f := newRecoveryFixtureOn(t, dialect)
			gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) }))
			t.Cleanup(gone.Close)
			f.mustLocalWebhook("Shop", gone.URL, "*")
			f.gone.Store(true)
			f.send(3, "invoice.paid", true) // Billing and Shop: 3 failed each
			f.turnOff(f.down)
			since := when(f.clock.Now().Add(-time.Hour))
			a := f.admin()

			_, doc := a.get(f.webhookPage(f.down))
			if doc.Find("form[data-testid=recover]").Length() != 0 || doc.Find("[data-testid=recovery-off]").Length() != 1 {
				t.Error("the page of a webhook that is off offers Recover, or does not say why not")
			}
			base := f.webhookPage(f.down) + "/recover"
			for _, post := range []bool{false, true} {
				var resp *http.Response
				if post {
					resp, doc = a.post(base, url.Values{"since": {since}})
				} else {
					resp, doc = a.get(base + "?since=" + url.QueryEscape(since))
				}
				wantStatus(t, resp, http.StatusConflict)
				if !strings.Contains(text(doc, "[data-testid=recovery-refused]"), "turned off") || doc.Find("form[data-testid=confirm-recovery]").Length() != 0 {
					t.Errorf("recover of an off webhook (post %v): %q, Confirm %d", post, text(doc, "[data-testid=recovery-refused]"), doc.Find("form[data-testid=confirm-recovery]").Length())
				}
			}
			key := f.apiKey(f.acme.ID)
			api := "/api/v1/apps/" + f.acme.ID
			resp, out := apiCall(t, f.srv.URL, "POST", api+"/webhooks/"+f.down.ID+"/recover", key, `{"since":"`+f.clock.Now().Add(-time.Hour).Format(time.RFC3339)+`"}`)
			if resp.StatusCode != http.StatusConflict || !strings.Contains(out["detail"].(string), "turned off") {
				t.Errorf("API recover of an off webhook: %d %v", resp.StatusCode, out)
			}

			// Bulk resend over both: 3 of 6 are skipped, and it says so.
			bulk := "/apps/" + f.acme.ID + "/deliveries/bulk-resend"
			resp, doc = a.get(bulk + "?status=failed")
			wantStatus(t, resp, http.StatusOK)
			if c := doc.Find("[data-testid=recover-count]").AttrOr("data-count", ""); c != "6" || text(doc, "[data-testid=recovery-off] [data-field=off]") != "3" {
				t.Errorf("bulk preview: count %q, off %q (%q)", c, text(doc, "[data-testid=recovery-off] [data-field=off]"), squash(text(doc, "[data-testid=recovery-off]")))
			}
			if doc.Find("form[data-testid=confirm-recovery]").Length() != 1 {
				t.Error("bulk preview: no Confirm though 3 would go")
			}
			// Only the webhook that is off: nothing would go, no Confirm, start refused.
			resp, doc = a.get(bulk + "?webhook=" + f.down.ID)
			wantStatus(t, resp, http.StatusOK)
			if doc.Find("form[data-testid=confirm-recovery]").Length() != 0 || !strings.Contains(text(doc, "[data-testid=recovery-off]"), "skip every one") {
				t.Errorf("bulk preview of an off webhook offers Confirm, or says %q", squash(text(doc, "[data-testid=recovery-off]")))
			}
			resp, doc = a.post(bulk, url.Values{"webhook": {f.down.ID}})
			wantStatus(t, resp, http.StatusConflict)
			if !strings.Contains(text(doc, "[data-testid=recovery-refused]"), "turned-off") {
				t.Errorf("bulk start of an off webhook: %q", text(doc, "[data-testid=recovery-refused]"))
			}
			resp, out = apiCall(t, f.srv.URL, "POST", api+"/deliveries/bulk-resend", key, `{"webhookId":"`+f.down.ID+`"}`)
			if resp.StatusCode != http.StatusConflict {
				t.Errorf("API bulk resend of an off webhook: %d %v", resp.StatusCode, out)
			}
			if jobs, _, err := f.store.ListRecoveries(context.Background(), f.acme.ID, store.RecoveryFilter{}); err != nil || len(jobs) != 0 {
				t.Errorf("%d jobs started (%v), want none", len(jobs), err)
			}
		})
	}
}

// A bulk resend over a webhook with a job running says so in its preview
// (no Confirm), and its refused start names the webhook and links the job;
// the API's 409 carries webhookId and recoveryId.
func TestBulkResendNamesTheRunningJob(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			f := newRecoveryFixtureOn(t, dialect)
			f.gone.Store(true)
			f.send(2, "invoice.paid", true)
			a := f.admin()
			resp, doc := a.get(f.webhookPage(f.down) + "/recover?since=" + url.QueryEscape(when(f.clock.Now().Add(-time.Hour))))
			wantStatus(t, resp, http.StatusOK)
			id, _ := startedJob(t, a, first(a.submit(doc.Find("form[data-testid=confirm-recovery]"), nil)))
			jobURL := "/apps/" + f.acme.ID + "/recoveries/" + id

			bulk := "/apps/" + f.acme.ID + "/deliveries/bulk-resend"
			_, doc = a.get(bulk + "?status=failed")
			if doc.Find("[data-testid=running-recovery] a[data-testid=running-job]").AttrOr("href", "") != jobURL ||
				text(doc, "[data-testid=running-recovery] [data-testid=running-webhook]") != "Billing" {
				t.Errorf("bulk preview: running notice %q", squash(text(doc, "[data-testid=running-recovery]")))
			}
			if doc.Find("form[data-testid=confirm-recovery]").Length() != 0 {
				t.Error("bulk preview offers Confirm while a job runs for a webhook it covers")
			}
			resp, doc = a.post(bulk, url.Values{"status": {"failed"}})
			wantStatus(t, resp, http.StatusConflict)
			if doc.Find("[data-testid=flash] a[data-testid=conflict-job]").AttrOr("href", "") != jobURL ||
				text(doc, "[data-testid=flash] [data-testid=conflict-webhook]") != "Billing" {
				t.Errorf("409 flash %q", squash(text(doc, "[data-testid=flash]")))
			}
			resp, out := apiCall(t, f.srv.URL, "POST", "/api/v1/apps/"+f.acme.ID+"/deliveries/bulk-resend", f.apiKey(f.acme.ID), `{"status":"failed"}`)
			if resp.StatusCode != http.StatusConflict || out["recoveryId"] != id || out["webhookId"] != f.down.ID || !strings.Contains(out["detail"].(string), "Billing") {
				t.Errorf("API 409: %d %v", resp.StatusCode, out)
			}
		})
	}
}

// A job that ended done with nothing succeeded does not read as success:
// the list has an outcome column and the status says how many succeeded,
// in the failure colour; so does the job page.
func TestRecoveryOutcomeWhenAllFailed(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			f := newRecoveryFixtureOn(t, dialect)
			f.gone.Store(true) // failed for good, and fails again
			f.send(3, "invoice.paid", true)
			a := f.admin()
			_, doc := a.get(f.webhookPage(f.down) + "/recover?since=" + url.QueryEscape(when(f.clock.Now().Add(-time.Hour))))
			id, _ := startedJob(t, a, first(a.submit(doc.Find("form[data-testid=confirm-recovery]"), nil)))
			runUntilDone(t, f, id)

			_, list := a.get("/apps/" + f.acme.ID + "/recoveries")
			row := list.Find(`tr[data-recovery-id="` + id + `"]`)
			if got := squash(row.Find("[data-field=outcome]").Text()); got != "0 succeeded · 3 failed · 0 skipped" {
				t.Errorf("outcome %q", got)
			}
			for name, d := range map[string]*goquery.Selection{"list": row, "page": nil} {
				if d == nil {
					_, page := a.get("/apps/" + f.acme.ID + "/recoveries/" + id)
					d = page.Selection
				}
				st := d.Find("[data-field=status] .status[data-status=done]")
				note := d.Find("[data-field=status-note]")
				if st.Text() != "done" || squash(note.Text()) != "— 0 of 3 succeeded" || !st.HasClass("status-bad") || !note.HasClass("status-bad") {
					t.Errorf("%s: status %q %q, class %q", name, st.Text(), squash(note.Text()), st.AttrOr("class", ""))
				}
			}
		})
	}
}

// runUntilDone runs the recovery runner until job id is done.
func runUntilDone(t *testing.T, f *recoveryFixture, id string) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		sender.NewRecoveryRunner(f.store, f.drv.Sender, sender.RecoveryOptions{Poll: 20 * time.Millisecond}).Run(ctx)
	}()
	defer func() { stop(); <-ran }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		job, err := f.store.GetRecovery(context.Background(), f.acme.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if job.Status == hook.RecoveryDone {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job is %s after 15 s: %+v", job.Status, job)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The date-time inputs have no max (set at load, it refused a time typed
// later in the same minute); the server checks the time.
func TestRecoveryDateTimeInputsHaveNoMax(t *testing.T) {
	f := newRecoveryFixtureOn(t, store.SQLite)
	_, doc := f.admin().get(f.webhookPage(f.down))
	inputs := doc.Find("[data-testid=recovery] input[type=datetime-local]")
	if inputs.Length() != 3 {
		t.Fatalf("%d date-time inputs, want 3", inputs.Length())
	}
	inputs.Each(func(_ int, in *goquery.Selection) {
		if _, ok := in.Attr("max"); ok {
			t.Errorf("%s has max=%q", in.AttrOr("name", ""), in.AttrOr("max", ""))
		}
	})
}

// The API takes since and until only with an offset (RFC 3339), and a
// request that matches nothing says so with a code, not a field.
func TestAPIRecoveryTimesAndNothingMatches(t *testing.T) {
	f := newRecoveryFixtureOn(t, store.SQLite)
	f.gone.Store(true)
	f.send(1, "invoice.paid", true)
	key := f.apiKey(f.acme.ID)
	api := "/api/v1/apps/" + f.acme.ID
	hour := f.clock.Now().Add(-time.Hour)
	for _, since := range []string{hour.Format("2006-01-02T15:04:05"), hour.Format("2006-01-02"), hour.Format("2006-01-02T15:04")} {
		resp, out := apiCall(t, f.srv.URL, "POST", api+"/webhooks/"+f.down.ID+"/recover", key, `{"since":"`+since+`"}`)
		errs, _ := out["errors"].([]any)
		if resp.StatusCode != http.StatusUnprocessableEntity || len(errs) != 1 || !strings.Contains(errs[0].(map[string]any)["message"].(string), "offset") {
			t.Errorf("since %q: %d %v, want 422 asking for an offset", since, resp.StatusCode, out)
		}
	}
	resp, out := apiCall(t, f.srv.URL, "POST", api+"/webhooks/"+f.up.ID+"/recover", key, `{"since":"`+hour.Format(time.RFC3339)+`"}`)
	if resp.StatusCode != http.StatusUnprocessableEntity || out["code"] != "nothing-matches" || !strings.Contains(out["detail"].(string), "No failed deliveries") {
		t.Errorf("recover matching nothing: %d %v", resp.StatusCode, out)
	}
	resp, out = apiCall(t, f.srv.URL, "POST", api+"/deliveries/bulk-resend", key, `{"webhookId":"`+f.up.ID+`"}`)
	if resp.StatusCode != http.StatusUnprocessableEntity || out["code"] != "nothing-matches" {
		t.Errorf("bulk resend matching nothing: %d %v", resp.StatusCode, out)
	}
	resp, out = apiCall(t, f.srv.URL, "POST", api+"/webhooks/"+f.down.ID+"/recover", key, `{"since":"`+hour.Format("2006-01-02T15:04:05+02:00")+`"}`)
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("since with an offset: %d %v", resp.StatusCode, out)
	}
}

// Over a large history the preview stops counting at its cap and says so:
// "More than 2000", and its ETA is "at least"; the job's page has the
// exact total. Confirm is still offered.
func TestRecoveryPreviewPastItsCap(t *testing.T) {
	st, app, _ := acmeWithEvents(t, 700)
	if _, err := st.DB().Exec(`UPDATE deliveries SET status = 'failed', attempts = 1`); err != nil {
		t.Fatal(err)
	}
	h := web.New(web.Options{Store: st, SessionKey: make([]byte, 32)})
	cookie := signInCookie(t, h)
	req, _ := http.NewRequest("GET", "/apps/"+app.ID+"/deliveries/bulk-resend?status=failed", nil)
	req.Header.Set("Cookie", cookie)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	wantStatus(t, rec.Result(), http.StatusOK)
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	count := doc.Find("[data-testid=recover-count]")
	words := squash(count.Text())
	if count.AttrOr("data-count", "") != "2000" || count.AttrOr("data-more", "") != "true" || !strings.HasPrefix(words, "More than 2000 failed deliveries match") ||
		!strings.Contains(words, "at least") || !strings.Contains(words, "exact number") {
		t.Errorf("preview of 2,100: data-count %q, data-more %q: %q", count.AttrOr("data-count", ""), count.AttrOr("data-more", ""), words)
	}
	if doc.Find("form[data-testid=confirm-recovery]").Length() != 1 {
		t.Error("no Confirm for a preview past its cap")
	}
}
