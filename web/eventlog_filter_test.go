package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookboard/hookboard/internal/store/storetest"
)

// Every bad filter of the event log is explained at its field with status
// 422 and the values as typed kept, on the app's log and a webhook's tab.
func TestEventLogFilterErrors(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			h := newHarnessOn(t, dialect)
			wh := h.mustWebhook(h.acme.ID, "Billing")
			a := h.admin()
			for _, base := range []string{"/apps/" + h.acme.ID + "/events", "/apps/" + h.acme.ID + "/webhooks/" + wh.ID + "/events"} {
				for _, tc := range []struct{ query, field, msg, from, to string }{
					{"status=bogus", "status", "Unknown status.", "", ""},
					{"from=soon", "from", "Enter a date as YYYY-MM-DD.", "soon", ""},
					{"to=2026-13-01", "to", "Enter a date as YYYY-MM-DD.", "", "2026-13-01"},
					{"from=2026-06-12&to=2026-06-10", "to", "“To” must be on or after “From”.", "2026-06-12", "2026-06-10"},
				} {
					resp, doc := a.get(base + "?" + tc.query)
					wantStatus(t, resp, http.StatusUnprocessableEntity)
					if got := text(doc, "[data-error-for="+tc.field+"]"); got != tc.msg {
						t.Errorf("%s?%s: error for %s = %q, want %q", base, tc.query, tc.field, got, tc.msg)
					}
					if from, to := doc.Find("#f-from").AttrOr("value", ""), doc.Find("#f-to").AttrOr("value", ""); from != tc.from || to != tc.to {
						t.Errorf("%s?%s: from %q to %q kept, want %q %q", base, tc.query, from, to, tc.from, tc.to)
					}
				}
			}
			_, doc := a.get("/apps/" + h.acme.ID + "/webhooks/" + wh.ID + "/events?status=bogus")
			if got := doc.Find("title").Text(); !strings.Contains(got, "Billing · Events") {
				t.Errorf("webhook tab title = %q", got)
			}
		})
	}
}
