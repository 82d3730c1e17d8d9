package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/sender/sendertest"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

func TestWebhookListEmptyState(t *testing.T) {
	h := newHarness(t)
	resp, doc := h.admin().get("/apps/" + h.acme.ID + "/webhooks")
	wantStatus(t, resp, http.StatusOK)
	if doc.Find("[data-testid=empty-state]").Length() != 1 {
		t.Error("no empty state")
	}
	if doc.Find("table[data-testid=webhooks]").Length() != 0 {
		t.Error("table shown with no webhooks")
	}
	if doc.Find(`[data-testid=empty-state] a[href$="/webhooks/new"]`).Length() != 1 {
		t.Error("empty state does not lead to the create form")
	}
}

func TestCreateWebhook(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("invoice.paid", "invoice.failed", "user.created")
	a := h.admin()
	base := "/apps/" + h.acme.ID + "/webhooks"

	// The form offers the catalog as checkboxes, and * for all events.
	resp, doc := a.get(base + "/new")
	wantStatus(t, resp, http.StatusOK)
	var offered []string
	doc.Find("form input[type=checkbox][name=events]").Each(func(_ int, s *goquery.Selection) {
		offered = append(offered, s.AttrOr("value", ""))
	})
	if !slices.Equal(offered, []string{"*", "invoice.failed", "invoice.paid", "user.created"}) {
		t.Errorf("offered events = %v", offered)
	}
	if _, ok := doc.Find("input[name=active]").Attr("checked"); !ok {
		t.Error("active is not on by default")
	}
	for _, f := range []string{"name", "url", "description", "auth_username", "auth_password", "auth_header", "auth_value"} {
		id := doc.Find("[name="+f+"]").AttrOr("id", "")
		if id == "" || doc.Find("label[for="+id+"]").Length() != 1 {
			t.Errorf("field %s has no label", f)
		}
	}
	action := doc.Find("form[method=post]").Last().AttrOr("action", "")

	resp, doc = a.post(action, validForm())
	wantStatus(t, resp, http.StatusOK)
	if got := text(doc, "h1"); got != "Webhook “Billing” created" {
		t.Errorf("heading = %q", got)
	}
	if secret := text(doc, "[data-testid=new-secret]"); !strings.HasPrefix(secret, "whsec_") {
		t.Errorf("new secret = %q", secret)
	}
	closeLink := doc.Find("[data-testid=copy-close]")
	if strings.TrimSpace(closeLink.Text()) != "Copy & close" {
		t.Errorf("close link says %q", closeLink.Text())
	}
	resp, doc = a.get(closeLink.AttrOr("href", ""))
	wantStatus(t, resp, http.StatusOK)
	want := map[string]string{
		"name":      "Billing",
		"url":       "https://billing.example.com/hooks",
		"status":    "Active",
		"auth-type": "None",
	}
	for f, v := range want {
		if got := text(doc, "[data-field="+f+"]"); got != v {
			t.Errorf("detail %s = %q, want %q", f, got, v)
		}
	}
	if got := text(doc, "[data-field=events]"); !strings.Contains(got, "invoice.failed") || !strings.Contains(got, "invoice.paid") {
		t.Errorf("events = %q", got)
	}
	for _, f := range []string{"created", "updated"} {
		if _, ok := doc.Find("[data-field=" + f + "] time").Attr("datetime"); !ok {
			t.Errorf("%s has no <time datetime>", f)
		}
	}
	if doc.Find("form[data-testid=delete]").Length() != 1 || doc.Find("a[data-testid=edit]").Length() != 1 {
		t.Error("detail page lacks Edit or Delete")
	}

	// The list shows the row with its cells.
	_, doc = a.get(base)
	rows := doc.Find("table[data-testid=webhooks] tr[data-webhook-id]")
	if rows.Length() != 1 {
		t.Fatalf("%d rows", rows.Length())
	}
	id := rows.AttrOr("data-webhook-id", "")
	if resp.Request.URL.Path != base+"/"+id {
		t.Errorf("redirected to %s, row id %s", resp.Request.URL.Path, id)
	}
	for f, v := range map[string]string{"name": "Billing", "url": "https://billing.example.com/hooks", "status": "Active", "success-rate": "—"} {
		if got := strings.TrimSpace(rows.Find("[data-field=" + f + "]").Text()); got != v {
			t.Errorf("row %s = %q, want %q", f, got, v)
		}
	}
	for _, action := range []string{"view", "edit", "delete"} {
		if rows.Find("[data-action="+action+"]").Length() != 1 {
			t.Errorf("row lacks the %s action", action)
		}
	}
}

