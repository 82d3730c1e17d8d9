package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookboard/hookboard/internal/store/storetest"
)

// The app overview (the landing page, for support agents too) counts the
// last 24 hours' deliveries by status, charts the app's attempts and lists
// the webhooks with the failing ones first, in the list's row hooks.
func TestOverviewPage(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			h := newHarnessOn(t, dialect)
			fine := h.mustWebhook(h.acme.ID, "fine")
			down := h.mustWebhook(h.acme.ID, "down")
			shaky := h.mustWebhook(h.acme.ID, "shaky")
			h.mustAttempts(fine.ID, 200, "", 5, true, minutes(3)...)
			h.mustAttempts(down.ID, 0, "connection refused", 5, false, minutes(10)...)
			h.mustAttempts(shaky.ID, 200, "", 5, true, minutes(9)...)
			h.mustAttempts(shaky.ID, 503, "", 5, false, time.Second)
			db := h.store.DB()
			for status, wh := range map[string]string{"succeeded": fine.ID, "failed": down.ID, "retrying": shaky.ID} {
				if _, err := db.ExecContext(context.Background(), db.Rebind(`UPDATE deliveries SET status = ? WHERE webhook_id = ?`), status, wh); err != nil {
					t.Fatal(err)
				}
			}
			// One more event: three pending deliveries.
			h.store.IngestEvent(context.Background(), h.acme.ID, "health.check", []byte(`{}`), "")

			c := h.support()
			resp, _ := c.get("/")
			wantStatus(t, resp, http.StatusSeeOther)
			resp, doc := c.follow(resp)
			wantStatus(t, resp, http.StatusOK)
			if resp.Request.URL.Path != "/apps/"+h.acme.ID || doc.Find("[data-testid=overview]").Length() != 1 {
				t.Fatalf("landed on %s without the overview", resp.Request.URL.Path)
			}
			for field, want := range map[string]string{"succeeded": "1", "failed": "1", "retrying": "1", "pending": "3"} {
				if got := text(doc, "[data-testid=overview] [data-field="+field+"]"); got != want {
					t.Errorf("%s = %q, want %s", field, got, want)
				}
			}
			if href, _ := doc.Find("[data-field=failed]").Closest("a").Attr("href"); href != "/apps/"+h.acme.ID+"/events?status=failed" {
				t.Errorf("failed count links to %q", href)
			}
			var order []string
			doc.Find("[data-testid=overview] table[data-testid=webhooks] tbody tr").Each(func(_ int, tr *goquery.Selection) {
				order = append(order, tr.Find("[data-field=health]").AttrOr("data-health", "?"))
			})
			if strings.Join(order, ",") != "failing,degraded,healthy" {
				t.Errorf("webhooks in order %v, want failing first", order)
			}
			row := doc.Find(`[data-testid=overview] tr[data-webhook-id="` + down.ID + `"]`)
			for _, f := range []string{"name", "url", "status", "health", "last-delivery", "latency", "success-rate"} {
				if row.Find("[data-field="+f+"]").Length() != 1 {
					t.Errorf("overview row lacks [data-field=%s]", f)
				}
			}
			svg := doc.Find("[data-testid=overview] svg[data-testid=chart]")
			if got := strings.TrimSpace(svg.Find("desc").Text()); got != "12 succeeded and 11 failed in the last hour." {
				t.Errorf("chart desc %q", got)
			}
			if row.Find("[data-action=edit]").Length() != 0 {
				t.Error("a support agent is offered Edit")
			}
		})
	}
}
