package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/hook/hooktest"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// logRow finds a delivery's row in an event log page.
func logRow(t *testing.T, doc *goquery.Document, deliveryID string) *goquery.Selection {
	t.Helper()
	row := doc.Find(`tr[data-delivery-id="` + deliveryID + `"]`)
	if row.Length() != 1 {
		t.Fatalf("%d rows for delivery %s", row.Length(), deliveryID)
	}
	return row
}

func cell(row *goquery.Selection, field string) string {
	return strings.TrimSpace(row.Find("[data-field=" + field + "]").First().Text())
}

var durationText = regexp.MustCompile(`^(<1 ms|[1-9][0-9]* ms|[0-9]+\.[0-9]{2} s)$`)

// The event log's rows show the latest attempt's status (or its cause),
// the attempt count and duration, the next retry of a retrying one with
// its own mark, dates relative to now with the exact time, and a link to
// the details that covers the row. Both lists, both databases.
func TestEventLogRowsShowTheLatestAttempt(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			f := newEventsFixtureOn(t, dialect)
			ctx := context.Background()
			// A webhook whose endpoint refuses connections.
			closedURL := hooktest.RefusedURL(t)
			refused, _, err := f.store.CreateWebhook(ctx, hook.Actor{}, f.acme.ID, hook.WebhookInput{Name: "Refused", URL: closedURL, Events: []string{"invoice.paid"}, Active: true, AuthType: hook.AuthNone},
				hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true})
			if err != nil {
				t.Fatal(err)
			}
			paid := f.appEvent("invoice.paid", `{"n":1}`) // OK 200, Flaky 500 (retrying), Refused (retrying)
			f.drv.Step()
			<-f.okCalls
			user := f.appEvent("user.created", `{"n":2}`) // not sent yet: pending
			f.clock.Advance(3 * time.Minute)
			a := f.support()

			for _, page := range []string{"/apps/" + f.acme.ID + "/events", "/apps/" + f.acme.ID + "/webhooks/" + f.flaky.ID + "/events"} {
				resp, doc := a.get(page)
				wantStatus(t, resp, http.StatusOK)
				flaky := logRow(t, doc, f.deliveryOf(paid.Event.ID, f.flaky.ID))
				if got := cell(flaky, "response-status"); got != "500" {
					t.Errorf("%s: flaky response-status %q", page, got)
				}
				if got := cell(flaky, "attempts"); got != "1" {
					t.Errorf("%s: flaky attempts %q", page, got)
				}
				if got := cell(flaky, "duration"); !durationText.MatchString(got) {
					t.Errorf("%s: flaky duration %q", page, got)
				}
				st := flaky.Find("[data-field=status]")
				if st.AttrOr("data-status", "") != "retrying" || !strings.Contains(st.Text(), "↻") || !strings.Contains(st.Text(), "Retrying") || strings.Contains(st.Text(), "✗") {
					t.Errorf("%s: retrying status %q", page, strings.TrimSpace(st.Text()))
				}
				next := flaky.Find("[data-field=next-attempt] time")
				if next.AttrOr("datetime", "") != "2026-06-10T12:00:05Z" || next.AttrOr("title", "") != "2026-06-10 12:00:05 UTC" {
					t.Errorf("%s: next attempt %q %q", page, next.AttrOr("datetime", ""), next.AttrOr("title", ""))
				}
				date := flaky.Find("[data-field=date] time")
				if date.AttrOr("datetime", "") != "2026-06-10T12:00:00Z" || date.AttrOr("title", "") != "2026-06-10 12:00:00 UTC" || strings.TrimSpace(date.Text()) != "3 min ago" {
					t.Errorf("%s: date %q %q %q", page, date.AttrOr("datetime", ""), date.AttrOr("title", ""), date.Text())
				}
				// The whole row opens the details; the event ID opens the event.
				if href := flaky.Find("a.row-open").AttrOr("href", ""); href != "/apps/"+f.acme.ID+"/deliveries/"+f.deliveryOf(paid.Event.ID, f.flaky.ID) {
					t.Errorf("%s: row link %q", page, href)
				}
				if href := flaky.Find("[data-field=event-id] a").AttrOr("href", ""); href != "/apps/"+f.acme.ID+"/events/"+paid.Event.ID {
					t.Errorf("%s: event link %q", page, href)
				}
			}

			_, doc := a.get("/apps/" + f.acme.ID + "/events")
			ok := logRow(t, doc, f.deliveryOf(paid.Event.ID, f.ok.ID))
			if cell(ok, "response-status") != "200" || cell(ok, "attempts") != "1" || ok.Find("[data-field=next-attempt]").Length() != 0 {
				t.Errorf("succeeded row: %q %q next %d", cell(ok, "response-status"), cell(ok, "attempts"), ok.Find("[data-field=next-attempt]").Length())
			}
			if got := cell(logRow(t, doc, f.deliveryOf(paid.Event.ID, refused.ID)), "response-status"); got != "connection" {
				t.Errorf("refused row: response-status %q, want connection", got)
			}
			pending := logRow(t, doc, f.deliveryOf(user.Event.ID, f.gone.ID))
			if cell(pending, "response-status") != "—" || cell(pending, "attempts") != "0" || cell(pending, "duration") != "—" {
				t.Errorf("pending row: %q %q %q", cell(pending, "response-status"), cell(pending, "attempts"), cell(pending, "duration"))
			}
			if got := strings.TrimSpace(pending.Find("[data-field=date] time").Text()); got != "3 min ago" {
				t.Errorf("pending date %q", got)
			}
		})
	}
}

