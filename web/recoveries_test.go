package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/sender/sendertest"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// recoveryFixture is an app with a webhook whose endpoint is down (503,
// so its deliveries retry after a failed attempt; 410 when gone is set, so
// they fail for good) and one that is up, a clock, and a sender stepped by
// hand. No job runner runs: jobs stay queued unless a test runs them.
type recoveryFixture struct {
	*harness
	clock *storetest.Clock
	drv   *sendertest.Driver
	down  hook.Webhook
	up    hook.Webhook
	gone  atomic.Bool
}

func newRecoveryFixtureOn(t *testing.T, dialect string) *recoveryFixture {
	t.Helper()
	f := &recoveryFixture{clock: storetest.NewClock(time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC))}
	f.harness = newHarnessOnWith(t, dialect, storetest.Options{Now: f.clock.Now}, func(st *store.Store) *sender.Sender {
		f.drv = sendertest.Start(t, st, sender.Options{AllowPrivate: true, Now: f.clock.Now, Jitter: func() float64 { return 0 }})
		return f.drv.Sender
	})
	f.mustEventTypes("invoice.paid", "user.created")
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.gone.Load() {
			w.WriteHeader(http.StatusGone)
			return
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(down.Close)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(up.Close)
	f.down = f.mustLocalWebhook("Billing", down.URL, "*")
	f.up = f.mustLocalWebhook("Audit", up.URL, "*")
	return f
}

// mustLocalWebhook creates a webhook of Acme to a loopback receiver.
func (f *recoveryFixture) mustLocalWebhook(name, u string, events ...string) hook.Webhook {
	f.t.Helper()
	in := hook.WebhookInput{Name: name, URL: u, Events: events, Active: true, AuthType: hook.AuthNone}
	wh, _, err := f.store.CreateWebhook(context.Background(), hook.Actor{Label: "test"}, f.acme.ID, in, hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true})
	if err != nil {
		f.t.Fatal(err)
	}
	return wh
}

// send ingests n events of eventType and, when step, sends their deliveries.
func (f *recoveryFixture) send(n int, eventType string, step bool) {
	f.t.Helper()
	for i := range n {
		if _, err := f.store.IngestEvent(context.Background(), f.acme.ID, eventType, []byte(`{"n":`+strconv.Itoa(i)+`}`), ""); err != nil {
			f.t.Fatal(err)
		}
	}
	if step {
		f.drv.Step()
	}
}

// when formats a time as the forms' datetime-local inputs send it.
func when(t time.Time) string { return t.UTC().Format("2006-01-02T15:04") }

func (f *recoveryFixture) webhookPage(wh hook.Webhook) string {
	return "/apps/" + f.acme.ID + "/webhooks/" + wh.ID
}

// startedJob follows a Confirm's redirect to the job's page and returns the
// job id and the page.
func startedJob(t *testing.T, c *client, resp *http.Response) (string, *goquery.Document) {
	t.Helper()
	wantStatus(t, resp, http.StatusSeeOther)
	loc := resp.Header.Get("Location")
	i := strings.LastIndex(loc, "/recoveries/")
	if i < 0 {
		t.Fatalf("confirm went to %q, want a job page", loc)
	}
	resp, doc := c.follow(resp)
	wantStatus(t, resp, http.StatusOK)
	return loc[i+len("/recoveries/"):], doc
}

func wantText(t *testing.T, doc *goquery.Document, sel, want string) {
	t.Helper()
	if got := text(doc, sel); got != want {
		t.Errorf("%s: %q, want %q", sel, got, want)
	}
}

