package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// signInWith returns a client signed in with email and pw, and the
// Location the sign-in sent it to.
func signInWith(t *testing.T, h *harness, email, pw string) (*client, string) {
	t.Helper()
	c := h.anonymous()
	resp, _ := c.post("/login", url.Values{"email": {email}, "password": {pw}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d", email, resp.StatusCode)
	}
	return c, resp.Header.Get("Location")
}

func changeForm(current, next, confirm string) url.Values {
	return url.Values{"current_password": {current}, "new_password": {next}, "confirm_password": {confirm}}
}

func TestAccountPageChangePassword(t *testing.T) {
	h := newHarness(t)
	a := h.admin()
	elsewhere := h.admin()
	support := h.support()

	// The header links to the Account page.
	_, doc := a.get("/apps/" + h.acme.ID + "/webhooks")
	if href := doc.Find("a[data-testid=account-link]").AttrOr("href", ""); href != "/account" {
		t.Fatalf("account link %q", href)
	}
	resp, doc := a.get("/account")
	wantStatus(t, resp, http.StatusOK)
	rows := doc.Find("table[data-testid=sessions] tr[data-testid=session]")
	if rows.Length() != 2 {
		t.Fatalf("%d sessions listed, want 2", rows.Length())
	}
	cur := doc.Find(`tr[data-testid=session][data-current=true]`)
	if cur.Length() != 1 || cur.Find("[data-field=this-session]").Length() != 1 {
		t.Error("this session not marked")
	}
	if got := strings.TrimSpace(cur.Find("[data-field=address]").Text()); got != "127.0.0.1" {
		t.Errorf("address %q", got)
	}
	if got := strings.TrimSpace(cur.Find("[data-field=user-agent]").Text()); !strings.HasPrefix(got, "Go-http-client") {
		t.Errorf("user agent %q", got)
	}
	if cur.Find("[data-field=last-seen] time").Length() != 1 {
		t.Error("last seen not shown")
	}
	if doc.Find("[data-testid=must-change]").Length() != 0 {
		t.Error("must-change notice for a user who chose their password")
	}

	// Bad input: 422, the field named, no password echoed back.
	form := doc.Find("form[data-testid=change-password]")
	for _, tc := range []struct {
		form  url.Values
		field string
	}{
		{changeForm("wrong password", "a brand new password", "a brand new password"), "current_password"},
		{changeForm(password, "a brand new password", "a brand new passwort"), "confirm_password"},
		{changeForm(password, "short", "short"), "new_password"},
		{changeForm(password, password, password), "new_password"},
	} {
		resp, doc := a.submit(form, tc.form)
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		if text(doc, "[data-error-for="+tc.field+"]") == "" {
			t.Errorf("%v: no error for %s", tc.form, tc.field)
		}
		doc.Find("input[type=password]").Each(func(_ int, s *goquery.Selection) {
			if s.AttrOr("value", "") != "" {
				t.Error("a password was sent back in the page")
			}
		})
	}
	// A wrong current password counts as a failed sign-in, but one does
	// not throttle anything.
	_, doc = a.get("/account")
	u, _ := url.Parse(h.srv.URL)
	before := a.http.Jar.Cookies(u)
	resp, _ = a.submit(doc.Find("form[data-testid=change-password]"), changeForm(password, "a brand new password", "a brand new password"))
	wantStatus(t, resp, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != "/account" {
		t.Errorf("after the change: %q", loc)
	}
	resp, doc = a.follow(resp)
	wantStatus(t, resp, http.StatusOK)
	if !strings.Contains(text(doc, "[data-testid=flash]"), "Your password has been changed") {
		t.Errorf("flash %q", text(doc, "[data-testid=flash]"))
	}
	// This browser stays signed in, on a fresh session; every other
	// session of the user has ended; other users are untouched.
	if n := doc.Find("tr[data-testid=session]").Length(); n != 1 {
		t.Errorf("%d sessions after the change, want 1", n)
	}
	replay := h.anonymous()
	replay.http.Jar.SetCookies(u, before)
	resp, _ = replay.get("/apps/" + h.acme.ID + "/webhooks")
	wantStatus(t, resp, http.StatusSeeOther) // the old session id is dead
	resp, _ = elsewhere.get("/apps/" + h.acme.ID + "/webhooks")
	wantStatus(t, resp, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/login") {
		t.Errorf("other session sent to %q", loc)
	}
	resp, _ = support.get("/apps/" + h.acme.ID + "/webhooks")
	wantStatus(t, resp, http.StatusOK)
	// The new password signs in; the old one does not.
	resp, _ = h.anonymous().post("/login", url.Values{"email": {"admin@acme.test"}, "password": {password}})
	wantStatus(t, resp, http.StatusUnauthorized)
	signInWith(t, h, "admin@acme.test", "a brand new password")
}

func TestSignOutEverywhereElse(t *testing.T) {
	h := newHarness(t)
	a, b, c := h.admin(), h.admin(), h.admin()
	support := h.support()
	_, doc := a.get("/account")
	form := doc.Find("form[data-testid=end-other-sessions]")
	if !strings.Contains(form.Text(), "(2)") {
		t.Errorf("button %q", strings.TrimSpace(form.Text()))
	}
	resp, _ := a.submit(form, nil)
	wantStatus(t, resp, http.StatusSeeOther)
	_, doc = a.follow(resp)
	if got := text(doc, "[data-testid=flash]"); got != "Signed out of 2 other sessions." {
		t.Errorf("flash %q", got)
	}
	if doc.Find("tr[data-testid=session]").Length() != 1 || doc.Find("[data-testid=no-other-sessions]").Length() != 1 {
		t.Error("other sessions still listed")
	}
	for _, other := range []*client{b, c} {
		resp, _ := other.get("/account")
		wantStatus(t, resp, http.StatusSeeOther)
	}
	for _, still := range []*client{a, support} {
		resp, _ := still.get("/apps/" + h.acme.ID + "/webhooks")
		wantStatus(t, resp, http.StatusOK)
	}
}

// TestOneTimePasswordMustBeChanged is issue 13's finding 3 on the pages: a
// new member's one-time password could be used forever. Now nothing but
// the change-password form is shown until they choose their own.
func TestOneTimePasswordMustBeChanged(t *testing.T) {
	h := newHarness(t)
	a := h.admin()
	resp, doc := a.post("/apps/"+h.acme.ID+"/members", url.Values{"email": {"newbie@acme.test"}, "role": {"admin"}})
	wantStatus(t, resp, http.StatusOK)
	temp := text(doc, "#temp-password")

	n, loc := signInWith(t, h, "newbie@acme.test", temp)
	if loc != "/account" {
		t.Errorf("sign-in with a one-time password went to %q, want /account", loc)
	}
	webhooks := "/apps/" + h.acme.ID + "/webhooks"
	for _, p := range []string{"/", "/apps/" + h.acme.ID, webhooks, "/apps/" + h.acme.ID + "/members", "/apps/" + h.acme.ID + "/audit"} {
		resp, _ := n.get(p)
		wantStatus(t, resp, http.StatusSeeOther)
		if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/account") {
			t.Errorf("GET %s went to %q", p, loc)
		}
	}
	resp, _ = n.post("/apps/"+h.acme.ID+"/event-types", url.Values{"name": {"a.b"}})
	wantStatus(t, resp, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != "/account" {
		t.Errorf("POST went to %q", loc)
	}
	resp, _ = n.post("/account/sessions/end-others", nil)
	wantStatus(t, resp, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/account") {
		t.Errorf("end-others went to %q", loc)
	}

	// The page: the notice and the form only, keeping where they were going.
	resp, _ = n.get(webhooks)
	resp, doc = n.follow(resp)
	wantStatus(t, resp, http.StatusOK)
	if doc.Find("[data-testid=must-change]").Length() != 1 || doc.Find("table[data-testid=sessions]").Length() != 0 {
		t.Error("the forced page shows more than the password form")
	}
	if doc.Find("nav.main-nav").Length() != 0 {
		t.Error("app navigation shown before the change")
	}
	form := doc.Find("form[data-testid=change-password]")
	if got := form.Find("input[name=next]").AttrOr("value", ""); got != webhooks {
		t.Errorf("next %q", got)
	}
	// Re-using the one-time password as the new one is refused.
	resp, doc = n.submit(form, changeForm(temp, temp, temp))
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if text(doc, "[data-error-for=new_password]") == "" {
		t.Error("same password accepted")
	}
	if got := doc.Find("form[data-testid=change-password] input[name=next]").AttrOr("value", ""); got != webhooks {
		t.Errorf("next lost on a 422: %q", got)
	}
	resp, _ = n.submit(doc.Find("form[data-testid=change-password]"), changeForm(temp, "my very own password", "my very own password"))
	wantStatus(t, resp, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != webhooks {
		t.Errorf("after the forced change went to %q", loc)
	}
	resp, _ = n.get(webhooks)
	wantStatus(t, resp, http.StatusOK)
	// The one-time password is spent.
	resp, _ = h.anonymous().post("/login", url.Values{"email": {"newbie@acme.test"}, "password": {temp}})
	wantStatus(t, resp, http.StatusUnauthorized)
	signInWith(t, h, "newbie@acme.test", "my very own password")
}

func TestForcedChangeStillSignsOut(t *testing.T) {
	h := newHarness(t)
	a := h.admin()
	// An operator resets the password: the running session ends at once.
	if _, err := h.store.ResetPassword(t.Context(), "admin@acme.test", "operator set this"); err != nil {
		t.Fatal(err)
	}
	resp, _ := a.get("/apps/" + h.acme.ID + "/webhooks")
	wantStatus(t, resp, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/login") {
		t.Errorf("old session went to %q", loc)
	}
	n, _ := signInWith(t, h, "admin@acme.test", "operator set this")
	resp, _ = n.post("/logout", nil)
	wantStatus(t, resp, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); loc != "/login" {
		t.Errorf("sign-out went to %q", loc)
	}
	resp, _ = n.get("/account")
	wantStatus(t, resp, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/login") {
		t.Errorf("after sign-out /account went to %q", loc)
	}
}

// TestChangePasswordThrottled: the current-password check counts as a
// sign-in failure, so a stolen session cannot guess it faster.
func TestChangePasswordThrottled(t *testing.T) {
	h := newHarness(t)
	a := h.admin()
	for range 5 {
		resp, _ := a.post("/account/password", changeForm("wrong password", "a brand new password", "a brand new password"))
		wantStatus(t, resp, http.StatusUnprocessableEntity)
	}
	resp, doc := a.post("/account/password", changeForm(password, "a brand new password", "a brand new password"))
	wantStatus(t, resp, http.StatusTooManyRequests)
	if !strings.Contains(text(doc, "[data-error-for=current_password]"), "Too many failed sign-in attempts") {
		t.Errorf("message %q", text(doc, "[data-error-for=current_password]"))
	}
}