// Both event lists find rows directly by event ID, delivery (Event Log) ID
// or Idempotency-Key, and only the app's own.
func TestEventLogSearch(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			f := newEventsFixtureOn(t, dialect)
			ctx := context.Background()
			f.appEvent("invoice.paid", `{"n":0}`)
			keyed, err := f.store.IngestEvent(ctx, f.acme.ID, "invoice.paid", []byte(`{"n":1}`), "order-42")
			if err != nil {
				t.Fatal(err)
			}
			f.appEvent("user.created", `{"n":2}`)
			if _, err := f.store.CreateEventType(ctx, hook.Actor{}, f.beta.ID, hook.EventTypeInput{Name: "invoice.paid"}); err != nil {
				t.Fatal(err)
			}
			betaEv, err := f.store.IngestEvent(ctx, f.beta.ID, "invoice.paid", []byte(`{}`), "order-42b")
			if err != nil {
				t.Fatal(err)
			}
			okID, flakyID := f.deliveryOf(keyed.Event.ID, f.ok.ID), f.deliveryOf(keyed.Event.ID, f.flaky.ID)
			a := f.admin()
			log := "/apps/" + f.acme.ID + "/events"
			tab := "/apps/" + f.acme.ID + "/webhooks/" + f.flaky.ID + "/events"
			for _, c := range []struct {
				page, q string
				want    []string
			}{
				{log, keyed.Event.ID, []string{flakyID, okID}},
				{log, strings.ToUpper(keyed.Event.ID), []string{flakyID, okID}},
				{log, okID, []string{okID}},
				{log, " order-42 ", []string{flakyID, okID}},
				{tab, keyed.Event.ID, []string{flakyID}},
				{tab, "order-42", []string{flakyID}},
				{tab, okID, nil}, // another webhook's delivery
				{log, "no-such-key", nil},
				{log, betaEv.Event.ID, nil}, // another app's event
				{log, "order-42b", nil},     // another app's key
			} {
				resp, doc := a.get(c.page + "?q=" + url.QueryEscape(c.q))
				wantStatus(t, resp, http.StatusOK)
				got := rowIDs(doc)
				slices.Sort(got)
				want := slices.Clone(c.want)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s?q=%s: rows %v, want %v", c.page, c.q, got, want)
				}
				if v := doc.Find("form[data-testid=filters] input[name=q]").AttrOr("value", ""); v != strings.TrimSpace(c.q) {
					t.Errorf("search box keeps %q, want %q", v, c.q)
				}
				if len(c.want) == 0 && !strings.Contains(text(doc, "[data-testid=empty-state]"), "No deliveries match") {
					t.Errorf("%s?q=%s: no empty state", c.page, c.q)
				}
			}
			// A search combines with the other filters.
			_, doc := a.get(log + "?q=" + keyed.Event.ID + "&webhook=" + f.ok.ID)
			if got := rowIDs(doc); !slices.Equal(got, []string{okID}) {
				t.Errorf("search + webhook filter: %v", got)
			}
		})
	}
}

