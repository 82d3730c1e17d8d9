package web_test

import (
	"slices"

	"crypto/tls"
	"github.com/PuerkitoBio/goquery"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
	"github.com/hookboard/hookboard/web"
)

// portal returns a client in a portal session of Acme with role, from a
// link minted in the store.
func (h *harness) portal(role hook.Role) *client {
	h.t.Helper()
	return h.portalWith(h.acme.ID, store.PortalLinkInput{User: "ana@shop.test", Role: role, ReturnURL: "https://shop.test/settings"})
}

func (h *harness) portalWith(appID string, in store.PortalLinkInput) *client {
	h.t.Helper()
	link, err := h.store.CreatePortalLink(h.t.Context(), hook.Actor{Label: "test"}, appID, in)
	if err != nil {
		h.t.Fatal(err)
	}
	c := h.anonymous()
	resp, _ := c.get("/portal/" + link.Token)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/apps/"+appID {
		h.t.Fatalf("open portal link: status %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return c
}

// mintLink calls the API and returns the link's URL.
func (h *harness) mintLink(key, body string) (*http.Response, map[string]any) {
	h.t.Helper()
	return apiCall(h.t, h.srv.URL, "POST", "/api/v1/apps/"+h.acme.ID+"/portal-links", key, body)
}

// TestPortalLinkOnceAndGone: a link minted with the API key opens once (303
// to the app's overview); used, unknown and expired links get 410 with one
// message; bad fields are 422 naming the field.
func TestPortalLinkOnceAndGone(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			clock := storetest.NewClock(time.Now().UTC().Truncate(time.Second))
			h := newHarnessOnWith(t, dialect, storetest.Options{Now: clock.Now}, nil)
			key := h.apiKey(h.acme.ID)
			resp, out := h.mintLink(key, `{"user": "ana@shop.test", "role": "support", "returnUrl": "https://shop.test/x", "sessionTtl": 600}`)
			wantStatus(t, resp, http.StatusCreated)
			data, _ := out["data"].(map[string]any)
			link, _ := data["url"].(string)
			if !strings.HasPrefix(link, h.srv.URL+"/portal/") || len(strings.TrimPrefix(link, h.srv.URL+"/portal/")) < 22 {
				t.Fatalf("url %q: want the request's base and a token of at least 128 bits", link)
			}
			if exp, err := time.Parse(time.RFC3339Nano, data["expiresAt"].(string)); err != nil || !exp.Equal(clock.Now().Add(10*time.Minute).UTC()) {
				t.Errorf("expiresAt %v (%v), want in 10 minutes", data["expiresAt"], err)
			}
			path := strings.TrimPrefix(link, h.srv.URL)
			c := h.anonymous()
			resp, _ = c.get(path)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/apps/"+h.acme.ID {
				t.Fatalf("first use: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if resp, doc := c.follow(resp); resp.StatusCode != 200 || doc.Find("[data-testid=current-app]").Text() != "Acme" {
				t.Errorf("overview in the portal: %d %q", resp.StatusCode, doc.Find("[data-testid=current-app]").Text())
			}
			gone := func(what, path string) string {
				t.Helper()
				resp, doc := h.anonymous().get(path)
				if resp.StatusCode != http.StatusGone {
					t.Errorf("%s: status %d, want 410", what, resp.StatusCode)
				}
				return doc.Find("main").Text()
			}
			used := gone("second use", path)
			unknown := gone("unknown", "/portal/"+strings.Repeat("A", 43))
			_, out = h.mintLink(key, `{"user": "bo"}`)
			late := strings.TrimPrefix(out["data"].(map[string]any)["url"].(string), h.srv.URL)
			clock.Advance(10*time.Minute + time.Second)
			expired := gone("expired", late)
			if used != unknown || used != expired || !strings.Contains(used, "expired or has already been used") {
				t.Errorf("410 pages differ or say nothing: %q / %q / %q", used, unknown, expired)
			}
			for _, c := range []struct{ body, field string }{
				{`{}`, "user"},
				{`{"user": ""}`, "user"},
				{`{"user": "` + strings.Repeat("x", 201) + `"}`, "user"},
				{`{"user": "a", "role": "owner"}`, "role"},
				{`{"user": "a", "returnUrl": "http://shop.test/"}`, "returnUrl"},
				{`{"user": "a", "sessionTtl": 299}`, "sessionTtl"},
				{`{"user": "a", "sessionTtl": 43201}`, "sessionTtl"},
				{`{"user": "a", "sessionTtl": 0}`, "sessionTtl"},
			} {
				resp, p := h.mintLink(key, c.body)
				errs, _ := p["errors"].([]any)
				if resp.StatusCode != http.StatusUnprocessableEntity || len(errs) != 1 || errs[0].(map[string]any)["field"] != c.field {
					t.Errorf("%s: %d %v, want 422 naming %s", c.body, resp.StatusCode, p, c.field)
				}
			}
			var links int
			h.store.DB().Get(&links, `SELECT COUNT(*) FROM portal_links`)
			if links != 2 {
				t.Errorf("%d links stored, want the 2 minted (no refused one)", links)
			}
		})
	}
}

