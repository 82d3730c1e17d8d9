package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// rowCounts are the tables bad input must leave untouched.
var rowCounts = map[string]string{
	"webhooks":    `SELECT COUNT(*) FROM webhooks`,
	"users":       `SELECT COUNT(*) FROM users`,
	"api_keys":    `SELECT COUNT(*) FROM api_keys`,
	"event_types": `SELECT COUNT(*) FROM event_types`,
	"events":      `SELECT COUNT(*) FROM events`,
	"archived":    `SELECT COUNT(*) FROM event_types WHERE archived_at IS NOT NULL`,
	"revoked":     `SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NOT NULL`,
	"members":     `SELECT COUNT(*) FROM memberships`,
}

func (h *harness) counts() map[string]int {
	h.t.Helper()
	out := map[string]int{}
	for name, q := range rowCounts {
		var n int
		if err := h.store.DB().Get(&n, q); err != nil {
			h.t.Fatal(err)
		}
		out[name] = n
	}
	return out
}

func (h *harness) wantNothingStored(before map[string]int) {
	h.t.Helper()
	for name, n := range h.counts() {
		if n != before[name] {
			h.t.Errorf("%s: %d rows, was %d: something was stored", name, n, before[name])
		}
	}
}

// wantFieldError checks a 422 answer names field: beside the form field,
// in the error page's list, or in the problem's errors.
func wantFieldError(t *testing.T, resp *http.Response, raw, field string) {
	t.Helper()
	if resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("%s %s: status %d, want 422: %.300s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, raw)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		var p struct {
			Errors []hook.FieldError `json:"errors"`
		}
		json.Unmarshal([]byte(raw), &p)
		for _, e := range p.Errors {
			if e.Field == field {
				return
			}
		}
		t.Fatalf("problem does not name %q: %s", field, raw)
	}
	if !strings.Contains(raw, `data-error-for="`+field+`"`) {
		t.Fatalf("page does not show an error for %q: %.2000s", field, raw)
	}
}

// TestTextInputPostgres500s are the inputs PostgreSQL answered with 500
// (it refuses NUL and invalid UTF-8 in text, where SQLite stores them):
// now 422 naming the field (400 for a path) on both databases, nothing
// stored.
func TestTextInputPostgres500s(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			h := newHarnessOn(t, dialect)
			h.mustEventTypes("invoice.paid")
			key := h.apiKey(h.acme.ID)
			admin := h.admin()
			before := h.counts()

			t.Run("e-mail on sign-in", func(t *testing.T) {
				resp, _ := h.anonymous().post("/login", url.Values{"email": {"admin\x00@acme.test"}, "password": {password}})
				wantFieldError(t, resp, body(resp), "email")
			})
			t.Run("Idempotency-Key", func(t *testing.T) {
				resp, out := apiCall(t, h.srv.URL, "POST", "/api/v1/apps/"+h.acme.ID+"/events", key,
					`{"eventType":"invoice.paid","payload":{"a":1}}`, "Idempotency-Key", "\xff\xfe")
				raw, _ := json.Marshal(out)
				resp.Header.Set("Content-Type", "application/problem+json")
				wantFieldError(t, resp, string(raw), "Idempotency-Key")
			})
			t.Run("member e-mail", func(t *testing.T) {
				resp, _ := admin.post("/apps/"+h.acme.ID+"/members", url.Values{"email": {"new\x00@acme.test"}, "role": {"support"}})
				wantFieldError(t, resp, body(resp), "email")
			})
			t.Run("API key name", func(t *testing.T) {
				resp, doc := admin.post("/apps/"+h.acme.ID+"/api-keys", url.Values{"name": {"ci\xff"}})
				raw, _ := doc.Html()
				wantFieldError(t, resp, raw, "name")
			})
			t.Run("event type in the archive path", func(t *testing.T) {
				for _, name := range []string{"%00", "%FF%FE", "a%0Ab"} {
					resp, _ := admin.post("/apps/"+h.acme.ID+"/event-types/"+name+"/archive", url.Values{})
					wantStatus(t, resp, http.StatusBadRequest)
				}
			})
			h.wantNothingStored(before)
		})
	}
}

// badText are strings no single-line text field accepts.
var badText = map[string]string{
	"NUL":           "a\x00b",
	"invalid UTF-8": "a\xff\xfeb",
	"lone byte":     "\xc3",
	"escape":        "\x1b[31mred",
	"DEL":           "a\x7fb",
	"C1 control":    "a\u0085b",
	"line break":    "a\nb",
	"tab":           "a\tb",
}