// An event's page: type, time, payload, and its deliveries one per webhook
// with their status and a link to each; another app's event is not found.
func TestEventPage(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			f := newEventsFixtureOn(t, dialect)
			paid := f.appEvent("invoice.paid", `{"invoice":"inv_1","amount":4200}`)
			f.drv.Step()
			<-f.okCalls
			f.clock.Advance(2 * time.Hour)
			page := "/apps/" + f.acme.ID + "/events/" + paid.Event.ID
			for _, c := range []*client{f.admin(), f.support()} {
				resp, doc := c.get(page)
				wantStatus(t, resp, http.StatusOK)
				if got := text(doc, "[data-field=event-type]"); got != "invoice.paid" {
					t.Errorf("event type %q", got)
				}
				if got := text(doc, "dd[data-field=event-id]"); got != paid.Event.ID {
					t.Errorf("event id %q", got)
				}
				tm := doc.Find("[data-field=created-at] time")
				if tm.AttrOr("datetime", "") != "2026-06-10T12:00:00Z" || strings.TrimSpace(tm.Text()) != "2 h ago" || tm.AttrOr("title", "") != "2026-06-10 12:00:00 UTC" {
					t.Errorf("created at %q %q", tm.AttrOr("datetime", ""), tm.Text())
				}
				if got := text(doc, "[data-testid=payload]"); !strings.Contains(got, "\n  \"amount\": 4200") {
					t.Errorf("payload not pretty-printed: %q", got)
				}
				rows := doc.Find("table[data-testid=event-deliveries] tr[data-delivery-id]")
				if rows.Length() != 2 {
					t.Fatalf("%d deliveries, want 2 (OK and Flaky)", rows.Length())
				}
				for _, c := range []struct {
					wh   hook.Webhook
					want [2]string
				}{{f.ok, [2]string{"succeeded", "200"}}, {f.flaky, [2]string{"retrying", "500"}}} {
					wh, want := c.wh, c.want
					id := f.deliveryOf(paid.Event.ID, wh.ID)
					row := doc.Find(`table[data-testid=event-deliveries] tr[data-delivery-id="` + id + `"]`)
					if cell(row, "webhook") != wh.Name || row.Find("[data-field=status]").AttrOr("data-status", "") != want[0] || cell(row, "response-status") != want[1] {
						t.Errorf("%s: %q %q %q", wh.Name, cell(row, "webhook"), row.Find("[data-field=status]").AttrOr("data-status", ""), cell(row, "response-status"))
					}
					if href := row.Find("a[data-testid=event-details]").AttrOr("href", ""); href != "/apps/"+f.acme.ID+"/deliveries/"+id {
						t.Errorf("%s: details link %q", wh.Name, href)
					}
				}
			}
			// Not another app's: by its own app's URL, and by the other's.
			out := f.outsider()
			resp, _ := out.get("/apps/" + f.beta.ID + "/events/" + paid.Event.ID)
			wantStatus(t, resp, http.StatusNotFound)
			resp, _ = out.get(page)
			if resp.StatusCode == http.StatusOK {
				t.Error("an outsider sees the event")
			}
			resp, _ = f.admin().get("/apps/" + f.acme.ID + "/events/not-an-id")
			wantStatus(t, resp, http.StatusNotFound)
		})
	}
}

// The API's event list and a webhook's deliveries take q too.
func TestAPISearch(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			f := newEventsFixtureOn(t, dialect)
			ctx := context.Background()
			f.appEvent("invoice.paid", `{"n":0}`)
			keyed, err := f.store.IngestEvent(ctx, f.acme.ID, "invoice.paid", []byte(`{"n":1}`), "order-42")
			if err != nil {
				t.Fatal(err)
			}
			_, key, err := f.store.CreateAPIKey(ctx, hook.Actor{}, f.acme.ID, "live")
			if err != nil {
				t.Fatal(err)
			}
			get := func(path string) []map[string]any {
				t.Helper()
				req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/api/v1/apps/"+f.acme.ID+path, nil)
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				wantStatus(t, resp, http.StatusOK)
				var out struct {
					Data []map[string]any `json:"data"`
				}
				if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
					t.Fatal(err)
				}
				return out.Data
			}
			flakyID := f.deliveryOf(keyed.Event.ID, f.flaky.ID)
			for _, q := range []string{keyed.Event.ID, "order-42", flakyID} {
				got := get("/events?q=" + url.QueryEscape(q))
				if len(got) != 1 || got[0]["id"] != keyed.Event.ID {
					t.Errorf("GET /events?q=%s: %v", q, got)
				}
				got = get("/webhooks/" + f.flaky.ID + "/deliveries?q=" + url.QueryEscape(q))
				if len(got) != 1 || got[0]["id"] != flakyID {
					t.Errorf("GET deliveries?q=%s: %v", q, got)
				}
			}
			if got := get("/events?q=nothing"); len(got) != 0 {
				t.Errorf("GET /events?q=nothing: %v", got)
			}
			if got := get("/events?q=order-42&eventType=user.created"); len(got) != 0 {
				t.Errorf("q with another eventType: %v", got)
			}
			if got := get("/webhooks/" + f.ok.ID + "/deliveries?q=" + flakyID); len(got) != 0 {
				t.Errorf("another webhook's delivery: %v", got)
			}
		})
	}
}