// TestPortalSessionScope: a portal session sees its app alone, without the
// switcher, Members, API keys, Settings, Account or sign-out; its changes
// are audited as "portal: <user>"; a link of one app opens nothing of
// another.
func TestPortalSessionScope(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			h := newHarnessOn(t, dialect)
			c := h.portal(hook.RoleAdmin)
			resp, doc := c.get("/apps/" + h.acme.ID)
			wantStatus(t, resp, 200)
			for _, sel := range []string{"[data-testid=app-switcher]", "[data-testid=account-link]", "form[action='/logout']", "nav a[href$='/members']", "nav a[href$='/api-keys']", "nav a[href$='/settings']"} {
				if doc.Find(sel).Length() != 0 {
					t.Errorf("portal page has %s", sel)
				}
			}
			if href := doc.Find("a[data-testid=portal-return]").AttrOr("href", ""); href != "https://shop.test/settings" {
				t.Errorf("portal-return href %q", href)
			}
			if who := doc.Find("[data-testid=current-user]").Text(); who != "ana@shop.test" {
				t.Errorf("current user %q", who)
			}
			for _, path := range []string{"/apps/" + h.acme.ID + "/members", "/apps/" + h.acme.ID + "/api-keys", "/apps/" + h.acme.ID + "/settings", "/account",
				"/apps/" + h.beta.ID, "/apps/" + h.beta.ID + "/webhooks", "/apps/" + h.beta.ID + "/audit"} {
				if resp, _ := c.get(path); resp.StatusCode != http.StatusNotFound {
					t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
				}
			}
			if resp, _ := c.post("/logout", nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("sign-out: %d, want 404", resp.StatusCode)
			}
			if resp, _ := c.post("/apps/"+h.beta.ID+"/webhooks", url.Values{"name": {"X"}, "url": {"https://example.com/x"}, "events": {"*"}, "auth_type": {"none"}}); resp.StatusCode != http.StatusNotFound {
				t.Errorf("create in another app: %d, want 404", resp.StatusCode)
			}
			if resp, _ := c.get("/"); resp.Header.Get("Location") != "/apps/"+h.acme.ID {
				t.Errorf("home: to %q, want the portal's app", resp.Header.Get("Location"))
			}
			resp, doc = c.post("/apps/"+h.acme.ID+"/webhooks", url.Values{"name": {"From the portal"}, "url": {"https://example.com/hook"}, "events": {"*"}, "auth_type": {"none"}, "active": {"on"}})
			if resp.StatusCode != http.StatusOK || doc.Find("[data-testid=secret-once]").Length() == 0 {
				t.Errorf("create a webhook in the portal: %d %.300s", resp.StatusCode, doc.Find("main").Text())
			}
			_, doc = c.get("/apps/" + h.acme.ID + "/audit")
			if !strings.Contains(doc.Find("main").Text(), "portal: ana@shop.test") {
				t.Errorf("audit log does not name the portal user: %.500s", doc.Find("main").Text())
			}
			// A link of Beta's, opened in Acme's portal browser, is Beta's
			// session alone.
			b := h.portalWith(h.beta.ID, store.PortalLinkInput{User: "bo"})
			if resp, _ := b.get("/apps/" + h.acme.ID + "/webhooks"); resp.StatusCode != http.StatusNotFound {
				t.Errorf("Beta's portal reads Acme: %d", resp.StatusCode)
			}
		})
	}
}

// TestPortalSupportReadOnly: a support portal session gets 403 on every
// change an admin may make, and may resend, like a support member; on both
// databases.
func TestPortalSupportReadOnly(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			f := newMatrixFixtureOn(t, dialect)
			c := f.h.portal(hook.RoleSupport)
			n := 0
			for pattern, row := range matrix {
				method, _, _ := strings.Cut(pattern, " ")
				if row.kind != "admin" && (row.kind != "member" || method != http.MethodPost) {
					continue
				}
				want := http.StatusForbidden
				if row.kind == "member" {
					want = http.StatusSeeOther // resend (and recover): support's way to fix a failure
				}
				req, _ := http.NewRequest(method, f.h.srv.URL+f.path(pattern), strings.NewReader(row.body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if resp, _ := c.do(req); resp.StatusCode != want && !(want == 303 && resp.StatusCode == 200) {
					t.Errorf("%s: %d, want %d", pattern, resp.StatusCode, want)
				}
				n++
			}
			if n < 10 {
				t.Errorf("only %d routes tried", n)
			}
		})
	}
}