// TestTextInputEverywhere sends each bad string through every kind of
// input, on both databases: form fields (inline error where the form can
// show it), JSON string fields (nested ones too), the Idempotency-Key
// header, query values and path values. Nothing is stored.
func TestTextInputEverywhere(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			h := newHarnessOn(t, dialect)
			h.mustEventTypes("invoice.paid")
			wh := h.mustWebhook(h.acme.ID, "Existing")
			key := h.apiKey(h.acme.ID)
			admin := h.admin()
			app := "/apps/" + h.acme.ID
			api := "/api/v1/apps/" + h.acme.ID
			before := h.counts()
			multiLine := func(name string) bool { return name == "line break" || name == "tab" }

			for name, bad := range badText {
				t.Run(name, func(t *testing.T) {
					forms := []struct {
						path, field string
						form        url.Values
					}{
						{app + "/webhooks/new", "name", url.Values{"name": {bad}, "url": {"https://example.com/x"}, "events": {"*"}, "auth_type": {"none"}}},
						{app + "/webhooks/new", "url", url.Values{"name": {"X"}, "url": {"https://example.com/" + bad}, "events": {"*"}, "auth_type": {"none"}}},
						{app + "/webhooks/new", "auth_username", url.Values{"name": {"X"}, "url": {"https://example.com/x"}, "events": {"*"}, "auth_type": {"basic"}, "auth_username": {bad}, "auth_password": {"p"}}},
						{app + "/webhooks/new", "auth_password", url.Values{"name": {"X"}, "url": {"https://example.com/x"}, "events": {"*"}, "auth_type": {"basic"}, "auth_username": {"u"}, "auth_password": {bad}}},
						{app + "/webhooks/new", "events", url.Values{"name": {"X"}, "url": {"https://example.com/x"}, "events": {"invoice.paid", bad}, "auth_type": {"none"}}},
						{app + "/webhooks/" + wh.ID + "/edit", "name", url.Values{"name": {bad}, "url": {"https://example.com/x"}, "events": {"*"}, "auth_type": {"none"}}},
						{app + "/webhooks/" + wh.ID + "/edit", "secret", url.Values{"name": {"X"}, "url": {"https://example.com/x"}, "events": {"*"}, "auth_type": {"none"}, "secret": {bad}}},
						{app + "/members", "email", url.Values{"email": {"x" + bad + "@acme.test"}, "role": {"support"}}},
						{app + "/members", "role", url.Values{"email": {"x@acme.test"}, "role": {bad}}},
						{app + "/api-keys", "name", url.Values{"name": {bad}}},
						{app + "/event-types", "name", url.Values{"name": {bad}}},
						{app + "/members/" + mustUser(t, h, "support@acme.test").ID + "/role", "role", url.Values{"role": {bad}}},
						{"/login", "email", url.Values{"email": {"admin@acme.test" + bad}, "password": {password}}},
					}
					if !multiLine(name) {
						forms = append(forms,
							struct {
								path, field string
								form        url.Values
							}{app + "/webhooks/new", "description", url.Values{"name": {"X"}, "url": {"https://example.com/x"}, "events": {"*"}, "auth_type": {"none"}, "description": {bad}}},
							struct {
								path, field string
								form        url.Values
							}{app + "/event-types", "description", url.Values{"name": {"order.paid"}, "description": {bad}}},
						)
					}
					for _, f := range forms {
						resp, doc := admin.post(f.path, f.form)
						raw, _ := doc.Html()
						wantFieldError(t, resp, raw, f.field)
					}

					jsons := []struct {
						method, path, field, body string
					}{
						{"POST", api + "/webhooks", "name", `{"name":%s,"url":"https://example.com/x","events":["*"]}`},
						{"POST", api + "/webhooks", "events", `{"name":"X","url":"https://example.com/x","events":[%s]}`},
						{"POST", api + "/webhooks", "auth.username", `{"name":"X","url":"https://example.com/x","events":["*"],"auth":{"type":"basic","username":%s,"password":"p"}}`},
						{"PUT", api + "/webhooks/" + wh.ID, "name", `{"name":%s}`},
						{"PUT", api + "/webhooks/" + wh.ID, "secret", `{"secret":%s}`},
						{"POST", api + "/events", "eventType", `{"eventType":%s,"payload":{}}`},
						{"POST", api + "/event-types", "name", `{"name":%s}`},
					}
					if !multiLine(name) {
						jsons = append(jsons, struct{ method, path, field, body string }{"POST", api + "/event-types", "description", `{"name":"order.paid","description":%s}`})
					}
					for _, j := range jsons {
						for _, enc := range jsonEncodings(bad) {
							b := strings.Replace(j.body, "%s", enc, 1)
							resp, out := apiCall(t, h.srv.URL, j.method, j.path, key, b)
							raw, _ := json.Marshal(out)
							wantFieldError(t, resp, string(raw), j.field)
						}
					}

					resp, out := apiCall(t, h.srv.URL, "POST", api+"/events", key, `{"eventType":"invoice.paid","payload":{}}`, "Idempotency-Key", headerSafe(bad))
					raw, _ := json.Marshal(out)
					wantFieldError(t, resp, string(raw), "Idempotency-Key")

					for _, q := range []string{app + "/events?event_type=", app + "/events?webhook=", app + "/audit?cursor=", app + "/webhooks/" + wh.ID + "/events?status="} {
						resp, doc := admin.get(q + url.QueryEscape(bad))
						raw, _ := doc.Html()
						field := q[strings.LastIndexByte(q, '?')+1 : len(q)-1]
						wantFieldError(t, resp, raw, field)
					}
					resp, out = apiCall(t, h.srv.URL, "GET", api+"/events?eventType="+url.QueryEscape(bad), key, "")
					raw, _ = json.Marshal(out)
					wantFieldError(t, resp, string(raw), "eventType")

					esc := url.PathEscape(bad)
					for _, p := range []string{app + "/webhooks/" + esc, app + "/deliveries/" + esc, "/apps/" + esc + "/webhooks"} {
						resp, _ := admin.get(p)
						wantStatus(t, resp, http.StatusBadRequest)
					}
					for _, p := range []string{app + "/api-keys/" + esc + "/revoke", app + "/members/" + esc + "/remove", app + "/event-types/" + esc + "/unarchive"} {
						resp, _ := admin.post(p, url.Values{"confirm": {"yes"}})
						wantStatus(t, resp, http.StatusBadRequest)
					}
					for _, p := range []string{api + "/webhooks/" + esc, api + "/deliveries/" + esc} {
						resp, _ := apiCall(t, h.srv.URL, "GET", p, key, "")
						wantStatus(t, resp, http.StatusBadRequest)
					}
				})
			}
			h.wantNothingStored(before)
		})
	}
}

