package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
	"github.com/hookboard/hookboard/web"
)

// fuzzAPI returns a handler, an API key and the paths of a webhook create,
// update and an ingest.
func fuzzAPI(f *testing.F) (http.Handler, string, map[string]string) {
	st := storetest.New(f, store.SQLite, storetest.Options{})
	ctx := context.Background()
	app, _ := st.CreateApp(ctx, "Acme")
	st.CreateEventType(ctx, hook.Actor{}, app.ID, hook.EventTypeInput{Name: "invoice.paid"})
	_, key, _ := st.CreateAPIKey(ctx, hook.Actor{}, app.ID, "fuzz")
	wh, _, err := st.CreateWebhook(ctx, hook.Actor{}, app.ID, hook.WebhookInput{Name: "A", URL: "https://example.com/a", Events: []string{"*"}, Active: true, AuthType: "none"}, hook.TargetPolicy{})
	if err != nil {
		f.Fatal(err)
	}
	h := web.New(web.Options{Store: st, SessionKey: make([]byte, 32)})
	base := "/api/v1/apps/" + app.ID
	return h, key, map[string]string{"create": base + "/webhooks", "update": base + "/webhooks/" + wh.ID, "ingest": base + "/events"}
}

func fuzzCall(t *testing.T, h http.Handler, key, method, path, body string) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %s with %q: status %d: %s", method, path, body, rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); rec.Code >= 400 && ct != "application/problem+json" {
		t.Fatalf("%s with %q: %d answered as %q", path, body, rec.Code, ct)
	}
}

var webhookSeeds = []string{
	`{"name":"Orders","url":"https://example.com/x","events":["invoice.paid"]}`,
	`{"name":"B","url":"https://10.0.0.1","events":["*"],"auth":{"type":"basic","username":"u","password":"p"}}`,
	`{"name":"C","url":"https://example.com","events":["*"],"auth":{"type":"api_key","header":"X-K","value":"v"},"active":false}`,
	`{"name":null,"events":[null]}`, `[]`, `"x"`, `{"name":"` + strings.Repeat("é", 200) + `"}`, `{"events":["a..b"]}`,
	`{"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}`, `{"secret":""}`, `{"url":"https://[::1]:0/"}`, `{}{}`, ``,
}

func FuzzCreateWebhookJSON(f *testing.F) {
	h, key, paths := fuzzAPI(f)
	for _, s := range webhookSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) { fuzzCall(t, h, key, "POST", paths["create"], body) })
}

func FuzzUpdateWebhookJSON(f *testing.F) {
	h, key, paths := fuzzAPI(f)
	for _, s := range webhookSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) { fuzzCall(t, h, key, "PUT", paths["update"], body) })
}

func FuzzIngestJSON(f *testing.F) {
	h, key, paths := fuzzAPI(f)
	for _, s := range []string{
		`{"eventType":"invoice.paid","payload":{"a":1}}`, `{"eventType":"invoice.paid","payload":[]}`,
		`{"eventType":"","payload":{}}`, `{"eventType":"a","payload":null}`, `{"payload":{"deep":{"deeper":[1,2,{"x":"\u0000"}]}}}`,
		`{"eventType":"x.y","payload":"str"}`, `{"eventType":"x.y","payload":{}} trailing`, `{`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) { fuzzCall(t, h, key, "POST", paths["ingest"], body) })
}

// FuzzWebhookForm posts arbitrary form bodies to the create page as an
// admin: never a 5xx, and a created webhook always satisfies the rules.
func FuzzWebhookForm(f *testing.F) {
	st := storetest.New(f, store.SQLite, storetest.Options{})
	ctx := context.Background()
	res, _ := st.AddUser(ctx, "admin@acme.test", password, "Acme", hook.RoleAdmin)
	st.CreateEventType(ctx, hook.Actor{}, res.App.ID, hook.EventTypeInput{Name: "invoice.paid"})
	srv := httptest.NewServer(web.New(web.Options{Store: st, SessionKey: make([]byte, 32)}))
	f.Cleanup(srv.Close)
	h := &harness{t: &testing.T{}, store: st, srv: srv, acme: res.App}
	c := h.anonymous()
	login, _ := http.NewRequest("POST", srv.URL+"/login", strings.NewReader("email=admin%40acme.test&password=correct+horse+battery"))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := c.http.Do(login); err != nil || resp.StatusCode != 303 {
		f.Fatalf("sign in: %v", err)
	}
	for _, s := range []string{
		"name=A&url=https%3A%2F%2Fexample.com&events=*&auth_type=none&active=on",
		"name=B&url=https%3A%2F%2Fexample.com&events=invoice.paid&auth_type=basic&auth_username=u&auth_password=p",
		"name=%00&url=%ff&events=&auth_type=api_key&auth_header=%0d%0a",
		"name=" + strings.Repeat("%e2%80%ae", 40), "%", "a=b&a=c&events=*&events=*", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req, _ := http.NewRequest("POST", srv.URL+"/apps/"+res.App.ID+"/webhooks/new", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("form %q: status %d", body, resp.StatusCode)
		}
	})
}