// A recovery, as an admin or a support agent does it: the form on the
// webhook page, the preview's count and pace, Confirm, the job's page, a
// second job refused with a link to the first, and Cancel.
func TestRecoverPreviewStartAndCancel(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			f := newRecoveryFixtureOn(t, dialect)
			f.send(3, "invoice.paid", true) // Billing: 3 retrying after a failed attempt; Audit: 3 succeeded
			f.gone.Store(true)
			f.send(1, "user.created", true) // Billing: 1 failed
			f.clock.Advance(time.Minute)
			f.send(2, "invoice.paid", false) // pending: not counted
			since := when(f.clock.Now().Add(-time.Hour))

			sup := f.support()
			resp, doc := sup.get(f.webhookPage(f.down))
			wantStatus(t, resp, http.StatusOK)
			form := doc.Find("form[data-testid=recover]")
			if form.Find("input[name=since]").Length() != 1 || form.Find("input[name=until]").Length() != 1 {
				t.Fatalf("recover form: %d forms, since/until inputs missing", form.Length())
			}
			if doc.Find("form[data-testid=replay]").Length() != 0 {
				t.Error("a support agent is offered Replay missing")
			}
			resp, doc = sup.submit(form, url.Values{"since": {since}})
			wantStatus(t, resp, http.StatusOK)
			count := doc.Find("[data-testid=recover-count]")
			if count.AttrOr("data-count", "") != "4" || text(doc, "[data-testid=recover-count] [data-field=count]") != "4" {
				t.Fatalf("recover-count %q (%q), want 4", count.AttrOr("data-count", ""), strings.Join(strings.Fields(count.Text()), " "))
			}
			wantText(t, doc, "[data-testid=recover-count] [data-field=rate]", "20 per second")
			wantText(t, doc, "[data-testid=recover-count] [data-field=duration]", "under a second")

			// Nothing failed on the webhook that is up: nothing to confirm.
			_, upDoc := sup.get(f.webhookPage(f.up) + "/recover?since=" + url.QueryEscape(since))
			if upDoc.Find("[data-testid=recover-count]").AttrOr("data-count", "") != "0" || upDoc.Find("form[data-testid=confirm-recovery]").Length() != 0 {
				t.Error("a webhook without failures is offered a job")
			}

			id, job := startedJob(t, sup, first(sup.submit(doc.Find("form[data-testid=confirm-recovery]"), nil)))
			wantText(t, job, "[data-field=kind]", "recover")
			if st := text(job, "[data-field=status]"); st != "queued" && st != "running" {
				t.Errorf("status %q, want queued or running", st)
			}
			for field, want := range map[string]string{"total": "4", "sent": "0", "succeeded": "0", "failed": "0", "skipped": "0", "started-by": "support@acme.test"} {
				wantText(t, job, "[data-field="+field+"]", want)
			}
			bar := job.Find("progress[data-testid=recover-progress]")
			if bar.AttrOr("max", "") != "4" || bar.AttrOr("value", "") != "0" {
				t.Errorf("progress value=%s max=%s, want 0 of 4", bar.AttrOr("value", ""), bar.AttrOr("max", ""))
			}
			if job.Find("form[data-testid=cancel-recovery]").Length() != 1 {
				t.Error("a live job has no cancel form")
			}
			jobURL := "/apps/" + f.acme.ID + "/recoveries/" + id

			// One job per webhook: a second is 409, with a flash linking the first.
			a := f.admin()
			_, doc = a.get(f.webhookPage(f.down) + "/recover?since=" + url.QueryEscape(since))
			if href := doc.Find("[data-testid=running-recovery] a").AttrOr("href", ""); href != jobURL {
				t.Errorf("the preview links %q as the running job, want %q", href, jobURL)
			}
			if doc.Find("form[data-testid=confirm-recovery]").Length() != 0 {
				t.Error("Confirm is offered while a job runs for the webhook")
			}
			resp, doc = a.post(f.webhookPage(f.down)+"/recover", url.Values{"since": {since}})
			wantStatus(t, resp, http.StatusConflict)
			if href := doc.Find("[data-testid=flash] a[data-testid=conflict-job]").AttrOr("href", ""); href != jobURL {
				t.Errorf("409 flash links %q, want %q", href, jobURL)
			}
			_, doc = a.get(f.webhookPage(f.down))
			if href := doc.Find("[data-testid=running-recovery] a").AttrOr("href", ""); href != jobURL {
				t.Errorf("the webhook page links %q as the running job, want %q", href, jobURL)
			}

			// The jobs list, then Cancel (a confirm page without JavaScript).
			_, list := a.get("/apps/" + f.acme.ID + "/recoveries")
			if list.Find(`tr[data-recovery-id="`+id+`"]`).Length() != 1 {
				t.Error("the job is not in the jobs list")
			}
			resp, doc = sup.submit(job.Find("form[data-testid=cancel-recovery]"), nil)
			wantStatus(t, resp, http.StatusOK) // the confirm step
			_, job = sup.follow(first(sup.submit(doc.Find("[data-testid=confirm] form"), nil)))
			wantText(t, job, "[data-field=status]", "cancelled")
			if job.Find("form[data-testid=cancel-recovery]").Length() != 0 {
				t.Error("a cancelled job still offers Cancel")
			}
			_, doc = a.get("/apps/" + f.acme.ID + "/audit")
			// The job outlives its webhook.
			if err := f.store.DeleteWebhook(context.Background(), hook.Actor{Label: "test"}, f.acme.ID, f.down.ID); err != nil {
				t.Fatal(err)
			}
			resp, job = a.get(jobURL)
			wantStatus(t, resp, http.StatusOK)
			if text(job, "[data-field=webhook]") != "(deleted webhook)" || job.Find(`[data-field=webhook] a`).Length() != 0 {
				t.Errorf("job of a deleted webhook: %q", text(job, "[data-field=webhook]"))
			}
			for _, action := range []string{"Started recovery job", "Cancelled recovery job"} {
				row := doc.Find("tr").FilterFunction(func(_ int, s *goquery.Selection) bool { return strings.Contains(s.Text(), action) })
				if row.Length() != 1 || !strings.Contains(row.Text(), "support@acme.test") || row.Find(`a[href="`+jobURL+`"]`).Length() != 1 {
					t.Errorf("audit log: %q by support linking the job: %d rows %q", action, row.Length(), strings.Join(strings.Fields(row.Text()), " "))
				}
			}
		})
	}
}

