package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/sender/sendertest"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

const evilShort = `<script id="injected">alert(1)</script><img id="injected-img" src=x onerror=alert(2)>`

const evil = `"><script id="injected">alert(1)</script><img id="injected-img" src=x onerror="alert(2)"><a id="injected-a" href="javascript:alert(3)">x</a>`

// Stored names, descriptions, URLs, payloads and response bodies with HTML
// or JavaScript in them render as text on every page.
func TestStoredXSSRendersInert(t *testing.T) {
	var drv *sendertest.Driver
	h := newHarnessWith(t, storetest.Options{}, func(st *store.Store) *sender.Sender {
		drv = sendertest.Start(t, st, sender.Options{AllowPrivate: true})
		return drv.Sender
	})
	ctx := context.Background()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Evil", evil)
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, evil)
	}))
	defer receiver.Close()
	dev := hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}
	if _, err := h.store.CreateEventType(ctx, hook.Actor{}, h.acme.ID, hook.EventTypeInput{Name: "evil.type", Description: evil, Example: `{"x":"` + strings.ReplaceAll(evil, `"`, `\"`) + `"}`}); err != nil {
		t.Fatal(err)
	}
	wh, _, err := h.store.CreateWebhook(ctx, hook.Actor{}, h.acme.ID, hook.WebhookInput{
		Name: "Evil " + evilShort, URL: receiver.URL + `/?q="><script>alert(4)</script>`, Description: evil,
		Events: []string{"*"}, Active: true, AuthType: hook.AuthBasic, AuthUsername: "u" + evilShort, AuthPassword: "p",
	}, dev)
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.store.IngestEvent(ctx, h.acme.ID, "evil.type", []byte(`{"html":"`+strings.ReplaceAll(evil, `"`, `\"`)+`"}`), "")
	if err != nil {
		t.Fatal(err)
	}
	drv.Step()
	var deliveryID string
	h.store.DB().Get(&deliveryID, h.store.DB().Rebind(`SELECT id FROM deliveries WHERE event_id = ?`), res.Event.ID)
	h.store.CreateAPIKey(ctx, hook.Actor{}, h.acme.ID, "key "+evil)
	a := h.admin()
	a.post("/apps/"+h.acme.ID+"/members", url.Values{"email": {"x" + strings.ReplaceAll(evil, " ", "") + "@acme.test"}, "role": {"support"}})

	base := "/apps/" + h.acme.ID
	for _, p := range []string{
		"/webhooks", "/webhooks/" + wh.ID, "/webhooks/" + wh.ID + "/edit", "/webhooks/" + wh.ID + "/delete",
		"/webhooks/" + wh.ID + "/events", "/events", "/deliveries/" + deliveryID, "/deliveries/" + deliveryID + "?tab=response",
		"/event-types", "/api-keys", "/members", "/audit", "/webhooks/" + wh.ID + "/secret/rotate",
	} {
		resp, doc := a.get(base + p)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", p, resp.StatusCode)
			continue
		}
		if n := doc.Find("#injected, #injected-img, #injected-a, [onerror], a[href^='javascript:']").Length(); n != 0 {
			t.Errorf("%s: %d injected elements", p, n)
		}
		doc.Find("script").Each(func(_ int, s *goquery.Selection) {
			if src, _ := s.Attr("src"); !strings.HasPrefix(src, "/static/") || strings.TrimSpace(s.Text()) != "" {
				t.Errorf("%s: a script that is not ours (src %q)", p, src)
			}
		})
	}
	// The evil text is shown, as text.
	_, doc := a.get(base + "/deliveries/" + deliveryID + "?tab=response")
	if !strings.Contains(doc.Find("[data-field=response-body]").Text(), "<script") {
		t.Error("the response body is not shown as text")
	}
}
