package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/sender/sendertest"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// eventsFixture is an app with four webhooks whose receivers answer 200,
// 500, 410 and a 70 KiB body, a clock, and a sender to step by hand.
type eventsFixture struct {
	*harness
	clock    *storetest.Clock
	drv      *sendertest.Driver
	ok       hook.Webhook
	flaky    hook.Webhook
	gone     hook.Webhook
	big      hook.Webhook
	okCalls  chan http.Header
	flakyOK  bool
	bigBody  string
	appEvent func(eventType, payload string) store.IngestResult
}

func newEventsFixture(t *testing.T) *eventsFixture {
	t.Helper()
	return newEventsFixtureOn(t, store.SQLite)
}

// newEventsFixtureOn is newEventsFixture on the dialect's store.
func newEventsFixtureOn(t *testing.T, dialect string) *eventsFixture {
	t.Helper()
	clock := storetest.NewClock(time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC))
	f := &eventsFixture{clock: clock, okCalls: make(chan http.Header, 100), bigBody: strings.Repeat("x", 70<<10)}
	f.harness = newHarnessOnWith(t, dialect, storetest.Options{Now: clock.Now}, func(st *store.Store) *sender.Sender {
		f.drv = sendertest.Start(t, st, sender.Options{AllowPrivate: true, Now: clock.Now, Jitter: func() float64 { return 0 }})
		return f.drv.Sender
	})
	f.mustEventTypes("invoice.paid", "user.created")
	serve := func(h http.HandlerFunc) string {
		s := httptest.NewServer(h)
		t.Cleanup(s.Close)
		return s.URL
	}
	okURL := serve(func(w http.ResponseWriter, r *http.Request) {
		f.okCalls <- r.Header.Clone()
		w.Header().Set("X-Receiver", "ok")
		io.WriteString(w, `{"received":true}`)
	})
	flakyURL := serve(func(w http.ResponseWriter, r *http.Request) {
		if f.flakyOK {
			w.WriteHeader(http.StatusOK)
			return
		}
		http.Error(w, "database down", http.StatusInternalServerError)
	})
	goneURL := serve(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) })
	bigURL := serve(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, f.bigBody)
	})
	dev := hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}
	mk := func(name, u string, events []string, edit func(*hook.WebhookInput)) hook.Webhook {
		in := hook.WebhookInput{Name: name, URL: u, Events: events, Active: true, AuthType: hook.AuthNone}
		if edit != nil {
			edit(&in)
		}
		wh, _, err := f.store.CreateWebhook(context.Background(), hook.Actor{}, f.acme.ID, in, dev)
		if err != nil {
			t.Fatal(err)
		}
		return wh
	}
	f.ok = mk("OK", okURL+"/hook", []string{"*"}, func(in *hook.WebhookInput) {
		in.AuthType, in.AuthUsername, in.AuthPassword = hook.AuthBasic, "hooks", "basic-secret-pw"
	})
	f.flaky = mk("Flaky", flakyURL, []string{"invoice.paid"}, func(in *hook.WebhookInput) {
		in.AuthType, in.AuthHeader, in.AuthValue = hook.AuthAPIKey, "X-Api-Key", "apikey-secret-value"
	})
	f.gone = mk("Gone", goneURL, []string{"user.created"}, nil)
	f.big = mk("Big", bigURL, []string{"user.created"}, nil)
	f.appEvent = func(eventType, payload string) store.IngestResult {
		res, err := f.store.IngestEvent(context.Background(), f.acme.ID, eventType, []byte(payload), "")
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	return f
}

