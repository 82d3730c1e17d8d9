package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
	"github.com/hookboard/hookboard/web"
)

// apiCall sends a JSON API request and decodes the answer.
func apiCall(t *testing.T, base, method, path, key, body string, headers ...string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: body is not JSON: %s", method, path, raw)
		}
	}
	return resp, out
}

func (h *harness) apiKey(appID string) string {
	h.t.Helper()
	_, key, err := h.store.CreateAPIKey(h.t.Context(), hook.Actor{Label: "test"}, appID, "test key")
	if err != nil {
		h.t.Fatal(err)
	}
	return key
}

func TestIngestAPI(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("invoice.paid")
	h.mustWebhook(h.acme.ID, "One")
	h.mustWebhook(h.acme.ID, "Two")
	key := h.apiKey(h.acme.ID)
	path := "/api/v1/apps/" + h.acme.ID + "/events"
	payload := `{"invoice": "inv_1",  "amount": 4200}`
	resp, out := apiCall(t, h.srv.URL, "POST", path, key, `{"eventType": "invoice.paid", "payload": `+payload+`}`, "Idempotency-Key", "abc")
	wantStatus(t, resp, http.StatusAccepted)
	data, _ := out["data"].(map[string]any)
	if out["success"] != true || data["eventType"] != "invoice.paid" || data["deliveries"] != float64(2) || data["id"] == "" || data["createdAt"] == "" {
		t.Fatalf("answer = %v", out)
	}
	ev, err := h.store.Event(t.Context(), h.acme.ID, data["id"].(string))
	if err != nil || string(ev.Payload) != payload {
		t.Errorf("stored payload %q, %v; want the bytes as sent", ev.Payload, err)
	}
	// The same Idempotency-Key: the first event, nothing new.
	resp, again := apiCall(t, h.srv.URL, "POST", path, key, `{"eventType": "invoice.paid", "payload": `+payload+`}`, "Idempotency-Key", "abc")
	wantStatus(t, resp, http.StatusOK)
	resp, conflict := apiCall(t, h.srv.URL, "POST", path, key, `{"eventType": "invoice.paid", "payload": {"other": true}}`, "Idempotency-Key", "abc")
	if resp.StatusCode != http.StatusConflict || !strings.Contains(conflict["detail"].(string), "Idempotency-Key") {
		t.Errorf("same key, other body: %d %v", resp.StatusCode, conflict)
	}
	if again["data"].(map[string]any)["id"] != data["id"] {
		t.Errorf("replay answered another event: %v", again)
	}
	var n int
	h.store.DB().Get(&n, `SELECT COUNT(*) FROM deliveries`)
	if n != 2 {
		t.Errorf("%d deliveries after a replay, want 2", n)
	}

	for _, c := range []struct {
		name, key, body string
		status          int
		check           func(map[string]any) bool
	}{
		{"no key", "", `{}`, 401, func(p map[string]any) bool { return p["realm"] != nil && p["scope"] != nil }},
		{"bad key", "hbk_nope", `{}`, 401, nil},
		{"other app's key", h.apiKey(h.beta.ID), `{"eventType":"a.b","payload":{}}`, 401, nil},
		{"malformed JSON", key, `{"eventType":`, 400, nil},
		{"unknown field", key, `{"eventType":"a.b","payload":{},"extra":1}`, 400, nil},
		{"bad type", key, `{"eventType":"Not Valid","payload":{}}`, 422, func(p map[string]any) bool { return len(p["errors"].([]any)) == 1 }},
		{"array payload", key, `{"eventType":"a.b","payload":[1]}`, 422, nil},
		{"missing payload", key, `{"eventType":"a.b"}`, 422, nil},
		{"too large", key, `{"eventType":"a.b","payload":{"x":"` + strings.Repeat("x", 300<<10) + `"}}`, 413, nil},
		{"type not in the catalog", key, `{"eventType":"nope.never","payload":{}}`, 422, func(p map[string]any) bool { return len(p["errors"].([]any)) == 1 }},
		{"Hookboard's test type", key, `{"eventType":"webhook.ping","payload":{}}`, 422, nil},
	} {
		resp, p := apiCall(t, h.srv.URL, "POST", path, c.key, c.body)
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d (%v)", c.name, resp.StatusCode, c.status, p)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: content type %q", c.name, ct)
		}
		if p["status"] != float64(c.status) || p["title"] == "" || p["instance"] != path {
			t.Errorf("%s: problem = %v", c.name, p)
		}
		if c.check != nil && !c.check(p) {
			t.Errorf("%s: problem = %v", c.name, p)
		}
	}
	// A revoked key stops working at once.
	k, err := h.store.ListAPIKeys(t.Context(), h.acme.ID)
	if err != nil {
		t.Fatal(err)
	}
	h.store.RevokeAPIKey(t.Context(), hook.Actor{Label: "test"}, h.acme.ID, k[0].ID)
	resp, _ = apiCall(t, h.srv.URL, "POST", path, key, `{"eventType":"a.b","payload":{}}`)
	wantStatus(t, resp, http.StatusUnauthorized)
}