func TestCreateWebhookWithAuth(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("invoice.paid")
	a := h.admin()
	form := validForm()
	form.Set("events", "*")
	form.Set("auth_type", "api_key")
	form.Set("auth_header", "X-Api-Key")
	form.Set("auth_value", "sk_live_topsecret")
	resp, doc := a.post("/apps/"+h.acme.ID+"/webhooks/new", form)
	wantStatus(t, resp, http.StatusOK)
	if strings.Contains(body(resp), "topsecret") {
		t.Error("the API key value is in the created page")
	}
	resp, doc = a.get(doc.Find("[data-testid=copy-close]").AttrOr("href", ""))
	if got := text(doc, "[data-field=auth-type]"); got != "API key" {
		t.Errorf("auth type = %q", got)
	}
	if strings.Contains(body(resp), "topsecret") {
		t.Error("the API key value is in the page")
	}
	// Edit shows that a value is stored without showing it.
	id := strings.TrimPrefix(resp.Request.URL.Path, "/apps/"+h.acme.ID+"/webhooks/")
	resp, doc = a.get("/apps/" + h.acme.ID + "/webhooks/" + id + "/edit")
	if strings.Contains(body(resp), "topsecret") {
		t.Error("the API key value is in the edit form")
	}
	if _, ok := doc.Find("input[name=auth_type][value=api_key]").Attr("checked"); !ok {
		t.Error("auth type not selected on edit")
	}
	if !strings.Contains(doc.Find(".auth-api_key").Text(), "Leave blank to keep it") {
		t.Error("edit form does not say a value is stored")
	}
}

func TestCreateWebhookInvalid(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("invoice.paid", "invoice.failed")
	h.mustWebhook(h.acme.ID, "Taken")
	a := h.admin()
	cases := []struct {
		name  string
		edit  func(url.Values)
		field string
	}{
		{"missing name", func(f url.Values) { f.Set("name", "") }, "name"},
		{"name without letters", func(f url.Values) { f.Set("name", "***") }, "name"},
		{"duplicate name", func(f url.Values) { f.Set("name", "taken") }, "name"},
		{"missing url", func(f url.Values) { f.Set("url", "") }, "url"},
		{"http url", func(f url.Values) { f.Set("url", "http://billing.example.com/hooks") }, "url"},
		{"not a url", func(f url.Values) { f.Set("url", "billing") }, "url"},
		{"private address", func(f url.Values) { f.Set("url", "https://192.168.1.10/hooks") }, "url"},
		{"loopback address", func(f url.Values) { f.Set("url", "https://[::1]/hooks") }, "url"},
		{"no events", func(f url.Values) { f.Del("events") }, "events"},
		{"unknown event", func(f url.Values) { f["events"] = []string{"made.up"} }, "events"},
		{"unknown auth type", func(f url.Values) { f.Set("auth_type", "oauth") }, "auth_type"},
		{"basic without username", func(f url.Values) { f.Set("auth_type", "basic"); f.Set("auth_password", "pw") }, "auth_username"},
		{"basic without password", func(f url.Values) { f.Set("auth_type", "basic"); f.Set("auth_username", "u") }, "auth_password"},
		{"api key without header", func(f url.Values) { f.Set("auth_type", "api_key"); f.Set("auth_value", "v") }, "auth_header"},
		{"api key without value", func(f url.Values) { f.Set("auth_type", "api_key"); f.Set("auth_header", "X-Key") }, "auth_value"},
		{"long description", func(f url.Values) { f.Set("description", strings.Repeat("x", 1001)) }, "description"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			form := validForm()
			c.edit(form)
			resp, doc := a.post("/apps/"+h.acme.ID+"/webhooks/new", form)
			wantStatus(t, resp, http.StatusUnprocessableEntity)
			if msg := text(doc, "[data-error-for="+c.field+"]"); msg == "" {
				t.Errorf("no error for %s; errors: %q", c.field, doc.Find("[data-error-for]").Text())
			}
			// Assistive technology hears which field is wrong and why.
			if in := doc.Find("[name=" + c.field + "]").First(); in.Is("input[type=text], input[type=url], input[type=password]") {
				if in.AttrOr("aria-invalid", "") != "true" || !strings.Contains(in.AttrOr("aria-describedby", ""), "err-"+c.field) {
					t.Errorf("%s: aria-invalid=%q aria-describedby=%q", c.field, in.AttrOr("aria-invalid", ""), in.AttrOr("aria-describedby", ""))
				}
			}
			// The user's values are kept.
			if got := doc.Find("input[name=name]").AttrOr("value", ""); got != form.Get("name") {
				t.Errorf("name = %q, want %q", got, form.Get("name"))
			}
			if got := doc.Find("input[name=url]").AttrOr("value", ""); got != form.Get("url") {
				t.Errorf("url = %q, want %q", got, form.Get("url"))
			}
			for _, e := range form["events"] {
				if _, ok := doc.Find(`input[name=events][value="` + e + `"]`).Attr("checked"); !ok && e != "made.up" {
					t.Errorf("event %s not kept", e)
				}
			}
		})
	}
	// Several bad fields: an error beside each.
	form := validForm()
	form.Set("name", "")
	form.Set("url", "ftp://x")
	form.Del("events")
	resp, doc := a.post("/apps/"+h.acme.ID+"/webhooks/new", form)
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if n := doc.Find("[data-error-for]").Length(); n != 3 {
		t.Errorf("%d field errors, want 3", n)
	}
	if list, _ := h.store.ListWebhooks(t.Context(), h.acme.ID); len(list) != 1 {
		t.Errorf("invalid input saved something: %d webhooks", len(list))
	}
}