func first(resp *http.Response, _ *goquery.Document) *http.Response { return resp }

// Bad input on the recover form: shown beside the field (422), nothing started.
func TestRecoverFormErrors(t *testing.T) {
	f := newRecoveryFixtureOn(t, store.SQLite)
	f.send(2, "invoice.paid", true)
	a := f.admin()
	base := f.webhookPage(f.down) + "/recover"
	now := f.clock.Now()
	cases := []struct {
		name, since, until, field string
	}{
		{"no since", "", "", "since"},
		{"not a date", "yesterday", "", "since"},
		{"until not a date", when(now.Add(-time.Hour)), "soon", "until"},
		{"until before since", when(now.Add(-time.Hour)), when(now.Add(-2 * time.Hour)), "until"},
		{"older than the retention", when(now.Add(-90 * 24 * time.Hour)), "", "since"},
	}
	for _, tc := range cases {
		q := url.Values{"since": {tc.since}, "until": {tc.until}}
		for _, post := range []bool{false, true} {
			var resp *http.Response
			var doc *goquery.Document
			if post {
				resp, doc = a.post(base, q)
			} else {
				resp, doc = a.get(base + "?" + q.Encode())
			}
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s (post %v): status %d, want 422", tc.name, post, resp.StatusCode)
				continue
			}
			if doc.Find("form[data-testid=recover] [data-error-for="+tc.field+"]").Length() != 1 {
				t.Errorf("%s (post %v): no error beside %s", tc.name, post, tc.field)
			}
			if doc.Find("form[data-testid=confirm-recovery]").Length() != 0 {
				t.Errorf("%s (post %v): Confirm offered", tc.name, post)
			}
			if v := doc.Find("form[data-testid=recover] input[name=since]").AttrOr("value", ""); v != tc.since {
				t.Errorf("%s: since shown as %q, want what was typed", tc.name, v)
			}
		}
	}
	jobs, _, err := f.store.ListRecoveries(context.Background(), f.acme.ID, store.RecoveryFilter{})
	if err != nil || len(jobs) != 0 {
		t.Errorf("bad input started %d jobs (%v)", len(jobs), err)
	}
	// Another app's webhook is not found.
	other := f.mustWebhook(f.beta.ID, "Theirs")
	resp, _ := a.get("/apps/" + f.acme.ID + "/webhooks/" + other.ID + "/recover?since=" + url.QueryEscape(when(now)))
	wantStatus(t, resp, http.StatusNotFound)
}