// TestPortalSessionsEnd: ending the app's portal sessions signs every one
// out at its next request (401, then the cookie is gone); a sign-in of the
// same browser's user is not touched.
func TestPortalSessionsEnd(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			h := newHarnessOn(t, dialect)
			a, b := h.portal(hook.RoleAdmin), h.portal(hook.RoleSupport)
			beta := h.portalWith(h.beta.ID, store.PortalLinkInput{User: "bo"})
			user := h.admin()
			resp, out := apiCall(t, h.srv.URL, "DELETE", "/api/v1/apps/"+h.acme.ID+"/portal-sessions", h.apiKey(h.acme.ID), "")
			wantStatus(t, resp, http.StatusOK)
			if out["data"].(map[string]any)["ended"] != float64(2) {
				t.Errorf("answer %v, want 2 ended", out)
			}
			for _, c := range []*client{a, b} {
				resp, doc := c.get("/apps/" + h.acme.ID + "/webhooks")
				if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(doc.Find("main").Text(), "session has ended") {
					t.Errorf("after the end: %d %q", resp.StatusCode, doc.Find("main").Text())
				}
				if resp, _ := c.get("/apps/" + h.acme.ID + "/webhooks"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
					t.Errorf("next request: %d to %q, want the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
				}
			}
			if resp, _ := beta.get("/apps/" + h.beta.ID); resp.StatusCode != 200 {
				t.Errorf("Beta's portal session: %d, want still open", resp.StatusCode)
			}
			if resp, _ := user.get("/apps/" + h.acme.ID); resp.StatusCode != 200 {
				t.Errorf("a user's sign-in: %d, want untouched", resp.StatusCode)
			}
		})
	}
}

// TestPortalFraming: with HOOKBOARD_FRAME_ANCESTORS, portal pages may be
// framed by those origins (CSP, no X-Frame-Options) and their cookie is
// SameSite=None; Secure; Partitioned; every other page, and every page
// without the setting, keeps frame-ancestors 'none'.
func TestPortalFraming(t *testing.T) {
	for _, ancestors := range [][]string{{"https://shop.test", "https://app.shop.test:8443"}, nil} {
		st := storetest.New(t, store.SQLite, storetest.Options{})
		res, _ := st.AddUser(t.Context(), "admin@acme.test", password, "Acme", hook.RoleAdmin)
		srv := httptest.NewTLSServer(web.New(web.Options{Store: st, SessionKey: make([]byte, 32), FrameAncestors: ancestors}))
		t.Cleanup(srv.Close)
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		link, _ := st.CreatePortalLink(t.Context(), hook.Actor{}, res.App.ID, store.PortalLinkInput{User: "ana"})
		resp, err := hc.Get(srv.URL + "/portal/" + link.Token)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		setCookie := resp.Header.Get("Set-Cookie")
		page, err := hc.Get(srv.URL + "/apps/" + res.App.ID + "/webhooks")
		if err != nil {
			t.Fatal(err)
		}
		page.Body.Close()
		login, _ := hc.Get(srv.URL + "/login")
		login.Body.Close()
		if page.StatusCode != 200 {
			t.Fatalf("portal page over TLS: %d", page.StatusCode)
		}
		if !strings.Contains(login.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") || login.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("sign-in page may be framed: %q", login.Header.Get("Content-Security-Policy"))
		}
		for _, r := range []*http.Response{resp, page} {
			csp := r.Header.Get("Content-Security-Policy")
			if ancestors == nil {
				if !strings.Contains(csp, "frame-ancestors 'none'") || r.Header.Get("X-Frame-Options") != "DENY" {
					t.Errorf("without the setting: %q, X-Frame-Options %q", csp, r.Header.Get("X-Frame-Options"))
				}
				continue
			}
			if !strings.Contains(csp, "frame-ancestors https://shop.test https://app.shop.test:8443;") || r.Header.Get("X-Frame-Options") != "" {
				t.Errorf("portal page: CSP %q, X-Frame-Options %q", csp, r.Header.Get("X-Frame-Options"))
			}
		}
		partitioned := strings.Contains(setCookie, "SameSite=None") && strings.Contains(setCookie, "Secure") && strings.Contains(setCookie, "Partitioned")
		if partitioned != (ancestors != nil) {
			t.Errorf("ancestors %v: portal cookie %q", ancestors, setCookie)
		}
	}
}

