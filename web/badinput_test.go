package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestJSONBodyMustBeObject: any body that is not a JSON object says so,
// instead of naming a Go type.
func TestJSONBodyMustBeObject(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("invoice.paid")
	wh := h.mustWebhook(h.acme.ID, "A")
	key := h.apiKey(h.acme.ID)
	api := "/api/v1/apps/" + h.acme.ID
	for _, route := range [][2]string{
		{"POST", api + "/webhooks"}, {"PUT", api + "/webhooks/" + wh.ID}, {"POST", api + "/events"},
		{"POST", api + "/event-types"}, {"POST", api + "/webhooks/" + wh.ID + "/rotate-secret"},
	} {
		for _, b := range []string{`[]`, `[{"name":"x"}]`, `"x"`, `1`, `null`, `true`, ` [ ]`} {
			resp, out := apiCall(t, h.srv.URL, route[0], route[1], key, b)
			if resp.StatusCode != http.StatusBadRequest || out["detail"] != "The body must be a JSON object." {
				t.Errorf("%s %s with %s: %d %v, want 400 saying the body must be a JSON object", route[0], route[1], b, resp.StatusCode, out["detail"])
			}
		}
	}
	// A field of the wrong type names the field and a JSON type, not a Go type.
	resp, out := apiCall(t, h.srv.URL, "POST", api+"/webhooks", key, `{"name":1}`)
	if resp.StatusCode != http.StatusBadRequest || out["detail"] != "Field name has the wrong type: expected a string." {
		t.Errorf("wrong type: %d %v", resp.StatusCode, out["detail"])
	}
}

// TestFormBodyTooLarge: every dashboard form route answers a body over
// 256 KiB with 413, like the API, and stores nothing.
func TestFormBodyTooLarge(t *testing.T) {
	f := newMatrixFixture(t)
	admin := f.h.signIn("admin@acme.test")
	big := url.Values{"name": {"Big"}, "url": {"https://example.com/x"}, "events": {"*"}, "auth_type": {"none"}, "confirm": {"yes"},
		"email": {"big@acme.test"}, "role": {"support"}, "description": {strings.Repeat("x", 256<<10)}}
	n := 0
	for _, pattern := range f.server.Routes() {
		if !strings.HasPrefix(pattern, "POST ") || strings.Contains(pattern, " /api/") {
			continue
		}
		n++
		path := f.path(pattern) // may add what the route needs (a recovery job)
		before := f.h.counts()
		resp, _ := admin.post(path, big)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: status %d, want 413", pattern, resp.StatusCode)
		}
		f.h.wantNothingStored(before)
	}
	if n < 20 {
		t.Fatalf("only %d form routes", n)
	}
	// Just under the limit is read.
	resp, doc := admin.post("/apps/"+f.h.acme.ID+"/webhooks/new", url.Values{"name": {"Big"}, "url": {"https://example.com/x"}, "events": {"*"},
		"auth_type": {"none"}, "description": {strings.Repeat("x", 200<<10)}})
	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if doc.Find(`[data-error-for=description]`).Length() != 1 {
		t.Error("a long description gets its own error")
	}
}

// TestConfirmOnlyFromBody: confirm=yes in a link's query string does not
// skip the confirm page of revoke and remove; only the POST body counts.
func TestConfirmOnlyFromBody(t *testing.T) {
	f := newMatrixFixture(t)
	admin := f.h.signIn("admin@acme.test")
	for _, p := range []string{
		"/apps/" + f.h.acme.ID + "/api-keys/" + f.keyID + "/revoke",
		"/apps/" + f.h.acme.ID + "/members/" + f.supportID + "/remove",
	} {
		before := f.h.counts()
		resp, doc := admin.post(p+"?confirm=yes", url.Values{})
		wantStatus(t, resp, http.StatusOK)
		if doc.Find("form[action='"+p+"'] input[name=confirm][value=yes]").Length() != 1 {
			t.Errorf("%s?confirm=yes: not the confirm page", p)
		}
		f.h.wantNothingStored(before)
		resp, _ = admin.post(p, url.Values{"confirm": {"yes"}})
		wantStatus(t, resp, http.StatusSeeOther)
	}
	after := f.h.counts()
	if after["revoked"] != 2 || after["members"] != 2 { // the fixture has one revoked key already; Acme's admin and Beta's stay
		t.Errorf("after confirming: %v", after)
	}
}