// Bulk resend covers exactly the all-events filter, every page of it, and
// is offered only when the filter can match failed deliveries.
func TestBulkResendCoversTheFilter(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			f := newRecoveryFixtureOn(t, dialect)
			f.gone.Store(true)
			f.send(55, "invoice.paid", true) // Billing: 55 failed (more than a page); Audit: 55 succeeded
			f.gone.Store(false)
			f.send(3, "user.created", true) // Billing: 3 retrying
			f.send(1, "user.created", false)
			a := f.support()
			events := "/apps/" + f.acme.ID + "/events"

			offer := func(q string) (string, *goquery.Document) {
				t.Helper()
				resp, doc := a.get(events + q)
				wantStatus(t, resp, http.StatusOK)
				return text(doc, "form[data-testid=bulk-resend] [data-field=bulk-count]"), doc
			}
			if n, _ := offer(""); n != "58" {
				t.Errorf("unfiltered: offered %q, want 58", n)
			}
			if n, _ := offer("?status=retrying"); n != "3" {
				t.Errorf("retrying: offered %q, want 3", n)
			}
			for _, q := range []string{"?status=succeeded", "?status=pending", "?webhook=" + f.up.ID, "?q=" + f.down.ID, "?from=2026-06-11"} {
				if _, doc := offer(q); doc.Find("form[data-testid=bulk-resend]").Length() != 0 {
					t.Errorf("%s: bulk resend offered, but no failed delivery can match", q)
				}
			}
			n, doc := offer("?status=failed&event_type=invoice.paid&webhook=" + f.down.ID + "&from=2026-06-10&to=2026-06-10")
			if n != "55" {
				t.Fatalf("filtered: offered %q, want 55", n)
			}
			if b := strings.Join(strings.Fields(text(doc, "form[data-testid=bulk-resend] button")), " "); b != "Resend all 55 matching failed deliveries" {
				t.Errorf("button says %q", b)
			}
			resp, doc := a.submit(doc.Find("form[data-testid=bulk-resend]"), nil)
			wantStatus(t, resp, http.StatusOK)
			if c := doc.Find("[data-testid=recover-count]").AttrOr("data-count", ""); c != "55" {
				t.Fatalf("preview count %q, want 55", c)
			}
			id, job := startedJob(t, a, first(a.submit(doc.Find("form[data-testid=confirm-recovery]"), nil)))
			wantText(t, job, "[data-field=kind]", "bulk-resend")
			wantText(t, job, "[data-field=total]", "55")
			got, err := f.store.GetRecovery(context.Background(), f.acme.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			if got.FilterStatus != "failed" || got.EventType != "invoice.paid" || got.WebhookID != f.down.ID || got.From == nil || got.To == nil ||
				!got.From.Equal(time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC)) || !got.To.Equal(time.Date(2026, 6, 11, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("job %+v, want the page's filter", got)
			}

			// A filter that cannot match failed ones is refused beside it.
			resp, doc = a.get("/apps/" + f.acme.ID + "/deliveries/bulk-resend?status=succeeded")
			wantStatus(t, resp, http.StatusUnprocessableEntity)
			if doc.Find("[data-error-for=status]").Length() != 1 || doc.Find("form[data-testid=confirm-recovery]").Length() != 0 {
				t.Error("status=succeeded: no error beside status, or Confirm offered")
			}
		})
	}
}