// TestSettingsBranding: an admin saves the branding (bad values: 422 beside
// the field, nothing saved); the portal's header shows it, the logo's origin
// is allowed by the page's CSP and the accent comes as a style sheet.
func TestSettingsBranding(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			h := newHarnessOn(t, dialect)
			admin := h.admin()
			path := "/apps/" + h.acme.ID + "/settings"
			_, doc := admin.get(path)
			resp, doc := admin.submit(doc.Find("form[data-testid=settings-form]"), url.Values{"display_name": {"Shop Webhooks"}, "accent_color": {"orange"}, "logo_url": {"http://shop.test/logo.png"}})
			wantStatus(t, resp, http.StatusUnprocessableEntity)
			for _, f := range []string{"accent_color", "logo_url"} {
				if doc.Find("[data-error-for="+f+"]").Length() != 1 {
					t.Errorf("no error beside %s", f)
				}
			}
			if v := doc.Find("input[name=display_name]").AttrOr("value", ""); v != "Shop Webhooks" {
				t.Errorf("the form lost the display name: %q", v)
			}
			if b, _ := h.store.AppBranding(t.Context(), h.acme.ID); b != (store.Branding{}) {
				t.Errorf("refused form saved %+v", b)
			}
			resp, _ = admin.submit(doc.Find("form[data-testid=settings-form]"), url.Values{"accent_color": {"#AA3300"}, "logo_url": {"https://cdn.shop.test/logo.png"}})
			wantStatus(t, resp, http.StatusSeeOther)
			if resp, _ := h.support().get(path); resp.StatusCode != http.StatusForbidden {
				t.Errorf("support on Settings: %d, want 403", resp.StatusCode)
			}

			c := h.portal(hook.RoleAdmin)
			resp, doc = c.get("/apps/" + h.acme.ID)
			if name := doc.Find("[data-testid=portal-name]").Text(); name != "Shop Webhooks" {
				t.Errorf("portal name %q", name)
			}
			if src := doc.Find("img[data-testid=portal-logo]").AttrOr("src", ""); src != "https://cdn.shop.test/logo.png" {
				t.Errorf("logo %q", src)
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data: https://cdn.shop.test;") {
				t.Errorf("CSP does not allow the logo: %q", csp)
			}
			css := doc.Find("link[href*='/brand.css']").AttrOr("href", "")
			resp, _ = c.get(css)
			if b := body(resp); resp.StatusCode != 200 || !strings.Contains(b, "--brand-accent: #aa3300") {
				t.Errorf("brand.css: %d %q", resp.StatusCode, b)
			}
			// A user's own pages keep Hookboard's header.
			if _, doc := admin.get("/apps/" + h.acme.ID); doc.Find("[data-testid=portal-name]").Length() != 0 {
				t.Error("the team's pages show the portal branding")
			}
		})
	}
}

// TestAPIPortalShapes: the portal routes answer as the OpenAPI document
// says, errors included.
func TestAPIPortalShapes(t *testing.T) {
	e := newAPIEnv(t)
	p := "/api/v1/apps/" + e.app.ID
	resp, out, _ := e.call("POST", p+"/portal-links", b+"/portal-links", `{"user":"ana@shop.test","role":"support","returnUrl":"https://shop.test/","sessionTtl":300}`)
	if resp.StatusCode != 201 {
		t.Fatalf("mint: %d %v", resp.StatusCode, out)
	}
	wantKeys(t, "link", out["data"], "url", "expiresAt")
	resp, out, _ = e.call("POST", p+"/portal-links", b+"/portal-links", `{"user":"ana","sessionTtl":60}`)
	if resp.StatusCode != 422 {
		t.Errorf("bad ttl: %d %v", resp.StatusCode, out)
	}
	resp, out, _ = e.call("POST", p+"/portal-links", b+"/portal-links", `{"user":"ana","extra":1}`)
	if resp.StatusCode != 400 {
		t.Errorf("unknown field: %d %v", resp.StatusCode, out)
	}
	resp, out, _ = e.call("DELETE", p+"/portal-sessions", b+"/portal-sessions", "")
	if resp.StatusCode != 200 {
		t.Fatalf("end: %d %v", resp.StatusCode, out)
	}
	wantKeys(t, "ended", out["data"], "ended")
}

