package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hookboard/hookboard/internal/store/storetest"
	"github.com/hookboard/hookboard/web"
)

// A server built without a Deliverer answers every resend and test event,
// HTML and API, with the same internal error, before anything is claimed or
// stored.
func TestNoDelivererSameErrorEverywhere(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			h := newHarnessOn(t, dialect)
			// The assembled program always has a deliverer; web alone,
			// built without one, must refuse the same way everywhere.
			h.srv = httptest.NewServer(web.New(web.Options{Store: h.store, SessionKey: []byte("0123456789abcdef0123456789abcdef")}))
			t.Cleanup(h.srv.Close)
			h.mustEventTypes("invoice.paid")
			wh := h.mustWebhook(h.acme.ID, "One")
			key := h.apiKey(h.acme.ID)
			api := "/api/v1/apps/" + h.acme.ID
			resp, out := apiCall(t, h.srv.URL, "POST", api+"/events", key, `{"eventType":"invoice.paid","payload":{"n":1}}`)
			wantStatus(t, resp, http.StatusAccepted)
			deliveries := func() []any {
				t.Helper()
				resp, out := apiCall(t, h.srv.URL, "GET", api+"/webhooks/"+wh.ID+"/deliveries", key, "")
				wantStatus(t, resp, http.StatusOK)
				return out["data"].([]any)
			}
			before := deliveries()
			if len(before) != 1 {
				t.Fatalf("deliveries after ingest = %d, want 1 (%v)", len(before), out)
			}
			deliveryID := before[0].(map[string]any)["id"].(string)

			a := h.admin()
			for _, path := range []string{
				"/apps/" + h.acme.ID + "/webhooks/" + wh.ID + "/test",
				"/apps/" + h.acme.ID + "/deliveries/" + deliveryID + "/resend",
			} {
				resp, doc := a.post(path, nil)
				wantStatus(t, resp, http.StatusInternalServerError)
				if got := text(doc, "[data-testid=error-page] h1"); got != "Something went wrong" {
					t.Errorf("POST %s: heading %q", path, got)
				}
			}
			for _, path := range []string{api + "/webhooks/" + wh.ID + "/test-ping", api + "/deliveries/" + deliveryID + "/resend"} {
				resp, out := apiCall(t, h.srv.URL, "POST", path, key, "")
				wantStatus(t, resp, http.StatusInternalServerError)
				if out["detail"] != "Something went wrong on our side; it has been logged." {
					t.Errorf("POST %s: %v", path, out)
				}
			}
			if after := deliveries(); len(after) != 1 || after[0].(map[string]any)["status"] != "pending" {
				t.Errorf("deliveries after = %v, want the one pending delivery, untouched", after)
			}
		})
	}
}
