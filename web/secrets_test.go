package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// createViaForm creates a webhook through the page and returns its id and
// the secret shown once.
func createViaForm(t *testing.T, c *client, appID string) (string, string) {
	t.Helper()
	form := validForm()
	form.Set("events", "*")
	resp, doc := c.post("/apps/"+appID+"/webhooks/new", form)
	wantStatus(t, resp, http.StatusOK)
	secret := text(doc, "[data-testid=new-secret]")
	href := doc.Find("[data-testid=copy-close]").AttrOr("href", "")
	return href[strings.LastIndex(href, "/")+1:], secret
}

func TestSecretMaskedAndRevealed(t *testing.T) {
	h := newHarness(t)
	a := h.admin()
	id, secret := createViaForm(t, a, h.acme.ID)
	if !strings.HasPrefix(secret, "whsec_") || len(secret) != 38 {
		t.Fatalf("new secret %q", secret)
	}
	page := "/apps/" + h.acme.ID + "/webhooks/" + id

	// Masked by default, and nowhere in the page source.
	resp, doc := a.get(page)
	wantStatus(t, resp, http.StatusOK)
	masked := text(doc, "[data-testid=signing-secret]")
	if want := "whsec_" + strings.Repeat("•", 12) + secret[len(secret)-4:]; masked != want {
		t.Errorf("masked = %q, want %q", masked, want)
	}
	src := body(resp)
	if strings.Contains(src, secret) || strings.Contains(src, strings.TrimPrefix(secret, "whsec_")[:20]) {
		t.Fatal("secret in the page source before reveal")
	}

	// Reveal (POST) shows it in full to an admin, and is audited.
	resp, doc = a.submit(doc.Find("form[data-testid=reveal]"), nil)
	wantStatus(t, resp, http.StatusOK)
	if got := text(doc, "[data-testid=signing-secret]"); got != secret {
		t.Errorf("revealed = %q, want the secret", got)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Error("revealed page may be cached")
	}
	entries, _ := h.store.ListAudit(t.Context(), h.acme.ID, "", 1)
	if len(entries) != 1 || entries[0].Action != "secret.reveal" || entries[0].Actor != "admin@acme.test" {
		t.Errorf("reveal audit = %+v", entries)
	}

	// Copy fetches it on demand as JSON, also audited.
	copyURL := doc.Find("[data-testid=copy-secret]").AttrOr("data-copy-secret", "")
	resp, _ = a.post(copyURL, nil)
	wantStatus(t, resp, http.StatusOK)
	var got struct{ Secret string }
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || got.Secret != secret {
		t.Errorf("copy endpoint = %+v, %v", got, err)
	}
	// ...but not for another site.
	resp, _ = a.post(copyURL, nil, "Sec-Fetch-Site", "cross-site")
	wantStatus(t, resp, http.StatusForbidden)
}

func TestSecretSupportRefused(t *testing.T) {
	h := newHarness(t)
	id, secret := createViaForm(t, h.admin(), h.acme.ID)
	s := h.support()
	page := "/apps/" + h.acme.ID + "/webhooks/" + id
	resp, doc := s.get(page)
	wantStatus(t, resp, http.StatusOK)
	if doc.Find("[data-testid=signing-secret]").Length() != 1 {
		t.Error("support does not see the masked secret")
	}
	if doc.Find("form[data-testid=reveal], form[data-testid=rotate], [data-testid=copy-secret]").Length() != 0 {
		t.Error("support is offered reveal, copy or rotate")
	}
	if strings.Contains(body(resp), secret) {
		t.Error("secret in the support agent's page")
	}
	for _, p := range []string{"/secret/reveal", "/secret", "/secret/rotate"} {
		resp, _ := s.post(page+p, url.Values{"confirm": {"yes"}})
		wantStatus(t, resp, http.StatusForbidden)
		if strings.Contains(body(resp), secret) {
			t.Errorf("%s: secret in the 403 page", p)
		}
	}
	resp, _ = s.get(page + "/secret/rotate")
	wantStatus(t, resp, http.StatusForbidden)
	if secrets, _ := h.store.ValidSecrets(t.Context(), id); len(secrets) != 1 || secrets[0] != secret {
		t.Error("support changed the secret")
	}
	// Another app's admin gets 404.
	resp, _ = h.outsider().post(page+"/secret/reveal", nil)
	wantStatus(t, resp, http.StatusNotFound)
}

