package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// Refused header names, bad limits and orderings come back beside their
// field with 422, nothing stored, typed values not echoed.
func TestPolicyFormErrors(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("invoice.paid", "invoice.failed")
	a := h.admin()
	cases := []struct{ name, field, key, value string }{
		{"Host refused", "headers", "headers", "Host: example.com"},
		{"Content-Type refused", "headers", "headers", "content-type: text/plain"},
		{"webhook-* refused", "headers", "headers", "Webhook-Signature: v1,x"},
		{"not a token", "headers", "headers", "X Bad: 1"},
		{"no value", "headers", "headers", "X-Gateway-Key:"},
		{"twice", "headers", "headers", "X-A: 1\nx-a: 2"},
		{"too many", "headers", "headers", strings.Repeat("X-A: 1\n", 21)},
		{"long value", "headers", "headers", "X-A: " + strings.Repeat("v", 1025)},
		{"limit zero", "rate_limit", "rate_limit", "0"},
		{"limit too high", "rate_limit", "rate_limit", "10001"},
		{"limit not a number", "rate_limit", "rate_limit", "fast"},
		{"ordering", "ordering", "ordering", "lifo"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			form := validForm()
			form.Set(c.key, c.value)
			if c.key == "headers" {
				form.Set("headers", c.value+"\nX-Secret-Typed: typed-value-9")
			}
			resp, doc := a.post("/apps/"+h.acme.ID+"/webhooks/new", form)
			wantStatus(t, resp, http.StatusUnprocessableEntity)
			if msg := text(doc, "[data-error-for="+c.field+"]"); msg == "" {
				t.Errorf("no error beside %s; errors: %q", c.field, doc.Find("[data-error-for]").Text())
			}
			if html, _ := doc.Html(); strings.Contains(html, "typed-value-9") {
				t.Error("a typed header value was sent back to the page")
			}
			if ws, _ := h.store.ListWebhooks(context.Background(), h.acme.ID); len(ws) != 0 {
				t.Errorf("%d webhooks stored after a refused form", len(ws))
			}
		})
	}
	// The auth type's own header is refused as a custom one.
	form := validForm()
	form.Set("auth_type", "api_key")
	form.Set("auth_header", "X-API-Key")
	form.Set("auth_value", "k")
	form.Set("headers", "x-api-key: other")
	resp, doc := a.post("/apps/"+h.acme.ID+"/webhooks/new", form)
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if text(doc, "[data-error-for=headers]") == "" {
		t.Error("the API key's header was accepted as a custom header")
	}
}

// A webhook made on the form shows its policies on its page, header values
// masked for every role and never in the page source; the column holding
// them is sealed; editing keeps a value left blank.
func TestPolicyFormAndPage(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			h := newHarnessOn(t, dialect)
			h.mustEventTypes("invoice.paid", "invoice.failed")
			a := h.admin()
			form := validForm()
			form.Set("rate_limit", "50")
			form.Set("headers", "X-Gateway-Key: gw-secret-77\nX-Tenant: acme-tenant-5")
			form.Set("ordering", "fifo")
			resp, doc := a.post("/apps/"+h.acme.ID+"/webhooks/new", form)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("create: status %d: %s", resp.StatusCode, doc.Find("[data-error-for]").Text())
			}
			wh := h.webhookNamed("Billing")
			if wh.RateLimit != 50 || wh.Ordering != hook.OrderingFIFO || strings.Join(wh.HeaderNames, ",") != "X-Gateway-Key,X-Tenant" {
				t.Fatalf("stored %+v", wh)
			}
			var raw []byte
			if err := h.store.DB().Get(&raw, h.store.DB().Rebind(`SELECT custom_headers FROM webhooks WHERE id = ?`), wh.ID); err != nil {
				t.Fatal(err)
			}
			if len(raw) == 0 || strings.Contains(string(raw), "gw-secret-77") || strings.Contains(string(raw), "X-Gateway-Key") {
				t.Fatalf("custom_headers is not sealed: %q", raw)
			}
			page := "/apps/" + h.acme.ID + "/webhooks/" + wh.ID
			for _, c := range []*client{a, h.support()} {
				resp, doc := c.get(page)
				wantStatus(t, resp, http.StatusOK)
				html, _ := doc.Html()
				if strings.Contains(html, "gw-secret-77") || strings.Contains(html, "acme-tenant-5") {
					t.Fatal("a header value is in the page source")
				}
				if got := text(doc, "[data-field=headers]"); !strings.Contains(got, "X-Gateway-Key: "+hook.MaskedValue) {
					t.Errorf("headers shown as %q", got)
				}
				if got := text(doc, "[data-field=rate-limit]"); !strings.Contains(got, "50") {
					t.Errorf("rate limit shown as %q", got)
				}
				if got := text(doc, "[data-field=fifo-waiting]"); got != "0" {
					t.Errorf("fifo-waiting = %q", got)
				}
			}
			// The edit form has the names, not the values; a blank value keeps
			// the stored one, a new one replaces it.
			resp, doc = a.get(page + "/edit")
			wantStatus(t, resp, http.StatusOK)
			if html, _ := doc.Html(); strings.Contains(html, "gw-secret-77") {
				t.Fatal("a header value is in the edit form")
			}
			resp, _ = a.submit(doc.Find("form.form-card"), map[string][]string{"headers": {"X-Gateway-Key:\nX-Tenant: new-tenant"}, "ordering": {"none"}, "rate_limit": {""}})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("update: status %d", resp.StatusCode)
			}
			target, err := h.store.WebhookTarget(context.Background(), wh.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := []hook.Header{{Name: "X-Gateway-Key", Value: "gw-secret-77"}, {Name: "X-Tenant", Value: "new-tenant"}}
			if len(target.Headers) != 2 || target.Headers[0] != want[0] || target.Headers[1] != want[1] || target.RateLimit != 0 || target.Ordering != hook.OrderingNone {
				t.Fatalf("after edit: %+v", target)
			}
		})
	}
}

