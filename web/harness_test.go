package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/hookboard/hookboard/internal/assembly"
	"github.com/hookboard/hookboard/internal/config"
	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

const password = "correct horse battery"

// harness is a real server on a real SQLite store (PostgreSQL with
// newHarnessOn) with three users: an admin and a support agent of Acme, and
// an admin of another app, Beta.
type harness struct {
	t     *testing.T
	store *store.Store
	srv   *httptest.Server
	acme  hook.App
	beta  hook.App
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, storetest.Options{}, nil)
}

// newHarnessWith builds the harness on a store with opts (a clock) and,
// when snd is given, a sender for test events and resends.
func newHarnessWith(t *testing.T, opts storetest.Options, newSender func(*store.Store) *sender.Sender) *harness {
	t.Helper()
	return newHarnessOnWith(t, store.SQLite, opts, newSender)
}

// newHarnessOn builds the harness on the dialect's store; loop over
// storetest.Dialects(t) to run a handler test on SQLite and PostgreSQL.
func newHarnessOn(t *testing.T, dialect string) *harness {
	t.Helper()
	return newHarnessOnWith(t, dialect, storetest.Options{}, nil)
}

func newHarnessOnWith(t *testing.T, dialect string, opts storetest.Options, newSender func(*store.Store) *sender.Sender) *harness {
	t.Helper()
	st := storetest.New(t, dialect, opts)
	ctx := context.Background()
	res, err := st.AddUser(ctx, "admin@acme.test", password, "Acme", hook.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddUser(ctx, "support@acme.test", password, "Acme", hook.RoleSupport); err != nil {
		t.Fatal(err)
	}
	other, err := st.AddUser(ctx, "admin@beta.test", password, "Beta", hook.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	// The program as serve assembles it, on this store and clock; the
	// tests send deliveries by hand, so it never runs.
	aopts := []assembly.Option{assembly.WithStore(st), assembly.WithClock(opts.Now), assembly.WithoutListener()}
	if newSender != nil {
		// Receivers on loopback: the production target rules otherwise.
		aopts = append(aopts, assembly.WithSender(newSender(st)), assembly.WithTargets(hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}))
	}
	p, err := assembly.Open(ctx, config.Config{SessionKey: []byte("0123456789abcdef0123456789abcdef"), Retention: 30 * 24 * time.Hour}, aopts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	srv := httptest.NewServer(p.Handler())
	t.Cleanup(srv.Close)
	return &harness{t: t, store: st, srv: srv, acme: res.App, beta: other.App}
}

// client is one browser: a cookie jar, redirects not followed.
type client struct {
	t    *testing.T
	h    *harness
	http *http.Client
}

func (h *harness) anonymous() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: h.t, h: h, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// signIn returns a client signed in as email.
func (h *harness) signIn(email string) *client {
	h.t.Helper()
	c := h.anonymous()
	resp, _ := c.post("/login", url.Values{"email": {email}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("sign in as %s: status %d", email, resp.StatusCode)
	}
	return c
}

func (h *harness) admin() *client    { return h.signIn("admin@acme.test") }
func (h *harness) support() *client  { return h.signIn("support@acme.test") }
func (h *harness) outsider() *client { return h.signIn("admin@beta.test") }

func (c *client) do(req *http.Request) (*http.Response, *goquery.Document) {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(body)))
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, doc
}

func (c *client) get(path string) (*http.Response, *goquery.Document) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.h.srv.URL+path, nil)
	return c.do(req)
}

func (c *client) post(path string, form url.Values, headers ...string) (*http.Response, *goquery.Document) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.h.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// submit sends a form as a browser would: its hidden inputs, checked boxes
// and filled fields, with extra values set on top, to its action by its method.
func (c *client) submit(form *goquery.Selection, extra url.Values) (*http.Response, *goquery.Document) {
	c.t.Helper()
	if form.Length() != 1 {
		c.t.Fatalf("submit: %d forms", form.Length())
	}
	vals := url.Values{}
	form.Find("input, textarea, select").Each(func(_ int, s *goquery.Selection) {
		name, ok := s.Attr("name")
		if !ok {
			return
		}
		switch s.AttrOr("type", "") {
		case "checkbox", "radio":
			if _, checked := s.Attr("checked"); !checked {
				return
			}
		case "submit", "button":
			return
		}
		switch {
		case goquery.NodeName(s) == "textarea":
			vals.Add(name, s.Text())
		case s.AttrOr("type", "") == "checkbox" || s.AttrOr("type", "") == "radio":
			vals.Add(name, s.AttrOr("value", "on"))
		default:
			vals.Add(name, s.AttrOr("value", ""))
		}
	})
	for k, v := range extra {
		vals[k] = v
	}
	action := form.AttrOr("action", "")
	if strings.EqualFold(form.AttrOr("method", "get"), "post") {
		return c.post(action, vals)
	}
	return c.get(action + "?" + vals.Encode())
}