func TestSecretRotateFlow(t *testing.T) {
	h := newHarness(t)
	a := h.admin()
	id, oldSecret := createViaForm(t, a, h.acme.ID)
	page := "/apps/" + h.acme.ID + "/webhooks/" + id
	_, doc := a.get(page)
	rotate := doc.Find("form[data-testid=rotate]")
	if box := rotate.Find("input[type=checkbox][name=expire_old]"); box.AttrOr("value", "") != "now" || box.Is("[checked]") {
		t.Error("rotate form lacks an unchecked expire_old=now box")
	}
	// Submitting without JavaScript asks first; nothing changes yet.
	resp, doc := a.submit(rotate, nil)
	wantStatus(t, resp, http.StatusOK)
	confirm := doc.Find("[data-testid=confirm-rotate]")
	if !strings.Contains(confirm.Text(), "Generate a new secret? The current one keeps working for 24 hours.") {
		t.Errorf("confirm page says %q", confirm.Text())
	}
	if btn := strings.TrimSpace(confirm.Find("button[type=submit]").Text()); btn != "Generate" {
		t.Errorf("confirm button %q", btn)
	}
	if secrets, _ := h.store.ValidSecrets(t.Context(), id); len(secrets) != 1 {
		t.Fatal("rotated before confirming")
	}
	before := time.Now()
	confirmForm := confirm.Find("form")
	resp, doc = a.submit(confirmForm, nil)
	wantStatus(t, resp, http.StatusOK)
	newSecret := text(doc, "[data-testid=new-secret]")
	if got := doc.Find("[data-testid=previous-secret-expires]").Text(); !strings.Contains(got, "until 20") || !strings.Contains(got, "UTC —") {
		t.Errorf("notice reads %q", got)
	}
	// Sending the same confirm form again (a reload) does not rotate twice.
	resp, _ = a.submit(confirmForm, nil)
	wantStatus(t, resp, http.StatusSeeOther)
	if secrets, _ := h.store.ValidSecrets(t.Context(), id); len(secrets) != 2 || secrets[0] != newSecret {
		t.Fatalf("a repeated form rotated again: %d secrets", len(secrets))
	}
	if !strings.HasPrefix(newSecret, "whsec_") || newSecret == oldSecret {
		t.Fatalf("new secret %q", newSecret)
	}
	if doc.Find("[data-testid=previous-secret-expires] time").Length() != 1 {
		t.Error("new secret page does not say until when the old one works")
	}

	// The page now shows the new secret masked and the old one's expiry.
	resp, doc = a.get(page)
	if got := text(doc, "[data-testid=signing-secret]"); !strings.HasSuffix(got, newSecret[len(newSecret)-4:]) {
		t.Errorf("masked %q is not the new secret", got)
	}
	if strings.Contains(body(resp), newSecret) {
		t.Error("new secret in the page source")
	}
	dt, ok := doc.Find("[data-testid=previous-secret-expires] time").Attr("datetime")
	if !ok {
		t.Fatal("no previous-secret expiry on the page")
	}
	until, err := time.Parse(time.RFC3339, dt)
	if err != nil || until.Before(before.Add(24*time.Hour-time.Minute)) || until.After(time.Now().Add(24*time.Hour+time.Minute)) {
		t.Errorf("previous secret valid until %s, want about 24 h from now", dt)
	}
	if secrets, _ := h.store.ValidSecrets(t.Context(), id); len(secrets) != 2 {
		t.Errorf("%d valid secrets during the grace period", len(secrets))
	}

	// Rotating with expire_old=now says so, and leaves only the newest secret.
	resp, doc = a.submit(doc.Find("form[data-testid=rotate]"), url.Values{"expire_old": {"now"}})
	if got := doc.Find("[data-testid=confirm-rotate]").Text(); !strings.Contains(got, "stops working at once") || strings.Contains(got, "keeps working for 24 hours") {
		t.Errorf("expire-now confirm says %q", got)
	}
	resp, doc = a.submit(doc.Find("[data-testid=confirm-rotate] form"), nil)
	wantStatus(t, resp, http.StatusOK)
	third := text(doc, "[data-testid=new-secret]")
	if secrets, _ := h.store.ValidSecrets(t.Context(), id); len(secrets) != 1 || secrets[0] != third {
		t.Errorf("after expire-now: %d valid secrets", len(secrets))
	}
	_, doc = a.get(page)
	if doc.Find("[data-testid=previous-secret-expires]").Length() != 0 {
		t.Error("previous secret still announced after expiring it")
	}
}

func TestCustomSecretOnEditForm(t *testing.T) {
	h := newHarness(t)
	a := h.admin()
	id, _ := createViaForm(t, a, h.acme.ID)
	edit := "/apps/" + h.acme.ID + "/webhooks/" + id + "/edit"
	_, doc := a.get(edit)
	if doc.Find("input[name=secret]").Length() != 1 {
		t.Fatal("edit form has no custom secret field")
	}
	form := validForm()
	form.Set("events", "*")
	form.Set("secret", "whsec_dG9vIHNob3J0")
	resp, doc := a.post(edit, form)
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if text(doc, "[data-error-for=secret]") == "" {
		t.Error("no error for a short secret")
	}
	if strings.Contains(body(resp), "dG9vIHNob3J0") {
		t.Error("typed secret echoed")
	}
	custom := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	form.Set("secret", custom)
	resp, _ = a.post(edit, form)
	wantStatus(t, resp, http.StatusSeeOther)
	if secrets, _ := h.store.ValidSecrets(t.Context(), id); len(secrets) != 2 || secrets[0] != custom {
		t.Errorf("custom secret not current: %d secrets", len(secrets))
	}
	// The create form does not offer it.
	_, doc = a.get("/apps/" + h.acme.ID + "/webhooks/new")
	if doc.Find("input[name=secret]").Length() != 0 {
		t.Error("create form offers a custom secret")
	}
}