func (h *harness) webhookNamed(name string) hook.Webhook {
	h.t.Helper()
	ws, err := h.store.ListWebhooks(context.Background(), h.acme.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, w := range ws {
		if w.Name == name {
			return w
		}
	}
	h.t.Fatalf("no webhook %s", name)
	return hook.Webhook{}
}

// The JSON API takes rateLimit, headers and ordering, refuses what the
// form refuses with 422 naming the field, and answers with values masked.
func TestPolicyAPI(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("invoice.paid")
	key := h.apiKey(h.acme.ID)
	base := "/api/v1/apps/" + h.acme.ID + "/webhooks"
	for _, c := range []struct{ body, field string }{
		{`"headers": {"Host": "x"}`, "headers"},
		{`"headers": {"Webhook-Id": "x"}`, "headers"},
		{`"rateLimit": 0`, "rateLimit"},
		{`"rateLimit": 10001`, "rateLimit"},
		{`"ordering": "random"`, "ordering"},
	} {
		resp, out := apiCall(t, h.srv.URL, "POST", base, key, `{"name": "A", "url": "https://a.example.com", "events": ["*"], `+c.body+`}`)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(mustJSON(out), `"field":"`+c.field+`"`) {
			t.Errorf("%s: status %d, %v", c.body, resp.StatusCode, out)
		}
	}
	// A fraction is a number, but not a rate: the message says what is wanted.
	resp, out := apiCall(t, h.srv.URL, "POST", base, key, `{"name": "A", "url": "https://a.example.com", "events": ["*"], "rateLimit": 2.5}`)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(mustJSON(out), "a whole number") {
		t.Errorf("rateLimit 2.5: status %d, %v", resp.StatusCode, out)
	}
	resp, out = apiCall(t, h.srv.URL, "POST", base, key, `{"name": "A", "url": "https://a.example.com", "events": ["*"], "rateLimit": 5, "headers": {"X-Gateway-Key": "api-secret-3"}, "ordering": "fifo"}`)
	wantStatus(t, resp, http.StatusCreated)
	data := out["data"].(map[string]any)
	if data["rateLimit"] != float64(5) || data["ordering"] != "fifo" || data["headers"].(map[string]any)["X-Gateway-Key"] != hook.MaskedValue {
		t.Fatalf("created: %v", data)
	}
	if strings.Contains(mustJSON(out), "api-secret-3") {
		t.Fatal("the API answered with a header value")
	}
	id := data["id"].(string)
	// Sent back as read, the masked value keeps the stored one; null lifts
	// the limit.
	resp, out = apiCall(t, h.srv.URL, "PUT", base+"/"+id, key, `{"rateLimit": null, "headers": {"X-Gateway-Key": "••••••••", "X-More": "m"}, "ordering": "none"}`)
	wantStatus(t, resp, http.StatusOK)
	data = out["data"].(map[string]any)
	if data["rateLimit"] != nil || data["ordering"] != "none" || len(data["headers"].(map[string]any)) != 2 {
		t.Fatalf("updated: %v", data)
	}
	target, err := h.store.WebhookTarget(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(target.Headers) != 2 || target.Headers[0] != (hook.Header{Name: "X-Gateway-Key", Value: "api-secret-3"}) {
		t.Fatalf("headers after update: %+v", target.Headers)
	}
	// null (or leaving it out) keeps them; {} removes them all.
	resp, out = apiCall(t, h.srv.URL, "PUT", base+"/"+id, key, `{"headers": null}`)
	wantStatus(t, resp, http.StatusOK)
	if n := len(out["data"].(map[string]any)["headers"].(map[string]any)); n != 2 {
		t.Errorf("headers after null: %d, want 2 kept", n)
	}
	resp, out = apiCall(t, h.srv.URL, "PUT", base+"/"+id, key, `{"headers": {}}`)
	wantStatus(t, resp, http.StatusOK)
	if n := len(out["data"].(map[string]any)["headers"].(map[string]any)); n != 0 {
		t.Errorf("headers after {}: %d, want none", n)
	}
	if target, err := h.store.WebhookTarget(context.Background(), id); err != nil || len(target.Headers) != 0 {
		t.Errorf("stored headers after {}: %+v %v", target.Headers, err)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
