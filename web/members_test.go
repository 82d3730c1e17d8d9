package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func TestMembers(t *testing.T) {
	h := newHarness(t)
	a := h.admin()
	path := "/apps/" + h.acme.ID + "/members"
	resp, doc := a.get(path)
	wantStatus(t, resp, http.StatusOK)
	rows := doc.Find("table[data-testid=members] tr[data-user-id]")
	if rows.Length() != 2 {
		t.Fatalf("%d members", rows.Length())
	}
	// Add an existing user (Beta's admin) as support.
	resp, _ = a.post(path, url.Values{"email": {"admin@beta.test"}, "role": {"support"}})
	wantStatus(t, resp, http.StatusSeeOther)
	_, doc = a.follow(resp)
	if got := text(doc, "[data-testid=flash]"); got != "admin@beta.test added as support." {
		t.Errorf("flash %q", got)
	}
	row := doc.Find(`tr[data-email="admin@beta.test"]`)
	if row.Find("select[name=role] option[selected]").AttrOr("value", "") != "support" {
		t.Error("new member's role not shown")
	}
	// They can now switch to Acme.
	o := h.outsider()
	resp, _ = o.get("/apps/" + h.acme.ID + "/webhooks")
	wantStatus(t, resp, http.StatusOK)

	// A new person gets an account with a one-time password, shown once.
	resp, doc = a.post(path, url.Values{"email": {"newbie@acme.test"}, "role": {"admin"}})
	wantStatus(t, resp, http.StatusOK)
	temp := text(doc, "#temp-password")
	if len(temp) < 12 {
		t.Fatalf("temporary password %q", temp)
	}
	c := h.anonymous()
	resp, _ = c.post("/login", url.Values{"email": {"newbie@acme.test"}, "password": {temp}})
	wantStatus(t, resp, http.StatusSeeOther)
	_, doc = a.get(path)
	if strings.Contains(doc.Text(), temp) {
		t.Error("temporary password shown again")
	}

	// Bad input.
	resp, doc = a.post(path, url.Values{"email": {"not an email"}, "role": {"support"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if text(doc, "[data-error-for=email]") == "" || doc.Find("input[name=email]").AttrOr("value", "") != "not an email" {
		t.Error("bad e-mail not explained, or not kept")
	}
	resp, doc = a.post(path, url.Values{"email": {"support@acme.test"}, "role": {"support"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if !strings.Contains(text(doc, "[data-error-for=email]"), "already a member") {
		t.Error("adding a member twice not explained")
	}

	// Change a role; the last admin stays.
	var adminID, supportID string
	doc.Find("tr[data-user-id]").Each(func(_ int, s *goquery.Selection) {
		switch s.AttrOr("data-email", "") {
		case "admin@acme.test":
			adminID = s.AttrOr("data-user-id", "")
		case "support@acme.test":
			supportID = s.AttrOr("data-user-id", "")
		}
	})
	resp, _ = a.post(path+"/"+supportID+"/role", url.Values{"role": {"admin"}})
	wantStatus(t, resp, http.StatusSeeOther)
	// support@ is admin now: its old 403s are gone.
	resp, _ = h.support().get("/apps/" + h.acme.ID + "/api-keys")
	wantStatus(t, resp, http.StatusOK)
	resp, doc = a.post(path+"/"+supportID+"/remove", nil)
	wantStatus(t, resp, http.StatusOK) // the confirm step, without JavaScript
	resp, _ = a.submit(doc.Find("[data-testid=confirm] form"), nil)
	wantStatus(t, resp, http.StatusSeeOther)
	resp, _ = a.post(path+"/"+"00000000-0000-7000-8000-000000000000"+"/remove", url.Values{"confirm": {"yes"}})
	wantStatus(t, resp, http.StatusNotFound)

	// With newbie@ also admin, demote and remove until one admin is left.
	var newbieID string
	_, doc = a.get(path)
	doc.Find("tr[data-user-id]").Each(func(_ int, s *goquery.Selection) {
		if s.AttrOr("data-email", "") == "newbie@acme.test" {
			newbieID = s.AttrOr("data-user-id", "")
		}
	})
	resp, _ = a.post(path+"/"+newbieID+"/remove", url.Values{"confirm": {"yes"}})
	a.follow(resp)
	resp, _ = a.post(path+"/"+adminID+"/role", url.Values{"role": {"support"}})
	_, doc = a.follow(resp)
	if got := text(doc, "[data-testid=flash]"); !strings.Contains(got, "last admin") {
		t.Errorf("demoting the last admin: %q", got)
	}
	resp, _ = a.post(path+"/"+adminID+"/remove", url.Values{"confirm": {"yes"}})
	_, doc = a.follow(resp)
	if got := text(doc, "[data-testid=flash]"); !strings.Contains(got, "last admin") {
		t.Errorf("removing the last admin: %q", got)
	}
	if doc.Find(`tr[data-email="admin@acme.test"] option[selected]`).AttrOr("value", "") != "admin" {
		t.Error("the last admin lost the role")
	}
}

func TestAuditLog(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("invoice.paid")
	a := h.admin()
	sup := h.support()
	id, _ := createViaForm(t, a, h.acme.ID)
	page := "/apps/" + h.acme.ID + "/webhooks/" + id
	_, doc := a.get(page)
	a.submit(doc.Find("form[data-testid=reveal]"), nil)
	a.post(page+"/secret/rotate", url.Values{"confirm": {"yes"}})
	form := validForm()
	form.Set("events", "*")
	a.post(page+"/edit", form)
	a.post("/apps/"+h.acme.ID+"/api-keys", url.Values{"name": {"ci"}})
	a.post("/apps/"+h.acme.ID+"/members", url.Values{"email": {"admin@beta.test"}, "role": {"support"}})
	a.post(page+"/delete", url.Values{"confirm": {"yes"}})

	// Support agents read it too.
	resp, doc := sup.get("/apps/" + h.acme.ID + "/audit")
	wantStatus(t, resp, http.StatusOK)
	var actions []string
	doc.Find("table[data-testid=audit] tr[data-action]").Each(func(_ int, s *goquery.Selection) {
		actions = append(actions, s.AttrOr("data-action", ""))
	})
	want := []string{"webhook.delete", "member.add", "api_key.create", "webhook.update", "secret.rotate", "secret.reveal", "webhook.create", "user.sign_in", "user.sign_in", "event_type.create"}
	if strings.Join(actions, " ") != strings.Join(want, " ") {
		t.Errorf("audit actions newest first:\n got %v\nwant %v", actions, want)
	}
	first := doc.Find("tr[data-action]").First()
	if got := strings.TrimSpace(first.Find("[data-field=actor]").Text()); got != "admin@acme.test" {
		t.Errorf("actor %q", got)
	}
	if got := strings.TrimSpace(first.Find("[data-field=action]").Text()); got != "Deleted webhook" {
		t.Errorf("action label %q", got)
	}
	if first.Find("[data-field=when] time").Length() != 1 {
		t.Error("no time")
	}
	// Paged, 50 a page.
	for range 60 {
		h.store.AuditSignIn(t.Context(), mustUser(t, h, "admin@acme.test"), "127.0.0.1")
	}
	_, doc = a.get("/apps/" + h.acme.ID + "/audit")
	if n := doc.Find("tr[data-action]").Length(); n != 50 {
		t.Errorf("first page %d rows", n)
	}
	next := doc.Find("a[rel=next]").AttrOr("href", "")
	_, doc = a.get("/apps/" + h.acme.ID + "/audit" + next)
	if n := doc.Find("tr[data-action]").Length(); n != 20 {
		t.Errorf("second page %d rows, want 20", n)
	}
	// Another app's admin sees nothing of it.
	resp, _ = h.anonymous().get("/apps/" + h.acme.ID + "/audit")
	wantStatus(t, resp, http.StatusSeeOther)
}
