package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/hookboard/hookboard/internal/hook/hooktest"
)

// TestCreateWebhookSSRFTable: under the production rules both create paths,
// the HTML form and the API, refuse every non-public address of the
// special-purpose registry table (written literally in the URL) with a
// message on the url field, and accept the public ones.
func TestCreateWebhookSSRFTable(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("invoice.paid", "invoice.failed")
	a := h.admin()
	key := h.apiKey(h.acme.ID)
	created := 0
	for i, c := range hooktest.SSRFCases {
		host := c.Addr
		if netip.MustParseAddr(c.Addr).Is6() {
			host = "[" + host + "]"
		}
		u := "https://" + host + "/hooks"

		form := validForm()
		form.Set("name", fmt.Sprintf("Form %d", i))
		form.Set("url", u)
		resp, doc := a.post("/apps/"+h.acme.ID+"/webhooks/new", form)
		msg := text(doc, "[data-error-for=url]")
		switch {
		case c.Refused() && (resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(msg, c.Reason)):
			t.Errorf("form, %s: %d %q, want 422 naming %s (%s)", u, resp.StatusCode, msg, c.Reason, c.Note)
		case !c.Refused() && resp.StatusCode != http.StatusOK:
			t.Errorf("form, %s: %d %q, want created (%s)", u, resp.StatusCode, msg, c.Note)
		case !c.Refused():
			created++
		}

		body, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("API %d", i), "url": u, "events": []string{"*"}})
		apiResp, out := apiCall(t, h.srv.URL, "POST", "/api/v1/apps/"+h.acme.ID+"/webhooks", key, string(body))
		raw, _ := json.Marshal(out["errors"])
		switch {
		case c.Refused() && (apiResp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(raw), `"url"`) || !strings.Contains(string(raw), c.Reason)):
			t.Errorf("API, %s: %d %s, want 422 on url naming %s (%s)", u, apiResp.StatusCode, raw, c.Reason, c.Note)
		case !c.Refused() && apiResp.StatusCode != http.StatusCreated:
			t.Errorf("API, %s: %d %v, want 201 (%s)", u, apiResp.StatusCode, out, c.Note)
		case !c.Refused():
			created++
		}
	}
	list, err := h.store.ListWebhooks(t.Context(), h.acme.ID)
	if err != nil || len(list) != created {
		t.Errorf("%d webhooks stored, want the %d public ones (%v)", len(list), created, err)
	}
}