// TestRotateSecretEmptyBody: an empty body means no options, whether it
// has a length or is chunked.
func TestRotateSecretEmptyBody(t *testing.T) {
	h := newHarness(t)
	wh := h.mustWebhook(h.acme.ID, "A")
	key := h.apiKey(h.acme.ID)
	for name, b := range map[string]io.Reader{
		"chunked empty":      io.MultiReader(strings.NewReader("")),
		"chunked whitespace": io.MultiReader(strings.NewReader(" \n")),
		"no body":            nil,
		"empty object":       strings.NewReader(`{}`),
	} {
		req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/apps/"+h.acme.ID+"/webhooks/"+wh.ID+"/rotate-secret", b)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw := body(resp)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(raw, `"secret":"whsec_`) {
			t.Errorf("%s (length %d): %d %s", name, req.ContentLength, resp.StatusCode, raw)
		}
	}
}

// TestAuditLogBadCursor: a cursor that is not ours is an error, as on the
// event log, not silently the first page.
func TestAuditLogBadCursor(t *testing.T) {
	h := newHarness(t)
	admin := h.admin()
	resp, doc := admin.get("/apps/" + h.acme.ID + "/audit?cursor=nope")
	wantStatus(t, resp, http.StatusBadRequest)
	if got := text(doc, "[data-error-for=cursor]"); !strings.Contains(got, "cursor is not valid") {
		t.Errorf("cursor error %q", got)
	}
	if doc.Find("[data-testid=audit] tbody tr").Length() != 0 {
		t.Error("rows shown for a bad cursor")
	}
	resp, _ = admin.get("/apps/" + h.acme.ID + "/audit?cursor=01a21829-cb53-7000-927e-530d0041d897")
	wantStatus(t, resp, http.StatusOK)
}

// TestCreateFormSecretErrorShown: the create form has no secret field, so
// a secret sent to it is refused with a message the page shows.
func TestCreateFormSecretErrorShown(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("invoice.paid", "invoice.failed")
	admin := h.admin()
	for _, secret := range []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "nonsense"} {
		form := validForm()
		form.Set("secret", secret)
		resp, doc := admin.post("/apps/"+h.acme.ID+"/webhooks/new", form)
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		if got := text(doc, "[data-error-for=secret]"); got == "" {
			t.Errorf("secret %q: 422 without a visible message", secret)
		}
		if strings.Contains(body(resp), secret) {
			t.Error("the typed secret is echoed in the page")
		}
	}
}

// TestAPIReadsJSONWhateverTheContentType: curl -d, as in the README, sends
// a form content type; the API reads the body as JSON anyway (only
// dashboard forms are parsed as forms).
func TestAPIReadsJSONWhateverTheContentType(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("invoice.paid")
	key := h.apiKey(h.acme.ID)
	req, _ := http.NewRequest("POST", h.srv.URL+"/api/v1/apps/"+h.acme.ID+"/events", strings.NewReader(`{"eventType":"invoice.paid","payload":{"a":1}}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("status %d: %s", resp.StatusCode, body(resp))
	}
}

// TestTextErrorInFieldTheFormLacks: bad text in a field the form does not
// show (or in a field's name) still gets a visible message naming it.
func TestTextErrorInFieldTheFormLacks(t *testing.T) {
	h := newHarness(t)
	h.mustEventTypes("invoice.paid", "invoice.failed")
	admin := h.admin()
	before := h.counts()
	for _, extra := range []string{"nickname=a%00b", "%00=1", "%FF=x"} {
		req := validForm().Encode() + "&" + extra
		r, _ := http.NewRequest("POST", h.srv.URL+"/apps/"+h.acme.ID+"/webhooks/new", strings.NewReader(req))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, doc := admin.do(r)
		wantStatus(t, resp, http.StatusUnprocessableEntity)
		if doc.Find("[data-error-for]").Length() == 0 {
			t.Errorf("%s: 422 without a visible message", extra)
		}
	}
	h.wantNothingStored(before)
}

// TestRotateConfirmReadsNoMultipartBody: the rotate confirm page takes its
// values from the query (GET) or the capped form body (POST), never from a
// multipart body, which r.FormValue would parse at any size.
func TestRotateConfirmReadsNoMultipartBody(t *testing.T) {
	h := newHarness(t)
	wh := h.mustWebhook(h.acme.ID, "A")
	admin := h.admin()
	const boundary = "xyz"
	body := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"current\"\r\n\r\nfrom-the-body\r\n--" + boundary +
		"\r\nContent-Disposition: form-data; name=\"pad\"\r\n\r\n" + strings.Repeat("x", 300<<10) + "\r\n--" + boundary + "--\r\n"
	req, _ := http.NewRequest("GET", h.srv.URL+"/apps/"+h.acme.ID+"/webhooks/"+wh.ID+"/secret/rotate", strings.NewReader(body))
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
	resp, doc := admin.do(req)
	wantStatus(t, resp, http.StatusOK)
	if v := doc.Find("input[name=current]").AttrOr("value", ""); v == "from-the-body" || v == "" {
		t.Errorf("current = %q, want the webhook's secret id", v)
	}
}