// TestTeamMemberLeavesThePortal: an admin who opens a portal link in their
// own browser sees the portal (it takes precedence), and the sign-in page
// is the way back: it stays (no redirect into the portal), says why, and
// signing in ends the portal session in that browser.
func TestTeamMemberLeavesThePortal(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			h := newHarnessOn(t, dialect)
			c := h.admin()
			link, err := h.store.CreatePortalLink(t.Context(), hook.Actor{Label: "test"}, h.acme.ID, store.PortalLinkInput{User: "ana@shop.test", Role: hook.RoleSupport})
			if err != nil {
				t.Fatal(err)
			}
			if resp, _ := c.get("/portal/" + link.Token); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("open link: %d", resp.StatusCode)
			}
			if resp, _ := c.get("/apps/" + h.acme.ID + "/members"); resp.StatusCode != http.StatusNotFound {
				t.Fatalf("members in the portal: %d, want 404", resp.StatusCode)
			}
			resp, doc := c.get("/login")
			if resp.StatusCode != http.StatusOK || doc.Find("[data-testid=portal-open]").Length() != 1 || doc.Find("form[action='/login']").Length() != 1 {
				t.Fatalf("sign-in page with a portal session open: %d, notice %d", resp.StatusCode, doc.Find("[data-testid=portal-open]").Length())
			}
			if resp, _ := c.post("/login", url.Values{"email": {"admin@acme.test"}, "password": {password}}); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign in: %d", resp.StatusCode)
			}
			if resp, _ := c.get("/apps/" + h.acme.ID + "/members"); resp.StatusCode != http.StatusOK {
				t.Errorf("members after signing in again: %d, want 200", resp.StatusCode)
			}
			if resp, _ := c.get("/login"); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("sign-in page once back: %d, want 303 (signed in, no portal)", resp.StatusCode)
			}
		})
	}
}

// TestPortalAuditLogHidesTheTeam: in a portal session the audit log shows
// what was done to the app (by "team", "API" or the portal's own users),
// never the team's e-mails, sign-ins and addresses, members or API keys.
func TestPortalAuditLogHidesTheTeam(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			h := newHarnessOn(t, dialect)
			admin := h.admin() // audited: admin@acme.test signed in from 127.0.0.1
			resp, _ := admin.post("/apps/"+h.acme.ID+"/webhooks", url.Values{"name": {"Team hook"}, "url": {"https://example.com/t"}, "events": {"*"}, "auth_type": {"none"}, "active": {"on"}})
			wantStatus(t, resp, http.StatusOK) // the new secret, shown once
			h.apiKey(h.acme.ID)
			c := h.portal(hook.RoleAdmin)
			resp, doc := c.get("/apps/" + h.acme.ID + "/audit")
			wantStatus(t, resp, http.StatusOK)
			page := doc.Find("[data-testid=audit]").Text()
			for _, secret := range []string{"admin@acme.test", "support@acme.test", "127.0.0.1", "Signed in", "API key"} {
				if strings.Contains(page, secret) {
					t.Errorf("portal audit log shows %q:\n%s", secret, page)
				}
			}
			var actors []string
			doc.Find("[data-testid=audit] [data-field=actor]").Each(func(_ int, s *goquery.Selection) { actors = append(actors, strings.TrimSpace(s.Text())) })
			if !slices.Contains(actors, "team") || !slices.Contains(actors, "portal: ana@shop.test") {
				t.Errorf("actors %q: want the team's change as \"team\" and the portal session's start as its user", actors)
			}
			// The team still sees everything.
			_, doc = admin.get("/apps/" + h.acme.ID + "/audit")
			if !strings.Contains(doc.Find("[data-testid=audit]").Text(), "admin@acme.test") {
				t.Error("the team's audit log lost its actors")
			}
		})
	}
}

// TestSettingsTextErrorBesideTheField: a control character in a Settings
// field is shown beside that field, with the other fields kept, and
// nothing is saved.
func TestSettingsTextErrorBesideTheField(t *testing.T) {
	h := newHarness(t)
	admin := h.admin()
	resp, doc := admin.post("/apps/"+h.acme.ID+"/settings", url.Values{"display_name": {"Shop\x01"}, "accent_color": {"#aa3300"}, "logo_url": {"https://shop.test/logo.png"}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if doc.Find("[data-error-for=display_name]").Length() != 1 {
		t.Error("no error beside display_name")
	}
	if v, _ := doc.Find("input[name=accent_color]").Attr("value"); v != "#aa3300" {
		t.Errorf("accent colour not kept: %q", v)
	}
	b, err := h.store.AppBranding(t.Context(), h.acme.ID)
	if err != nil || b.AccentColor != "" || b.DisplayName != "" {
		t.Errorf("saved despite the error: %+v %v", b, err)
	}
}