func TestAPIKeysPage(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("a.b")
	a := h.admin()
	path := "/apps/" + h.acme.ID + "/api-keys"
	resp, doc := a.get(path)
	wantStatus(t, resp, http.StatusOK)
	if doc.Find("[data-testid=empty-state]").Length() != 1 {
		t.Error("no empty state")
	}
	resp, doc = a.post(path, url.Values{"name": {""}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if text(doc, "[data-error-for=name]") == "" {
		t.Error("no error for a blank name")
	}
	resp, doc = a.post(path, url.Values{"name": {"billing service"}})
	wantStatus(t, resp, http.StatusOK)
	key := text(doc, "[data-testid=new-api-key]")
	if !strings.HasPrefix(key, "hbk_") {
		t.Fatalf("new key %q", key)
	}
	row := doc.Find("table[data-testid=api-keys] tr[data-api-key-id]")
	if row.Length() != 1 || !strings.HasPrefix(key, strings.TrimSuffix(strings.TrimSpace(row.Find("[data-field=prefix]").Text()), "…")) {
		t.Errorf("list row prefix %q", row.Find("[data-field=prefix]").Text())
	}
	if got := strings.TrimSpace(row.Find("[data-field=last-used]").Text()); got != "Never" {
		t.Errorf("last used = %q", got)
	}
	// The key works, and its use shows up.
	apiResp, _ := apiCall(t, h.srv.URL, "POST", "/api/v1/apps/"+h.acme.ID+"/events", key, `{"eventType":"a.b","payload":{}}`)
	wantStatus(t, apiResp, http.StatusAccepted)
	resp, doc = a.get(path)
	if strings.Contains(body(resp), key) {
		t.Error("the full key is shown again")
	}
	if doc.Find("tr[data-api-key-id] [data-field=last-used] time").Length() != 1 {
		t.Error("last use not shown")
	}
	// Without JavaScript, Revoke asks first.
	resp, doc = a.submit(doc.Find("tr[data-api-key-id] form"), nil)
	wantStatus(t, resp, http.StatusOK)
	if !strings.Contains(doc.Find("[data-testid=confirm]").Text(), "Revoke the API key “") {
		t.Fatal("no confirm step")
	}
	apiResp, _ = apiCall(t, h.srv.URL, "POST", "/api/v1/apps/"+h.acme.ID+"/events", key, `{"eventType":"a.b","payload":{}}`)
	wantStatus(t, apiResp, http.StatusAccepted)
	resp, doc = a.submit(doc.Find("[data-testid=confirm] form"), nil)
	wantStatus(t, resp, http.StatusSeeOther)
	_, doc = a.follow(resp)
	if got := strings.TrimSpace(doc.Find("tr[data-api-key-id] [data-field=status]").Text()); got != "Revoked" {
		t.Errorf("status after revoke %q", got)
	}
	apiResp, _ = apiCall(t, h.srv.URL, "POST", "/api/v1/apps/"+h.acme.ID+"/events", key, `{"eventType":"a.b","payload":{}}`)
	wantStatus(t, apiResp, http.StatusUnauthorized)
	// Support agents have no access to keys.
	s := h.support()
	resp, _ = s.get(path)
	wantStatus(t, resp, http.StatusForbidden)
	resp, _ = s.post(path, url.Values{"name": {"x"}})
	wantStatus(t, resp, http.StatusForbidden)
	_, doc = s.get("/apps/" + h.acme.ID + "/webhooks")
	if doc.Find(`nav a[href$="/api-keys"]`).Length() != 0 {
		t.Error("support sees the API keys link")
	}
}

func TestSendTestEvent(t *testing.T) {
	st := storetest.New(t, store.SQLite, storetest.Options{})
	res, err := st.AddUser(t.Context(), "admin@acme.test", password, "Acme", hook.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	var got *http.Request
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(r.Context())
		w.WriteHeader(http.StatusOK)
	}))
	defer receiver.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) }))
	defer failing.Close()
	dev := hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}
	good, _, err := st.CreateWebhook(t.Context(), hook.Actor{}, res.App.ID, hook.WebhookInput{Name: "Good", URL: receiver.URL, Events: []string{"*"}, Active: true, AuthType: "none"}, dev)
	if err != nil {
		t.Fatal(err)
	}
	bad, _, _ := st.CreateWebhook(t.Context(), hook.Actor{}, res.App.ID, hook.WebhookInput{Name: "Bad", URL: failing.URL, Events: []string{"*"}, Active: true, AuthType: "none"}, dev)
	snd := sender.New(sender.Options{Store: st, AllowPrivate: true})
	srv := httptest.NewServer(web.New(web.Options{Store: st, Deliverer: sender.NewService(st, snd), SessionKey: []byte("0123456789abcdef0123456789abcdef"), Targets: dev}))
	defer srv.Close()
	h := &harness{t: t, store: st, srv: srv, acme: res.App}
	a := h.admin()

	_, doc := a.get("/apps/" + res.App.ID + "/webhooks/" + good.ID)
	resp, _ := a.submit(doc.Find("form[data-testid=send-test]"), nil)
	wantStatus(t, resp, http.StatusSeeOther)
	_, doc = a.follow(resp)
	if msg := text(doc, "[data-testid=flash]"); !strings.HasPrefix(msg, "Test event delivered: HTTP 200") {
		t.Errorf("flash = %q", msg)
	}
	if got == nil || got.Header.Get("webhook-signature") == "" {
		t.Fatal("receiver got no signed request")
	}
	_, doc = a.get("/apps/" + res.App.ID + "/webhooks/" + bad.ID)
	resp, _ = a.submit(doc.Find("form[data-testid=send-test]"), nil)
	_, doc = a.follow(resp)
	if msg := text(doc, "[data-testid=flash]"); !strings.Contains(msg, "HTTP 404") || !strings.Contains(msg, "URL not found") {
		t.Errorf("flash = %q", msg)
	}

	// The API's test-ping answers with the delivery and its first attempt.
	key := h.apiKey(res.App.ID)
	apiResp, out := apiCall(t, srv.URL, "POST", "/api/v1/apps/"+res.App.ID+"/webhooks/"+good.ID+"/test-ping", key, "")
	wantStatus(t, apiResp, http.StatusOK)
	data := out["data"].(map[string]any)
	attempts := data["attempts"].([]any)
	if data["status"] != "succeeded" || data["eventType"] != "webhook.ping" || len(attempts) != 1 || attempts[0].(map[string]any)["trigger"] != "test" {
		t.Errorf("test-ping = %v", out)
	}
	apiResp, out = apiCall(t, srv.URL, "POST", "/api/v1/apps/"+res.App.ID+"/webhooks/01a20389-0000-7000-8000-000000000000/test-ping", key, "")
	wantStatus(t, apiResp, http.StatusNotFound)
	if out["resourceType"] != "webhook" || out["resourceId"] == "" {
		t.Errorf("404 problem = %v", out)
	}
}