// headerSafe swaps the bytes Go's HTTP client refuses to send in a header
// (controls other than tab) for a byte the server must refuse as well.
func headerSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if (c < 0x20 && c != '\t') || c == 0x7f {
			b[i] = 0xff
		}
	}
	return string(b)
}

// jsonEncodings writes s as a JSON string: escaped as encoding/json would
// (\u0000, \n), and with the raw bytes where JSON allows them (invalid
// UTF-8, DEL, C1).
func jsonEncodings(s string) []string {
	var out []string
	if utf8.ValidString(s) { // encoding/json would replace invalid UTF-8
		escaped, _ := json.Marshal(s)
		out = append(out, string(escaped))
	}
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 }) {
		out = append(out, `"`+s+`"`)
	}
	return out
}

// TestTextInputAllowed: multi-line fields keep tabs and line breaks (CRLF
// as a browser sends them), and an event's payload is data: any escaped
// character, \u0000 included, is stored and delivered byte for byte on both
// databases; only invalid UTF-8 in it is refused.
func TestTextInputAllowed(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			h := newHarnessOn(t, dialect)
			h.mustEventTypes("invoice.paid")
			key := h.apiKey(h.acme.ID)
			admin := h.admin()
			resp, _ := admin.post("/apps/"+h.acme.ID+"/event-types", url.Values{"name": {"order.paid"}, "description": {"One\r\n\tTwo"}, "example": {"{\r\n\t\"a\": \"\\u0000\"\r\n}"}})
			wantStatus(t, resp, http.StatusSeeOther)

			payload := `{"nul":"\u0000","esc":"\u001b","c1":"` + "\u0085" + `","deep":[{"x":"\u0000"}]}`
			resp, out := apiCall(t, h.srv.URL, "POST", "/api/v1/apps/"+h.acme.ID+"/events", key, `{"eventType":"invoice.paid","payload":`+payload+`}`)
			wantStatus(t, resp, http.StatusAccepted)
			id := out["data"].(map[string]any)["id"].(string)
			ev, err := h.store.Event(context.Background(), h.acme.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			if string(ev.Payload) != payload {
				t.Errorf("payload stored as %q, want the bytes sent %q", ev.Payload, payload)
			}

			before := h.counts()
			resp, out = apiCall(t, h.srv.URL, "POST", "/api/v1/apps/"+h.acme.ID+"/events", key, `{"eventType":"invoice.paid","payload":{"a":"`+"\xff"+`"}}`)
			raw, _ := json.Marshal(out)
			wantFieldError(t, resp, string(raw), "payload")
			resp, out = apiCall(t, h.srv.URL, "POST", "/api/v1/apps/"+h.acme.ID+"/event-types", key, `{"name":"x.y","example":{"a":"`+"\xff"+`"}}`)
			raw, _ = json.Marshal(out)
			wantFieldError(t, resp, string(raw), "example")
			h.wantNothingStored(before)
		})
	}
}