func TestInvalidFormDoesNotEchoSecrets(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("invoice.paid")
	form := validForm()
	form.Set("name", "")
	form.Set("events", "invoice.paid")
	form.Set("auth_type", "basic")
	form.Set("auth_username", "bob")
	form.Set("auth_password", "hunter2-secret")
	resp, doc := h.admin().post("/apps/"+h.acme.ID+"/webhooks/new", form)
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if strings.Contains(body(resp), "hunter2-secret") {
		t.Error("typed password echoed into the page")
	}
	if got := doc.Find("input[name=auth_username]").AttrOr("value", ""); got != "bob" {
		t.Errorf("username not kept: %q", got)
	}
	if !strings.Contains(doc.Find(".auth-basic").Text(), "enter it again") {
		t.Error("no hint to re-enter the password")
	}
}

func TestEditWebhook(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("invoice.paid", "invoice.failed")
	wh := h.mustWebhook(h.acme.ID, "Orders")
	h.mustWebhook(h.acme.ID, "Other")
	a := h.admin()
	path := "/apps/" + h.acme.ID + "/webhooks/" + wh.ID + "/edit"
	resp, doc := a.get(path)
	wantStatus(t, resp, http.StatusOK)
	if got := doc.Find("input[name=name]").AttrOr("value", ""); got != "Orders" {
		t.Errorf("name = %q", got)
	}
	if got := strings.TrimSpace(doc.Find("form button[type=submit]").Last().Text()); got != "Update" {
		t.Errorf("submit says %q, want Update", got)
	}
	form := validForm()
	form.Set("name", "Orders v2")
	form.Del("active")
	form["events"] = []string{"invoice.failed"}
	action := doc.Find("form[method=post]").Last().AttrOr("action", "")
	resp, _ = a.post(action, form)
	wantStatus(t, resp, http.StatusSeeOther)
	_, doc = a.follow(resp)
	if got := text(doc, "[data-testid=flash]"); got != "Webhook “Orders v2” updated." {
		t.Errorf("flash = %q", got)
	}
	for f, v := range map[string]string{"name": "Orders v2", "status": "Inactive", "events": "invoice.failed"} {
		if got := text(doc, "[data-field="+f+"]"); got != v {
			t.Errorf("%s = %q, want %q", f, got, v)
		}
	}
	// Invalid update: 422, nothing saved.
	form.Set("name", "other")
	resp, doc = a.post(action, form)
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if text(doc, "[data-error-for=name]") == "" {
		t.Error("no error for a name taken by another webhook")
	}
	got, _ := h.store.Webhook(t.Context(), h.acme.ID, wh.ID)
	if got.Name != "Orders v2" {
		t.Errorf("name after invalid update = %q", got.Name)
	}
	// Keeping its own name is fine.
	form.Set("name", "ORDERS V2")
	resp, _ = a.post(action, form)
	wantStatus(t, resp, http.StatusSeeOther)
}