// Replay missing is for admins: the form, the preview's count of events the
// webhook never had, the job; support sees neither form nor Cancel.
func TestReplayMissingIsForAdmins(t *testing.T) {
	f := newRecoveryFixtureOn(t, store.SQLite)
	f.send(3, "invoice.paid", true)
	f.send(2, "user.created", true)
	f.clock.Advance(time.Minute)
	late := f.mustLocalWebhook("Late", "http://127.0.0.1:1/never", "invoice.paid")
	since := when(f.clock.Now().Add(-time.Hour))

	sup := f.support()
	resp, _ := sup.get(f.webhookPage(late) + "/replay?since=" + url.QueryEscape(since))
	wantStatus(t, resp, http.StatusForbidden)
	resp, _ = sup.post(f.webhookPage(late)+"/replay", url.Values{"since": {since}})
	wantStatus(t, resp, http.StatusForbidden)

	a := f.admin()
	_, doc := a.get(f.webhookPage(late))
	resp, doc = a.submit(doc.Find("form[data-testid=replay]"), url.Values{"since": {since}})
	wantStatus(t, resp, http.StatusOK)
	if c := doc.Find("[data-testid=recover-count]").AttrOr("data-count", ""); c != "3" {
		t.Fatalf("replay preview count %q, want 3 (invoice.paid only)", c)
	}
	id, job := startedJob(t, a, first(a.submit(doc.Find("form[data-testid=confirm-recovery]"), nil)))
	wantText(t, job, "[data-field=kind]", "replay")
	wantText(t, job, "[data-field=total]", "3")

	jobURL := "/apps/" + f.acme.ID + "/recoveries/" + id
	resp, doc = sup.get(jobURL)
	wantStatus(t, resp, http.StatusOK)
	if doc.Find("form[data-testid=cancel-recovery]").Length() != 0 {
		t.Error("support is offered Cancel on a replay")
	}
	resp, _ = sup.post(jobURL+"/cancel", url.Values{"confirm": {"yes"}})
	wantStatus(t, resp, http.StatusForbidden)
	_, doc = a.get(jobURL)
	if doc.Find("form[data-testid=cancel-recovery]").Length() != 1 {
		t.Error("the admin is not offered Cancel on a replay")
	}
}

// Another app's jobs do not exist for this one.
func TestRecoveryOfAnotherApp(t *testing.T) {
	f := newRecoveryFixtureOn(t, store.SQLite)
	f.send(1, "invoice.paid", true)
	job, err := f.store.StartRecovery(context.Background(), hook.Actor{Label: "test"}, f.acme.ID,
		hook.RecoverySpec{Kind: hook.RecoverFailed, WebhookID: f.down.ID, Since: f.clock.Now().Add(-time.Hour)}, 20)
	if err != nil {
		t.Fatal(err)
	}
	o := f.outsider()
	for _, p := range []string{"/apps/" + f.beta.ID + "/recoveries/" + job.ID} {
		resp, _ := o.get(p)
		wantStatus(t, resp, http.StatusNotFound)
		resp, _ = o.post(p+"/cancel", url.Values{"confirm": {"yes"}})
		wantStatus(t, resp, http.StatusNotFound)
	}
}

// matrixSince is a since an hour before the tests run, in RFC 3339 (which
// the forms accept too).
var matrixSince = time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)

// matrixRecovery is a recovery job of the fixture's webhook, queued (no
// runner runs), made on first use.
func (f *matrixFixture) matrixRecovery() string {
	if f.recoveryID == "" {
		since, _ := time.Parse(time.RFC3339, matrixSince)
		job, err := f.h.store.StartRecovery(context.Background(), hook.Actor{Label: "test"}, f.h.acme.ID,
			hook.RecoverySpec{Kind: hook.RecoverFailed, WebhookID: f.webhookID, Since: since}, 20)
		if err != nil {
			f.h.t.Fatal(err)
		}
		f.recoveryID = job.ID
	}
	return f.recoveryID
}

// matrixLateWebhook is a webhook made after the fixture's event, so it has
// that event to replay; made on first use.
func (f *matrixFixture) matrixLateWebhook() string {
	if f.lateID == "" {
		in := hook.WebhookInput{Name: "Late", URL: "https://example.com/late", Events: []string{"*"}, Active: true, AuthType: hook.AuthNone}
		wh, _, err := f.h.store.CreateWebhook(context.Background(), hook.Actor{Label: "test"}, f.h.acme.ID, in, hook.TargetPolicy{})
		if err != nil {
			f.h.t.Fatal(err)
		}
		f.lateID = wh.ID
	}
	return f.lateID
}

