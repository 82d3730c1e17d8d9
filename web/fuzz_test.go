package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store/storetest"
	"github.com/hookboard/hookboard/web"
)

// fuzzAPI is one server for the API fuzz targets: its handler, an API key
// and the paths of a webhook create, update and an ingest.
type fuzzAPI struct {
	dialect string
	h       http.Handler
	key     string
	paths   map[string]string
}

// fuzzAPIs returns a server per database: SQLite, and PostgreSQL when
// TEST_DATABASE_URL is set (the seed corpus runs in plain go test, so every
// CI run covers both).
func fuzzAPIs(f *testing.F) []fuzzAPI {
	var out []fuzzAPI
	for _, d := range storetest.Dialects(f) {
		st := storetest.New(f, d, storetest.Options{})
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
		out = append(out, fuzzAPI{dialect: d, h: h, key: key, paths: map[string]string{"create": base + "/webhooks", "update": base + "/webhooks/" + wh.ID, "ingest": base + "/events"}})
	}
	return out
}

func fuzzCall(t *testing.T, h http.Handler, key, method, path, body string, headers ...string) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
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

// fuzzEach calls the route on every database's server.
func fuzzEach(t *testing.T, servers []fuzzAPI, method, route, body string, headers ...string) {
	for _, a := range servers {
		fuzzCall(t, a.h, a.key, method, a.paths[route], body, headers...)
	}
}

func FuzzCreateWebhookJSON(f *testing.F) {
	servers := fuzzAPIs(f)
	for _, s := range webhookSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) { fuzzEach(t, servers, "POST", "create", body) })
}

func FuzzUpdateWebhookJSON(f *testing.F) {
	servers := fuzzAPIs(f)
	for _, s := range webhookSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) { fuzzEach(t, servers, "PUT", "update", body) })
}

// FuzzIngestJSON fuzzes the body and the Idempotency-Key of an ingest.
func FuzzIngestJSON(f *testing.F) {
	servers := fuzzAPIs(f)
	for _, s := range []string{
		`{"eventType":"invoice.paid","payload":{"a":1}}`, `{"eventType":"invoice.paid","payload":[]}`,
		`{"eventType":"","payload":{}}`, `{"eventType":"a","payload":null}`, `{"payload":{"deep":{"deeper":[1,2,{"x":"\u0000"}]}}}`,
		`{"eventType":"x.y","payload":"str"}`, `{"eventType":"x.y","payload":{}} trailing`, `{`,
		`{"eventType":"invoice.paid","payload":{"a":"\xff"}}`, `{"eventType":"invoice.\u0000","payload":{}}`, "{\"eventType\":\"invoice.paid\",\"payload\":{\"\xc2\x85\":1}}",
	} {
		f.Add(s, "")
	}
	f.Add(`{"eventType":"invoice.paid","payload":{"a":1}}`, "\xff\xfe")
	f.Add(`{"eventType":"invoice.paid","payload":{"a":1}}`, "key-1")
	f.Add(`{"eventType":"invoice.paid","payload":{"a":1}}`, strings.Repeat("k", 300))
	f.Fuzz(func(t *testing.T, body, idemKey string) {
		fuzzEach(t, servers, "POST", "ingest", body, "Idempotency-Key", idemKey)
	})
}

// formServer is a dashboard on one database with the Acme admin signed in.
type formServer struct {
	h      http.Handler
	appID  string
	cookie string
}

func formServers(f *testing.F) []formServer {
	var out []formServer
	for _, d := range storetest.Dialects(f) {
		st := storetest.New(f, d, storetest.Options{})
		ctx := context.Background()
		res, err := st.AddUser(ctx, "admin@acme.test", password, "Acme", hook.RoleAdmin)
		if err != nil {
			f.Fatal(err)
		}
		st.CreateEventType(ctx, hook.Actor{}, res.App.ID, hook.EventTypeInput{Name: "invoice.paid"})
		h := web.New(web.Options{Store: st, SessionKey: make([]byte, 32)})
		out = append(out, formServer{h: h, appID: res.App.ID, cookie: signInCookie(f, h)})
	}
	return out
}

// postForm sends a form body and fails the test on a 5xx.
func postForm(t *testing.T, h http.Handler, path, cookie, remote, body string) {
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	if remote != "" {
		req.RemoteAddr = remote
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("POST %s with %q: status %d: %.300s", path, body, rec.Code, rec.Body)
	}
}

// FuzzWebhookForm posts arbitrary form bodies to the create page as an
// admin, on each database: never a 5xx.
func FuzzWebhookForm(f *testing.F) {
	servers := formServers(f)
	for _, s := range []string{
		"name=A&url=https%3A%2F%2Fexample.com&events=*&auth_type=none&active=on",
		"name=B&url=https%3A%2F%2Fexample.com&events=invoice.paid&auth_type=basic&auth_username=u&auth_password=p",
		"name=%00&url=%ff&events=&auth_type=api_key&auth_header=%0d%0a",
		"name=" + strings.Repeat("%e2%80%ae", 40), "%", "a=b&a=c&events=*&events=*", "",
		"name=C&url=https%3A%2F%2Fexample.com&events=*&auth_type=none&description=%ff%fe", "name=D&url=https%3A%2F%2Fexample.com&events=%c2%85&auth_type=none",
		"name=E&url=https%3A%2F%2Fexample.com&events=*&auth_type=none&secret=whsec_x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, s := range servers {
			postForm(t, s.h, "/apps/"+s.appID+"/webhooks/new", s.cookie, "", body)
		}
	})
}

// FuzzLoginForm posts arbitrary e-mail, password and next values to the
// sign-in form, on each database: never a 5xx. Each input comes from its
// own client address, so the per-address throttle does not end the search
// early.
func FuzzLoginForm(f *testing.F) {
	servers := formServers(f)
	for _, s := range [][3]string{
		{"admin@acme.test", password, "/apps"}, {"admin@acme.test", "wrong", ""}, {"admin\x00@acme.test", password, ""},
		{"\xff\xfe", "\xff", "\xff"}, {"a@b", "\x00", "/\t/evil.example/"}, {"", "", "//evil.example"},
		{strings.Repeat("a", 300) + "@acme.test", strings.Repeat("p", 100), "/" + strings.Repeat("x", 5000)},
		{"ADMIN@ACME.TEST", password, "https://evil.example/"}, {"admin@acme.test\u0085", password, "/\\evil"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	var n atomic.Uint32
	f.Fuzz(func(t *testing.T, email, pw, next string) {
		body := url.Values{"email": {email}, "password": {pw}, "next": {next}}.Encode()
		i := n.Add(1)
		remote := fmt.Sprintf("10.%d.%d.%d:40000", byte(i>>16), byte(i>>8), byte(i))
		for _, s := range servers {
			postForm(t, s.h, "/login", "", remote, body)
		}
	})
}
