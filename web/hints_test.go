package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/hook/hooktest"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/sender/sendertest"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// TestHintsDiagnose: each failed attempt's [data-field=hint] on the
// delivery page names its cause, from real receivers: a closed port, a slow
// one (the configured timeout in the words), a redirect, and HTTP statuses;
// the test event's flash carries the same hint.
func TestHintsDiagnose(t *testing.T) {
	var drv *sendertest.Driver
	h := newHarnessWith(t, storetest.Options{}, func(st *store.Store) *sender.Sender {
		drv = sendertest.Start(t, st, sender.Options{AllowPrivate: true, Timeout: 300 * time.Millisecond, Jitter: func() float64 { return 0 }})
		return drv.Sender
	})
	h.mustEventTypes("invoice.paid")
	serve := func(fn http.HandlerFunc) string {
		s := httptest.NewServer(fn)
		t.Cleanup(s.Close)
		return s.URL + "/hook"
	}
	closed := hooktest.RefusedURL(t)
	release := make(chan struct{})
	slow := serve(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) }) // before the server's Close, which waits for the handler
	redirect := serve(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://new.example/hook", http.StatusFound)
	})
	code := func(c int) string { return serve(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(c) }) }

	cases := []struct {
		name, url, status, hint string
	}{
		{"Closed", closed, "", "Connection refused: nothing listens at the URL's host and port."},
		{"Slow", slow, "", "No answer within 300 ms: answer first, then do the work"},
		{"Redirect", redirect, "302", "does not follow redirects"},
		{"Missing", code(404), "404", "URL not found (404)"},
		{"Auth", code(401), "401", "Authentication failed (401 Unauthorized)"},
		{"Method", code(405), "405", "does not accept POST"},
		{"Large", code(413), "413", "Payload too large (413)"},
		{"Limited", code(429), "429", "Retry-After"},
		{"Broken", code(502), "502", "Bad gateway (502)"},
		{"Down", code(503), "503", "unavailable (503)"},
	}
	dev := hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}
	ids := map[string]string{}
	for _, c := range cases {
		wh, _, err := h.store.CreateWebhook(context.Background(), hook.Actor{}, h.acme.ID,
			hook.WebhookInput{Name: c.name, URL: c.url, Events: []string{"invoice.paid"}, Active: true, AuthType: hook.AuthNone}, dev)
		if err != nil {
			t.Fatal(err)
		}
		ids[c.name] = wh.ID
	}
	res, err := h.store.IngestEvent(context.Background(), h.acme.ID, "invoice.paid", []byte(`{"n":1}`), "")
	if err != nil {
		t.Fatal(err)
	}
	drv.Step()

	a := h.admin()
	for _, c := range cases {
		var id string
		if err := h.store.DB().Get(&id, h.store.DB().Rebind(`SELECT id FROM deliveries WHERE event_id = ? AND webhook_id = ?`), res.Event.ID, ids[c.name]); err != nil {
			t.Fatal(err)
		}
		_, doc := a.get("/apps/" + h.acme.ID + "/deliveries/" + id + "?tab=response")
		att := doc.Find("#tab-response [data-testid=attempt]")
		if att.Length() != 1 {
			t.Errorf("%s: %d attempts", c.name, att.Length())
			continue
		}
		if got := strings.TrimSpace(att.Find("[data-field=hint]").Text()); !strings.Contains(got, c.hint) {
			t.Errorf("%s: hint %q, want %q in it (error %q)", c.name, got, c.hint, strings.TrimSpace(att.Find("[data-field=error]").Text()))
		}
		if c.status != "" {
			if got := strings.TrimSpace(att.Find("[data-field=response-status]").Text()); got != c.status {
				t.Errorf("%s: status %q", c.name, got)
			}
		}
	}

	// The test event's flash says the same.
	_, doc := a.get("/apps/" + h.acme.ID + "/webhooks/" + ids["Closed"])
	resp, _ := a.submit(doc.Find("form[data-testid=send-test]"), nil)
	_, doc = a.follow(resp)
	if msg := text(doc, "[data-testid=flash]"); !strings.Contains(msg, "Test event failed") || !strings.Contains(msg, "Connection refused: nothing listens") {
		t.Errorf("flash = %q", msg)
	}
}

// TestPrivateTargetNamesDevSwitch: the form's refusal of a non-public
// address says how to allow it in development, as the README does.
func TestPrivateTargetNamesDevSwitch(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("invoice.paid", "invoice.failed")
	a := h.admin()
	for _, u := range []string{"https://127.0.0.1:8081/hook", "https://localhost/hook", "https://10.0.0.7/hook"} {
		form := validForm()
		form.Set("url", u)
		resp, doc := a.post("/apps/"+h.acme.ID+"/webhooks/new", form)
		msg := text(doc, "[data-error-for=url]")
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(msg, "HOOKBOARD_ALLOW_PRIVATE_TARGETS=true") {
			t.Errorf("%s: %d %q", u, resp.StatusCode, msg)
		}
	}
}