// A job that ran: its page, loaded without JavaScript, shows it done with
// its counts, the bar full and no Cancel; cancelling it now is a 409; the
// resends are attempts with trigger "recovery".
func TestRecoveryJobPageWhenDone(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			var drv *sendertest.Driver
			h := newHarnessOnWith(t, dialect, storetest.Options{}, func(st *store.Store) *sender.Sender {
				drv = sendertest.Start(t, st, sender.Options{AllowPrivate: true, Jitter: func() float64 { return 0 }})
				return drv.Sender
			})
			h.mustEventTypes("invoice.paid")
			var down atomic.Bool
			down.Store(true)
			rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if down.Load() {
					w.WriteHeader(http.StatusGone) // failed for good: no retry competes with the job
				}
			}))
			t.Cleanup(rcv.Close)
			f := &recoveryFixture{harness: h, drv: drv}
			wh := f.mustLocalWebhook("Billing", rcv.URL, "*")
			f.send(3, "invoice.paid", true)
			down.Store(false)

			a := h.admin()
			resp, doc := a.get(f.webhookPage(wh) + "/recover?since=" + url.QueryEscape(when(time.Now().Add(-time.Hour))))
			wantStatus(t, resp, http.StatusOK)
			id, _ := startedJob(t, a, first(a.submit(doc.Find("form[data-testid=confirm-recovery]"), nil)))

			ctx, stop := context.WithCancel(context.Background())
			ran := make(chan struct{})
			go func() {
				defer close(ran)
				sender.NewRecoveryRunner(h.store, drv.Sender, sender.RecoveryOptions{Poll: 20 * time.Millisecond}).Run(ctx)
			}()
			t.Cleanup(func() { stop(); <-ran })
			deadline := time.Now().Add(15 * time.Second)
			for {
				job, err := h.store.GetRecovery(context.Background(), h.acme.ID, id)
				if err != nil {
					t.Fatal(err)
				}
				if job.Status == hook.RecoveryDone {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the job is %s after 15 s: %+v", job.Status, job)
				}
				time.Sleep(20 * time.Millisecond)
			}

			jobURL := "/apps/" + h.acme.ID + "/recoveries/" + id
			_, job := a.get(jobURL)
			for field, want := range map[string]string{"status": "done", "total": "3", "sent": "3", "succeeded": "3", "failed": "0", "skipped": "0", "done": "3"} {
				wantText(t, job, "[data-field="+field+"]", want)
			}
			bar := job.Find("progress[data-testid=recover-progress]")
			if bar.AttrOr("value", "") != "3" || bar.AttrOr("max", "") != "3" {
				t.Errorf("progress value=%s max=%s, want full", bar.AttrOr("value", ""), bar.AttrOr("max", ""))
			}
			if job.Find("[data-field=as-of] time").Length() != 1 {
				t.Error("the page does not say when its figures are from")
			}
			if job.Find("form[data-testid=cancel-recovery]").Length() != 0 || job.Find("[data-field=finished] time").Length() != 1 {
				t.Error("a finished job offers Cancel, or does not say when it finished")
			}
			resp, _ = a.post(jobURL+"/cancel", url.Values{"confirm": {"yes"}})
			wantStatus(t, resp, http.StatusConflict)
			_, doc = a.get(f.webhookPage(wh))
			if doc.Find("[data-testid=running-recovery]").Length() != 0 {
				t.Error("the webhook page still links a running job")
			}
			rows, _, err := h.store.ListDeliveries(context.Background(), h.acme.ID, store.DeliveryFilter{WebhookID: wh.ID})
			if err != nil || len(rows) != 3 {
				t.Fatalf("%d deliveries (%v)", len(rows), err)
			}
			_, doc = a.get("/apps/" + h.acme.ID + "/deliveries/" + rows[0].ID + "?tab=response")
			if got := text(doc, "[data-testid=attempt] [data-field=trigger]"); got != hook.TriggerRecovery {
				t.Errorf("the latest attempt's trigger is %q, want %q", got, hook.TriggerRecovery)
			}
		})
	}
}