func TestDeleteWebhook(t *testing.T) {
	h := newHarness(t)
	wh := h.mustWebhook(h.acme.ID, "Doomed")
	a := h.admin()
	_, doc := a.get("/apps/" + h.acme.ID + "/webhooks/" + wh.ID)
	// Submitting the page's Delete form (as a browser without JavaScript
	// does) leads to the confirm step; nothing is deleted yet.
	del := doc.Find("form[data-testid=delete]")
	resp, doc := a.submit(del, nil)
	wantStatus(t, resp, http.StatusOK)
	if _, err := h.store.Webhook(t.Context(), h.acme.ID, wh.ID); err != nil {
		t.Fatalf("deleted before confirming: %v", err)
	}
	if !strings.Contains(doc.Find("[data-testid=confirm-delete]").Text(), "This is permanent") {
		t.Error("confirm page does not say it is permanent")
	}
	btn := doc.Find("[data-testid=confirm-delete] form[method=post] button[type=submit]")
	if strings.TrimSpace(btn.Text()) != "Delete" {
		t.Errorf("confirm button says %q", btn.Text())
	}
	resp, _ = a.submit(doc.Find("[data-testid=confirm-delete] form[method=post]"), nil)
	wantStatus(t, resp, http.StatusSeeOther)
	resp, doc = a.follow(resp)
	if resp.Request.URL.Path != "/apps/"+h.acme.ID+"/webhooks" {
		t.Errorf("after delete at %s", resp.Request.URL.Path)
	}
	if got := text(doc, "[data-testid=flash]"); got != "Webhook “Doomed” deleted." {
		t.Errorf("flash = %q", got)
	}
	if doc.Find("[data-testid=empty-state]").Length() != 1 {
		t.Error("list not empty after delete")
	}
	resp, _ = a.get("/apps/" + h.acme.ID + "/webhooks/" + wh.ID)
	wantStatus(t, resp, http.StatusNotFound)
}

func TestSupportRoleRefused(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("invoice.paid")
	wh := h.mustWebhook(h.acme.ID, "Orders")
	s := h.support()
	base := "/apps/" + h.acme.ID
	// Support agents read.
	resp, doc := s.get(base + "/webhooks")
	wantStatus(t, resp, http.StatusOK)
	if doc.Find(`tr[data-webhook-id="`+wh.ID+`"]`).Length() != 1 {
		t.Error("support does not see the webhook")
	}
	if doc.Find("[data-action=edit], [data-action=delete], a[href$='/webhooks/new']").Length() != 0 {
		t.Error("support is offered changes")
	}
	resp, doc = s.get(base + "/webhooks/" + wh.ID)
	wantStatus(t, resp, http.StatusOK)
	if doc.Find("form[data-testid=delete], a[data-testid=edit]").Length() != 0 {
		t.Error("support is offered edit or delete")
	}
	resp, doc = s.get(base + "/event-types")
	wantStatus(t, resp, http.StatusOK)
	if doc.Find("form[method=post]").Not("[action='/logout']").Length() != 0 {
		t.Error("support is offered event type changes")
	}
	// ...and every change is refused.
	for _, get := range []string{"/webhooks/new", "/webhooks/" + wh.ID + "/edit", "/webhooks/" + wh.ID + "/delete"} {
		resp, _ := s.get(base + get)
		wantStatus(t, resp, http.StatusForbidden)
	}
	for _, post := range []string{"/webhooks", "/webhooks/new", "/webhooks/" + wh.ID + "/edit", "/webhooks/" + wh.ID, "/webhooks/" + wh.ID + "/delete",
		"/event-types", "/event-types/invoice.paid/archive", "/event-types/invoice.paid/unarchive"} {
		resp, _ := s.post(base+post, validForm())
		wantStatus(t, resp, http.StatusForbidden)
	}
	list, _ := h.store.ListWebhooks(t.Context(), h.acme.ID)
	if len(list) != 1 || list[0].Name != "Orders" {
		t.Errorf("support changed webhooks: %+v", list)
	}
}