// follow GETs the Location of a redirect.
func (c *client) follow(resp *http.Response) (*http.Response, *goquery.Document) {
	c.t.Helper()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		c.t.Fatalf("status %d, want a redirect", resp.StatusCode)
	}
	return c.get(resp.Header.Get("Location"))
}

func body(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func wantStatus(t *testing.T, resp *http.Response, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want)
	}
}

func text(doc *goquery.Document, sel string) string {
	return strings.TrimSpace(doc.Find(sel).First().Text())
}

// mustEventTypes adds catalog entries to Acme.
func (h *harness) mustEventTypes(names ...string) {
	h.t.Helper()
	for _, n := range names {
		if _, err := h.store.CreateEventType(context.Background(), hook.Actor{Label: "test"}, h.acme.ID, hook.EventTypeInput{Name: n}); err != nil {
			h.t.Fatal(err)
		}
	}
}

// mustWebhook creates a webhook in app directly in the store.
func (h *harness) mustWebhook(appID, name string) hook.Webhook {
	h.t.Helper()
	in := hook.WebhookInput{Name: name, URL: "https://example.com/" + name, Events: []string{"*"}, Active: true, AuthType: hook.AuthNone}
	wh, _, err := h.store.CreateWebhook(context.Background(), hook.Actor{Label: "test"}, appID, in, hook.TargetPolicy{})
	if err != nil {
		h.t.Fatal(err)
	}
	return wh
}

func validForm() url.Values {
	return url.Values{
		"name":        {"Billing"},
		"url":         {"https://billing.example.com/hooks"},
		"description": {"Invoices to the billing system"},
		"events":      {"invoice.paid", "invoice.failed"},
		"auth_type":   {"none"},
		"active":      {"on"},
	}
}

func mustUser(t *testing.T, h *harness, email string) hook.User {
	t.Helper()
	u, err := h.store.Authenticate(t.Context(), email, password)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// recorder is a minimal ResponseWriter for benchmarks.
type recorder struct {
	header http.Header
	code   int
	n      int
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(c int) {
	if r.code == 0 {
		r.code = c
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = 200
	}
	r.n += len(p)
	return len(p), nil
}

// signInCookie signs in as the Acme admin through the handler and returns
// the session cookie.
func signInCookie(tb testing.TB, h http.Handler) string {
	tb.Helper()
	req := httptest.NewRequest("POST", "/login", strings.NewReader("email=admin%40acme.test&password=correct+horse+battery"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	c := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || len(c) == 0 {
		tb.Fatalf("sign in: %d", rec.Code)
	}
	return c[0].Name + "=" + c[0].Value
}

// acmeWithEvents is Acme's admin and app on SQLite, with three catch-all
// webhooks (a, b, c) and n invoice.paid events, each with a pending
// delivery to every webhook. It returns the store, the app and the last
// event's ingestion.
func acmeWithEvents(tb testing.TB, n int) (*store.Store, hook.App, store.IngestResult) {
	tb.Helper()
	st := storetest.New(tb, store.SQLite, storetest.Options{})
	ctx := context.Background()
	res, err := st.AddUser(ctx, "admin@acme.test", password, "Acme", hook.RoleAdmin)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := st.CreateEventType(ctx, hook.Actor{}, res.App.ID, hook.EventTypeInput{Name: "invoice.paid"}); err != nil {
		tb.Fatal(err)
	}
	for _, name := range []string{"a", "b", "c"} {
		in := hook.WebhookInput{Name: name, URL: "https://example.com/" + name, Events: []string{"*"}, Active: true, AuthType: "none"}
		if _, _, err := st.CreateWebhook(ctx, hook.Actor{}, res.App.ID, in, hook.TargetPolicy{}); err != nil {
			tb.Fatal(err)
		}
	}
	var last store.IngestResult
	for range n {
		if last, err = st.IngestEvent(ctx, res.App.ID, "invoice.paid", []byte(`{"a":1}`), ""); err != nil {
			tb.Fatal(err)
		}
	}
	return st, res.App, last
}
