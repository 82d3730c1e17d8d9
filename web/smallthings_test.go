package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookboard/hookboard/internal/hook"
)

// TestConfirmPagesNameWhatTheyDelete: without JavaScript, revoking a key
// and removing a member go through a page that names the key or the
// member; an id of no key gets 404, not a page about nothing.
func TestConfirmPagesNameWhatTheyDelete(t *testing.T) {
	h := newHarness(t)
	a := h.admin()
	k, _, err := h.store.CreateAPIKey(context.Background(), hook.Actor{}, h.acme.ID, "Billing backend")
	if err != nil {
		t.Fatal(err)
	}
	resp, doc := a.post("/apps/"+h.acme.ID+"/api-keys/"+k.ID+"/revoke", url.Values{})
	wantStatus(t, resp, http.StatusOK)
	if got := text(doc, "[data-testid=confirm] h1"); got != "Revoke the API key “Billing backend”?" {
		t.Errorf("revoke heading %q", got)
	}
	if got := text(doc, "[data-testid=confirm] p"); !strings.Contains(got, k.Prefix+"…") {
		t.Errorf("revoke message %q lacks the prefix", got)
	}
	wantDestructive(t, doc.Selection, "revoke")
	resp, _ = a.post("/apps/"+h.acme.ID+"/api-keys/nosuchkey/revoke", url.Values{})
	wantStatus(t, resp, http.StatusNotFound)

	members, err := h.store.ListMembers(context.Background(), h.acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	var supportID string
	for _, m := range members {
		if m.Email == "support@acme.test" {
			supportID = m.UserID
		}
	}
	resp, doc = a.post("/apps/"+h.acme.ID+"/members/"+supportID+"/remove", url.Values{})
	wantStatus(t, resp, http.StatusOK)
	if got := text(doc, "[data-testid=confirm] h1"); got != "Remove support@acme.test from this app?" {
		t.Errorf("remove heading %q", got)
	}
	wantDestructive(t, doc.Selection, "remove")
	resp, _ = a.post("/apps/"+h.acme.ID+"/members/nosuchuser/remove", url.Values{})
	wantStatus(t, resp, http.StatusNotFound)

	wh := h.mustWebhook(h.acme.ID, "Billing")
	resp, doc = a.get("/apps/" + h.acme.ID + "/webhooks/" + wh.ID + "/delete")
	wantStatus(t, resp, http.StatusOK)
	if got := text(doc, "[data-testid=confirm-delete] strong"); got != "Billing" {
		t.Errorf("delete page names %q", got)
	}
	wantDestructive(t, doc.Selection, "delete")
}

// wantDestructive: a confirm page's button is the red one and Cancel has
// the focus, so Enter does not delete.
func wantDestructive(t *testing.T, doc *goquery.Selection, what string) {
	t.Helper()
	if doc.Find("form button[type=submit].danger").Length() != 1 {
		t.Errorf("%s: the confirm button is not marked danger", what)
	}
	cancel := doc.Find("[data-testid=cancel]")
	if _, ok := cancel.Attr("autofocus"); !ok || strings.TrimSpace(cancel.Text()) != "Cancel" {
		t.Errorf("%s: Cancel does not have the focus", what)
	}
}

// TestAllEventsExclusive: "All events" with single types is refused on the
// form (422, the field error, the choices kept) and by the API, and
// nothing is created.
func TestAllEventsExclusive(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("invoice.paid", "invoice.failed")
	a := h.admin()
	form := validForm()
	form["events"] = []string{"*", "invoice.paid"}
	resp, doc := a.post("/apps/"+h.acme.ID+"/webhooks/new", form)
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if msg := text(doc, "[data-error-for=events]"); !strings.Contains(msg, "either all events (*) or single event types, not both") {
		t.Errorf("events error %q", msg)
	}
	if doc.Find(`input[name=events][value="*"]:checked`).Length() != 1 || doc.Find(`input[name=events][value="invoice.paid"]:checked`).Length() != 1 {
		t.Error("the choices were not kept")
	}
	if doc.Find("input[name=name]").AttrOr("value", "") != "Billing" {
		t.Error("the name was not kept")
	}
	body, _ := json.Marshal(map[string]any{"name": "API", "url": "https://example.com/hook", "events": []string{"invoice.failed", "*"}})
	apiResp, out := apiCall(t, h.srv.URL, "POST", "/api/v1/apps/"+h.acme.ID+"/webhooks", h.apiKey(h.acme.ID), string(body))
	raw, _ := json.Marshal(out["errors"])
	if apiResp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(raw), `"events"`) {
		t.Errorf("API: %d %s", apiResp.StatusCode, raw)
	}
	if list, _ := h.store.ListWebhooks(t.Context(), h.acme.ID); len(list) != 0 {
		t.Errorf("%d webhooks created", len(list))
	}
}