func TestOtherAppMemberGets404(t *testing.T) {
	h := newHarness(t)
	wh := h.mustWebhook(h.acme.ID, "Orders")
	betaHook := h.mustWebhook(h.beta.ID, "Mine")
	o := h.outsider()
	base := "/apps/" + h.acme.ID
	for _, get := range []string{"", "/webhooks", "/webhooks/new", "/webhooks/" + wh.ID, "/webhooks/" + wh.ID + "/edit", "/webhooks/" + wh.ID + "/delete", "/event-types"} {
		resp, _ := o.get(base + get)
		wantStatus(t, resp, http.StatusNotFound)
	}
	for _, post := range []string{"/webhooks/new", "/webhooks/" + wh.ID + "/edit", "/webhooks/" + wh.ID + "/delete", "/event-types"} {
		resp, _ := o.post(base+post, validForm())
		wantStatus(t, resp, http.StatusNotFound)
	}
	// Acme's admin cannot reach Beta's webhook through Acme's URLs either.
	a := h.admin()
	for _, p := range []string{"/webhooks/" + betaHook.ID, "/webhooks/" + betaHook.ID + "/edit"} {
		resp, _ := a.get(base + p)
		wantStatus(t, resp, http.StatusNotFound)
	}
	resp, _ := a.post(base+"/webhooks/"+betaHook.ID+"/delete", nil)
	wantStatus(t, resp, http.StatusNotFound)
	if _, err := h.store.Webhook(t.Context(), h.acme.ID, wh.ID); err != nil {
		t.Errorf("Acme's webhook gone: %v", err)
	}
	if _, err := h.store.Webhook(t.Context(), h.beta.ID, betaHook.ID); err != nil {
		t.Errorf("Beta's webhook gone: %v", err)
	}
}

func TestAppSwitcher(t *testing.T) {
	h := newHarness(t)
	if _, err := h.store.AddUser(t.Context(), "admin@acme.test", "", "Beta", "support"); err != nil {
		t.Fatal(err)
	}
	_, doc := h.admin().get("/apps/" + h.beta.ID + "/webhooks")
	if got := text(doc, "[data-testid=current-app]"); got != "Beta" {
		t.Errorf("current app = %q", got)
	}
	var apps []string
	doc.Find(".app-switch a").Each(func(_ int, s *goquery.Selection) { apps = append(apps, s.Text()) })
	if !slices.Equal(apps, []string{"Acme", "Beta"}) {
		t.Errorf("switcher lists %v", apps)
	}
}

// The URL's help names the schemes this server takes: https:// only, or
// http:// too where HOOKBOARD_ALLOW_HTTP_TARGETS is on (the harness with a
// sender allows it, for its loopback receivers).
func TestURLHelpNamesTheSchemesAllowed(t *testing.T) {
	help := func(h *harness) string {
		resp, doc := h.admin().get("/apps/" + h.acme.ID + "/webhooks/new")
		wantStatus(t, resp, http.StatusOK)
		return text(doc, "[data-testid=url-help]")
	}
	if got := help(newHarness(t)); got != "Must start with https://. Hookboard POSTs each event here." {
		t.Errorf("help with https only: %q", got)
	}
	h := newHarnessWith(t, storetest.Options{}, func(st *store.Store) *sender.Sender {
		return sendertest.Start(t, st, sender.Options{AllowPrivate: true}).Sender
	})
	if got := help(h); !strings.Contains(got, "https://") || !strings.Contains(got, "http://, which this server allows") {
		t.Errorf("help with http allowed: %q", got)
	}
}