// The delivery page: the request of the attempt picked (the latest by
// default) with webhook-timestamp as a date, JSON bodies indented, "<1 ms"
// under a millisecond, the download named after the event, and the next
// attempt on the status for the refresh to read.
func TestDeliveryPageAttemptPickerAndFormats(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			f := newEventsFixtureOn(t, dialect)
			ctx := context.Background()
			paid := f.appEvent("invoice.paid", `{"n":1}`)
			f.drv.Step()
			<-f.okCalls
			f.clock.Advance(5 * time.Second)
			f.drv.Step() // Flaky's second attempt, 5 s later
			flakyID := f.deliveryOf(paid.Event.ID, f.flaky.ID)
			attempts, err := f.store.Attempts(ctx, flakyID)
			if err != nil || len(attempts) != 2 {
				t.Fatalf("%d attempts, %v", len(attempts), err)
			}
			a := f.support()
			page := "/apps/" + f.acme.ID + "/deliveries/" + flakyID

			headerDate := func(doc *goquery.Document) string {
				return doc.Find(`[data-testid=request-headers] tr[data-header="Webhook-Timestamp"] [data-field=header-date] time`).AttrOr("datetime", "")
			}
			_, doc := a.get(page)
			if got := doc.Find("[data-field=request-attempt]").AttrOr("data-attempt-id", ""); got != attempts[0].ID {
				t.Errorf("default request of attempt %s, want the latest %s", got, attempts[0].ID)
			}
			if got := headerDate(doc); got != "2026-06-10T12:00:05Z" {
				t.Errorf("latest webhook-timestamp as a date %q", got)
			}
			links := doc.Find("[data-testid=attempt-picker] a[data-attempt-id]")
			if links.Length() != 2 {
				t.Fatalf("%d attempts in the picker", links.Length())
			}
			first := links.Last()
			if href := first.AttrOr("href", ""); href != "?attempt="+attempts[1].ID+"&tab=request" {
				t.Errorf("picker link %q", href)
			}
			if links.First().AttrOr("aria-current", "") != "page" {
				t.Error("the latest attempt is not marked as shown")
			}
			_, doc = a.get(page + first.AttrOr("href", ""))
			if got := doc.Find("[data-field=request-attempt]").AttrOr("data-attempt-id", ""); got != attempts[1].ID {
				t.Errorf("picked attempt %s, want %s", got, attempts[1].ID)
			}
			if got := headerDate(doc); got != "2026-06-10T12:00:00Z" {
				t.Errorf("first webhook-timestamp as a date %q", got)
			}
			if got := doc.Find("#tab-request").AttrOr("hidden", "none"); got != "none" {
				t.Error("the request tab is hidden")
			}
			// An attempt of another delivery falls back to the latest.
			_, doc = a.get(page + "?tab=request&attempt=" + f.deliveryOf(paid.Event.ID, f.ok.ID))
			if got := doc.Find("[data-field=request-attempt]").AttrOr("data-attempt-id", ""); got != attempts[0].ID {
				t.Errorf("foreign attempt id: showing %s", got)
			}
			if got := doc.Find("dd[data-field=status]").AttrOr("data-next-at", ""); got != "2026-06-10T12:05:05Z" {
				t.Errorf("status data-next-at %q", got)
			}
			if got := doc.Find("a[data-testid=download]").AttrOr("download", ""); got != "event-"+paid.Event.ID+".json" {
				t.Errorf("download name %q", got)
			}

			// The OK delivery: a JSON body indented, under 1 ms shown as such.
			okID := f.deliveryOf(paid.Event.ID, f.ok.ID)
			if _, err := f.store.DB().ExecContext(ctx, f.store.DB().Rebind(`UPDATE attempts SET duration_ms = 0 WHERE delivery_id = ?`), okID); err != nil {
				t.Fatal(err)
			}
			_, doc = a.get("/apps/" + f.acme.ID + "/deliveries/" + okID + "?tab=response")
			att := doc.Find("[data-testid=attempt]")
			if got := att.Find("[data-field=response-body]").Text(); got != "{\n  \"received\": true\n}" {
				t.Errorf("JSON body not indented: %q", got)
			}
			if got := strings.TrimSpace(att.Find("[data-field=duration]").Text()); got != "<1 ms" {
				t.Errorf("attempt duration %q", got)
			}
			_, doc = a.get("/apps/" + f.acme.ID + "/events")
			if got := cell(logRow(t, doc, okID), "duration"); got != "<1 ms" {
				t.Errorf("log duration %q", got)
			}
			// A body that is not JSON stays as received.
			_, doc = a.get(page + "?tab=response")
			if got := strings.TrimSpace(doc.Find("[data-testid=attempt] [data-field=response-body]").First().Text()); got != "database down" {
				t.Errorf("text body %q", got)
			}
		})
	}
}