// deliveryOf returns the id of an event's delivery to a webhook.
func (f *eventsFixture) deliveryOf(eventID, webhookID string) string {
	f.t.Helper()
	var id string
	if err := f.store.DB().Get(&id, f.store.DB().Rebind(`SELECT id FROM deliveries WHERE event_id = ? AND webhook_id = ?`), eventID, webhookID); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func rowIDs(doc *goquery.Document) []string {
	var ids []string
	doc.Find("table[data-testid=deliveries] tr[data-delivery-id]").Each(func(_ int, s *goquery.Selection) {
		ids = append(ids, s.AttrOr("data-delivery-id", ""))
	})
	return ids
}

func TestEventLogAndFilters(t *testing.T) {
	f := newEventsFixture(t)
	paid := f.appEvent("invoice.paid", `{"n":1}`) // → OK (succeeded), Flaky (retrying)
	f.drv.Step()
	f.clock.Advance(48 * time.Hour)
	user := f.appEvent("user.created", `{"n":2}`) // → OK (succeeded), Gone (failed), Big (retrying)
	f.drv.Step()
	<-f.okCalls
	<-f.okCalls
	f.clock.Advance(time.Minute)
	pending := f.appEvent("invoice.paid", `{"n":3}`) // not sent yet: pending ×2

	a := f.admin()
	base := "/apps/" + f.acme.ID + "/events"
	resp, doc := a.get(base)
	wantStatus(t, resp, http.StatusOK)
	ids := rowIDs(doc)
	if len(ids) != 7 {
		t.Fatalf("%d rows, want 7", len(ids))
	}
	// Newest first, every cell present.
	first := doc.Find("tr[data-delivery-id]").First()
	if got := strings.TrimSpace(first.Find("[data-field=event-id]").Text()); got != pending.Event.ID {
		t.Errorf("first row is event %s, want the newest %s", got, pending.Event.ID)
	}
	row := doc.Find(`tr[data-delivery-id="` + f.deliveryOf(paid.Event.ID, f.ok.ID) + `"]`)
	if got := strings.TrimSpace(row.Find("[data-field=event-type]").Text()); got != "invoice.paid" {
		t.Errorf("event type %q", got)
	}
	if dt := row.Find("[data-field=date] time").AttrOr("datetime", ""); dt != "2026-06-10T12:00:00Z" {
		t.Errorf("date %q", dt)
	}
	st := row.Find("[data-field=status]")
	if st.AttrOr("data-status", "") != "succeeded" || strings.TrimSpace(st.Text()) != "✓ Succeeded" {
		t.Errorf("status cell %q / %q", st.AttrOr("data-status", ""), st.Text())
	}
	if got := strings.TrimSpace(row.Find("[data-field=webhook]").Text()); got != "OK" {
		t.Errorf("webhook cell %q", got)
	}
	if href := row.Find("a[data-testid=event-details]").AttrOr("href", ""); !strings.HasSuffix(href, "/deliveries/"+row.AttrOr("data-delivery-id", "")) || strings.TrimSpace(row.Find("a[data-testid=event-details]").Text()) != "Event details" {
		t.Errorf("details link %q", href)
	}
	gone := doc.Find(`tr[data-delivery-id="` + f.deliveryOf(user.Event.ID, f.gone.ID) + `"] [data-field=status]`)
	if gone.AttrOr("data-status", "") != "failed" || strings.TrimSpace(gone.Text()) != "✗ Failed" {
		t.Errorf("failed cell %q", gone.Text())
	}

	count := func(query string) int {
		t.Helper()
		resp, doc := a.get(base + "?" + query)
		wantStatus(t, resp, http.StatusOK)
		return len(rowIDs(doc))
	}
	for q, want := range map[string]int{
		"status=succeeded":                        2,
		"status=retrying":                         2,
		"status=failed":                           1,
		"status=pending":                          2,
		"event_type=invoice.paid":                 4,
		"event_type=user.created":                 3,
		"webhook=" + f.ok.ID:                      3,
		"from=2026-06-12":                         5,
		"to=2026-06-10":                           2,
		"from=2026-06-10&to=2026-06-11":           2,
		"status=retrying&event_type=user.created": 1,
		"status=pending&webhook=" + f.flaky.ID:    1,
		"event_type=invoice.paid&from=2026-06-12": 2,
		"status=succeeded&webhook=" + f.gone.ID:   0,
		"webhook=" + f.ok.ID + "&to=2026-06-11":   1,
		"status=retrying&webhook=" + f.big.ID + "&from=2026-06-12&to=2026-06-12&event_type=user.created": 1,
	} {
		if got := count(q); got != want {
			t.Errorf("?%s: %d rows, want %d", q, got, want)
		}
	}
	// Bad dates are explained, not ignored silently.
	resp, doc = a.get(base + "?from=yesterday")
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if text(doc, "[data-error-for=from]") == "" {
		t.Error("no error for a bad date")
	}
	// A filter with no match says so.
	_, doc = a.get(base + "?status=succeeded&webhook=" + f.gone.ID)
	if !strings.Contains(doc.Find("[data-testid=empty-state]").Text(), "No deliveries match") {
		t.Error("no empty state for a filter without rows")
	}

	// A webhook's Events tab shows only its deliveries, without the webhook column.
	resp, doc = a.get("/apps/" + f.acme.ID + "/webhooks/" + f.flaky.ID + "/events")
	wantStatus(t, resp, http.StatusOK)
	if n := len(rowIDs(doc)); n != 2 {
		t.Errorf("flaky's tab: %d rows", n)
	}
	if doc.Find("[data-field=webhook]").Length() != 0 {
		t.Error("webhook column on a webhook's tab")
	}
	if n := len(func() []string {
		_, d := a.get("/apps/" + f.acme.ID + "/webhooks/" + f.flaky.ID + "/events?status=pending")
		return rowIDs(d)
	}()); n != 1 {
		t.Errorf("flaky's tab filtered: %d", n)
	}
	// Support agents start here too.
	resp, _ = f.support().get(base)
	wantStatus(t, resp, http.StatusOK)
}

func TestEventLogCursorPagination(t *testing.T) {
	f := newEventsFixture(t)
	for i := range 60 {
		f.appEvent("invoice.paid", `{"i":`+strings.Repeat("1", i%3+1)+`}`) // two deliveries each: OK and Flaky
		f.clock.Advance(time.Second)
	}
	a := f.admin()
	seen := map[string]bool{}
	var order []string
	next := "/apps/" + f.acme.ID + "/events?event_type=invoice.paid&status=pending"
	pages := 0
	for next != "" {
		pages++
		resp, doc := a.get(strings.TrimPrefix(next, f.srv.URL))
		wantStatus(t, resp, http.StatusOK)
		for _, id := range rowIDs(doc) {
			if seen[id] {
				t.Fatalf("row %s on two pages", id)
			}
			seen[id] = true
			order = append(order, id)
		}
		href, ok := doc.Find("a[rel=next]").Attr("href")
		if !ok {
			break
		}
		u, _ := url.Parse(href)
		if u.Query().Get("event_type") != "invoice.paid" || u.Query().Get("status") != "pending" || u.Query().Get("cursor") == "" {
			t.Fatalf("next link lost the filters: %s", href)
		}
		next = "/apps/" + f.acme.ID + "/events" + href
		if pages > 5 {
			t.Fatal("too many pages")
		}
	}
	if pages != 3 || len(seen) != 120 {
		t.Errorf("%d pages, %d rows; want 3 pages of 50, 50, 20 and 120 rows", pages, len(seen))
	}
	for i := 1; i < len(order); i++ {
		if order[i] >= order[i-1] {
			t.Fatalf("not newest first at row %d", i)
		}
	}
	resp, _ := a.get("/apps/" + f.acme.ID + "/events?cursor=garbage")
	wantStatus(t, resp, http.StatusBadRequest)
}

func TestDeliveryPage(t *testing.T) {
	f := newEventsFixture(t)
	payload := `{"invoice":"inv_1","amount":4200,"lines":[{"sku":"A"}]}`
	paid := f.appEvent("invoice.paid", payload)
	user := f.appEvent("user.created", `{"id":"u1"}`)
	f.drv.Step()
	<-f.okCalls
	a := f.admin()

	// A retrying delivery with an API-key header, on the Request tab.
	id := f.deliveryOf(paid.Event.ID, f.flaky.ID)
	page := "/apps/" + f.acme.ID + "/deliveries/" + id
	resp, doc := a.get(page + "?tab=request")
	wantStatus(t, resp, http.StatusOK)
	src := body(resp)
	for field, want := range map[string]string{
		"event-type":       "invoice.paid",
		"integration-type": "Webhook",
		"event-log-id":     id,
		"event-id":         paid.Event.ID,
		"webhook-id":       f.flaky.ID,
		"webhook-url":      f.flaky.URL,
		"attempts":         "1",
		"status":           "↻ Retrying",
	} {
		if got := strings.TrimSpace(doc.Find("[data-field=" + field + "]").First().Text()); got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	if dt := doc.Find("[data-field=timestamp] time").AttrOr("datetime", ""); dt != "2026-06-10T12:00:00Z" {
		t.Errorf("timestamp %q", dt)
	}
	if dt := doc.Find("[data-field=next-attempt] time").AttrOr("datetime", ""); dt != "2026-06-10T12:00:05Z" {
		t.Errorf("next attempt %q", dt)
	}
	if got := text(doc, "[data-testid=payload]"); !strings.Contains(got, "\n  \"amount\": 4200") {
		t.Errorf("payload not pretty-printed: %q", got)
	}
	headers := map[string]string{}
	doc.Find("[data-testid=request-headers] tr").Each(func(_ int, s *goquery.Selection) {
		headers[strings.TrimSpace(s.Find("th").Text())] = strings.TrimSpace(s.Find("td").Text())
	})
	if headers["Webhook-Id"] != paid.Event.ID || headers["Content-Type"] != "application/json" || !strings.HasPrefix(headers["Webhook-Signature"], "v1,") {
		t.Errorf("request headers %v", headers)
	}
	if headers["X-Api-Key"] != "••••••••" || strings.Contains(src, "apikey-secret-value") {
		t.Errorf("API key not masked: %q", headers["X-Api-Key"])
	}
	// Resend is offered on a failed delivery.
	if doc.Find("form[data-testid=resend]").Length() != 1 {
		t.Error("no Resend on a retrying delivery")
	}

	// Responses tab: the attempt with its status, body, hint.
	_, doc = a.get(page + "?tab=response")
	att := doc.Find("#tab-response [data-testid=attempt]")
	if att.Length() != 1 {
		t.Fatalf("%d attempts", att.Length())
	}
	for field, want := range map[string]string{"response-status": "500", "trigger": "automatic", "hint": "Server error on the endpoint (500): its code failed; its logs say why. Hookboard retries.", "response-body": "database down"} {
		if got := strings.TrimSpace(att.Find("[data-field=" + field + "]").Text()); got != want {
			t.Errorf("attempt %s = %q, want %q", field, got, want)
		}
	}
	if !strings.Contains(att.Find("[data-field=response-headers]").Text(), "Content-Type") {
		t.Error("response headers missing")
	}
	if att.Find("[data-field=duration]").Text() == "" {
		t.Error("duration missing")
	}

	// A succeeded delivery with Basic auth: masked, no Resend.
	okID := f.deliveryOf(paid.Event.ID, f.ok.ID)
	resp, doc = a.get("/apps/" + f.acme.ID + "/deliveries/" + okID)
	if doc.Find("form[data-testid=resend]").Length() != 0 {
		t.Error("Resend offered on a succeeded delivery")
	}
	if strings.Contains(body(resp), "basic-secret-pw") || strings.Contains(body(resp), "YmFzaWMtc2VjcmV0") {
		t.Error("Basic credentials in the page")
	}
	if got := strings.TrimSpace(doc.Find(`[data-testid=request-headers] tr[data-header=Authorization] td`).Text()); got != "Basic ••••••••" {
		t.Errorf("Authorization shown as %q", got)
	}
	resp, _ = a.post("/apps/"+f.acme.ID+"/deliveries/"+okID+"/resend", nil)
	wantStatus(t, resp, http.StatusConflict)

	// A truncated body is marked; a 400 gets its hint.
	bigID := f.deliveryOf(user.Event.ID, f.big.ID)
	_, doc = a.get("/apps/" + f.acme.ID + "/deliveries/" + bigID + "?tab=response")
	att = doc.Find("[data-testid=attempt]")
	if att.Find("[data-testid=truncated]").Length() != 1 || len(att.Find("[data-field=response-body]").Text()) != 64<<10 {
		t.Errorf("truncation: marked=%d, body %d bytes", att.Find("[data-testid=truncated]").Length(), len(att.Find("[data-field=response-body]").Text()))
	}
	if got := strings.TrimSpace(att.Find("[data-field=hint]").Text()); got != "The endpoint rejected the payload (400 Bad Request): its response body usually says what it expected." {
		t.Errorf("400 hint %q", got)
	}

	// Download: the stored bytes, as an attachment named after the event.
	resp, _ = a.get("/apps/" + f.acme.ID + "/deliveries/" + id + "/payload.json")
	wantStatus(t, resp, http.StatusOK)
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="event-`+paid.Event.ID+`.json"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if got := body(resp); got != payload {
		t.Errorf("download %q, want the payload bytes", got)
	}
	if doc.Find("a[data-testid=download]").Length() != 1 {
		t.Error("no download link")
	}

	// Not yet attempted: no Resend, and a forged POST is refused.
	pending := f.appEvent("invoice.paid", `{}`)
	pid := f.deliveryOf(pending.Event.ID, f.ok.ID)
	_, doc = a.get("/apps/" + f.acme.ID + "/deliveries/" + pid)
	if doc.Find("form[data-testid=resend]").Length() != 0 {
		t.Error("Resend offered before any attempt")
	}
	resp, _ = a.post("/apps/"+f.acme.ID+"/deliveries/"+pid+"/resend", nil)
	wantStatus(t, resp, http.StatusConflict)

	// Another app cannot see any of it.
	o := f.outsider()
	for _, p := range []string{"/deliveries/" + id, "/deliveries/" + id + "/payload.json"} {
		resp, _ := o.get("/apps/" + f.acme.ID + p)
		wantStatus(t, resp, http.StatusNotFound)
	}
	resp, _ = o.post("/apps/"+f.acme.ID+"/deliveries/"+id+"/resend", nil)
	wantStatus(t, resp, http.StatusNotFound)
	resp, _ = a.get("/apps/" + f.beta.ID + "/deliveries/" + id)
	wantStatus(t, resp, http.StatusNotFound)
}

func TestResend(t *testing.T) {
	f := newEventsFixture(t)
	paid := f.appEvent("invoice.paid", `{"n":1}`)
	user := f.appEvent("user.created", `{"n":2}`)
	f.drv.Step()
	<-f.okCalls
	<-f.okCalls
	a := f.admin()
	retrying := f.deliveryOf(paid.Event.ID, f.flaky.ID)
	before, _ := f.store.Delivery(context.Background(), f.acme.ID, retrying)

	// Still failing: a manual attempt is added, the schedule is kept.
	f.clock.Advance(time.Second)
	_, doc := a.get("/apps/" + f.acme.ID + "/deliveries/" + retrying)
	resp, _ := a.submit(doc.Find("form[data-testid=resend]"), nil)
	wantStatus(t, resp, http.StatusSeeOther)
	resp, doc = a.follow(resp)
	if msg := text(doc, "[data-testid=flash]"); !strings.Contains(msg, "failed again: HTTP 500") {
		t.Errorf("flash %q", msg)
	}
	atts := doc.Find("[data-testid=attempt]")
	if atts.Length() != 2 || strings.TrimSpace(atts.First().Find("[data-field=trigger]").Text()) != "manual" {
		t.Fatalf("%d attempts, newest trigger %q", atts.Length(), atts.First().Find("[data-field=trigger]").Text())
	}
	after, _ := f.store.Delivery(context.Background(), f.acme.ID, retrying)
	if after.Status != hook.StatusRetrying || !after.NextAttemptAt.Equal(*before.NextAttemptAt) || after.Attempts != 2 {
		t.Errorf("after a failed resend: %+v", after)
	}

	// The endpoint is fixed: the resend succeeds and ends the schedule.
	f.flakyOK = true
	resp, _ = f.support().post("/apps/"+f.acme.ID+"/deliveries/"+retrying+"/resend", nil)
	wantStatus(t, resp, http.StatusSeeOther)
	done, _ := f.store.Delivery(context.Background(), f.acme.ID, retrying)
	if done.Status != hook.StatusSucceeded || done.NextAttemptAt != nil {
		t.Errorf("after a good resend: %+v", done)
	}

	// A failed-for-good delivery can be resent too, with the same webhook-id.
	failed := f.deliveryOf(user.Event.ID, f.gone.ID)
	resp, _ = a.post("/apps/"+f.acme.ID+"/deliveries/"+failed+"/resend", nil)
	wantStatus(t, resp, http.StatusSeeOther)
	all, _ := f.store.Attempts(context.Background(), failed)
	if len(all) != 2 || all[0].Trigger != hook.TriggerManual || all[0].RequestHeaders["Webhook-Id"][0] != user.Event.ID {
		t.Errorf("resend of a failed delivery: %+v", all)
	}
	if all[0].RequestHeaders["Webhook-Timestamp"][0] == all[1].RequestHeaders["Webhook-Timestamp"][0] {
		t.Error("resend reused the old timestamp")
	}
	entries, _ := f.store.ListAudit(context.Background(), f.acme.ID, "", 5)
	resends := 0
	for _, e := range entries {
		if e.Action == "delivery.resend" {
			resends++
		}
	}
	if resends != 3 {
		t.Errorf("%d resends audited, want 3", resends)
	}
}

func TestSuccessRateAndChart(t *testing.T) {
	f := newEventsFixture(t)
	for range 3 {
		f.appEvent("invoice.paid", `{}`) // OK succeeds, Flaky fails
	}
	f.drv.Step()
	a := f.admin()
	_, doc := a.get("/apps/" + f.acme.ID + "/webhooks")
	rate := func(id string) string {
		return strings.TrimSpace(doc.Find(`tr[data-webhook-id="` + id + `"] [data-field=success-rate]`).Text())
	}
	if rate(f.ok.ID) != "100 %" || rate(f.flaky.ID) != "0.0 %" || rate(f.gone.ID) != "—" {
		t.Errorf("rates: ok %q, flaky %q, gone %q", rate(f.ok.ID), rate(f.flaky.ID), rate(f.gone.ID))
	}
	_, doc = a.get("/apps/" + f.acme.ID + "/webhooks/" + f.flaky.ID)
	svg := doc.Find("svg[data-testid=chart]")
	if svg.Length() != 1 || svg.AttrOr("role", "") != "img" {
		t.Fatal("no chart")
	}
	if desc := strings.TrimSpace(svg.Find("desc").Text()); desc != "0 succeeded and 3 failed in the last hour." { // a new webhook: its first hour
		t.Errorf("chart text alternative %q", desc)
	}
	if n := doc.Find("[data-testid=chart-table] tbody tr").Length(); n != 12 {
		t.Errorf("chart table has %d rows, want 12 5-minute ones", n)
	}
	if svg.Find("rect[fill]").Length() != 1 {
		t.Errorf("failed bars: %d", svg.Find("rect[fill]").Length())
	}
}
