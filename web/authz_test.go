package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/sender/sendertest"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
	"github.com/hookboard/hookboard/web"
)

// Who asks, in the authorization matrix.
const (
	anon    = "anonymous"
	admin   = "admin of the app"
	support = "support of the app"
	other   = "admin of another app"
	revoked = "revoked API key"
	// Portal sessions of the app (issue 17), from links minted with its key.
	portalSupport = "support portal session"
	portalAdmin   = "admin portal session" // on a fixture of its own: it changes things too
)

var actors = []string{anon, support, portalSupport, other, revoked, admin, portalAdmin} // admins last: they change things

// kinds of route, each with the status every actor gets. "ok" means the
// request is carried out (200, 201, 202, 204 or 303).
var kinds = map[string]map[string]string{
	"public":       {anon: "ok", admin: "ok", support: "ok", other: "ok", revoked: "ok", portalAdmin: "ok", portalSupport: "ok"},
	"signed-in":    {anon: "303 /login", admin: "ok", support: "ok", other: "ok", revoked: "303 /login", portalAdmin: "ok", portalSupport: "ok"},
	"member":       {anon: "303 /login", admin: "ok", support: "ok", other: "404", revoked: "303 /login", portalAdmin: "ok", portalSupport: "ok"},
	"admin":        {anon: "303 /login", admin: "ok", support: "403", other: "404", revoked: "303 /login", portalAdmin: "ok", portalSupport: "403"},
	"api":          {anon: "401", admin: "ok", support: "401", other: "401", revoked: "401", portalAdmin: "401", portalSupport: "401"},
	"not-an-actor": {anon: "404", admin: "404", support: "404", other: "404", revoked: "404", portalAdmin: "404", portalSupport: "404"},
	// Routes a portal session does not have (Members, API keys, Settings;
	// Account; sign-out): 404 for it, whatever its role.
	"team":     {anon: "303 /login", admin: "ok", support: "403", other: "404", revoked: "303 /login", portalAdmin: "404", portalSupport: "404"},
	"account":  {anon: "303 /login", admin: "ok", support: "ok", other: "ok", revoked: "303 /login", portalAdmin: "404", portalSupport: "404"},
	"sign-out": {anon: "ok", admin: "ok", support: "ok", other: "ok", revoked: "ok", portalAdmin: "404", portalSupport: "404"},
	// Starting a recovery job: the first actor allowed on the fixture
	// starts it, so the others' same request (past authorization) meets
	// that job: 409. (The portal admin gets a fixture of its own.)
	"member-once": {anon: "303 /login", admin: "409", support: "ok", other: "404", revoked: "303 /login", portalAdmin: "ok", portalSupport: "409"},
}

// matrix has one row per route: its kind and the body that makes it
// succeed for an admin. A route without a row fails the test.
var matrix = map[string]struct {
	kind string
	body string // form values (HTML) or JSON (API)
}{
	"GET /healthz":      {"public", ""},
	"GET /readyz":       {"public", ""},
	"GET /metrics":      {"not-an-actor", ""}, // 404 here: this fixture has no metrics; see TestMetrics
	"GET /static/":      {"not-an-actor", ""}, // only named files exist: see the static test
	"GET /favicon.ico":  {"public", ""},
	"GET /login":        {"public", ""},
	"POST /login":       {"public", "email=admin%40acme.test&password=correct+horse+battery"},
	"POST /logout":      {"sign-out", ""},
	"GET /{$}":          {"signed-in", ""},
	"GET /apps/{appID}": {"member", ""},

	"GET /apps/{appID}/webhooks":                      {"member", ""},
	"GET /apps/{appID}/webhooks/new":                  {"admin", ""},
	"POST /apps/{appID}/webhooks":                     {"admin", "name=New&url=https%3A%2F%2Fexample.com%2Fx&events=*&auth_type=none&active=on"},
	"POST /apps/{appID}/webhooks/new":                 {"admin", "name=New&url=https%3A%2F%2Fexample.com%2Fx&events=*&auth_type=none&active=on"},
	"GET /apps/{appID}/webhooks/{id}":                 {"member", ""},
	"GET /apps/{appID}/webhooks/{id}/edit":            {"admin", ""},
	"POST /apps/{appID}/webhooks/{id}/edit":           {"admin", "name=Renamed&url=https%3A%2F%2Fexample.com%2Fy&events=*&auth_type=none&active=on"},
	"POST /apps/{appID}/webhooks/{id}":                {"admin", "name=Renamed&url=https%3A%2F%2Fexample.com%2Fy&events=*&auth_type=none&active=on"},
	"GET /apps/{appID}/webhooks/{id}/delete":          {"admin", ""},
	"POST /apps/{appID}/webhooks/{id}/delete":         {"admin", "confirm=yes"},
	"POST /apps/{appID}/webhooks/{id}/secret/reveal":  {"admin", ""},
	"POST /apps/{appID}/webhooks/{id}/secret":         {"admin", ""},
	"GET /apps/{appID}/webhooks/{id}/secret/rotate":   {"admin", ""},
	"POST /apps/{appID}/webhooks/{id}/secret/rotate":  {"admin", "confirm=yes"},
	"POST /apps/{appID}/webhooks/{id}/test":           {"admin", ""},
	"GET /apps/{appID}/webhooks/{id}/events":          {"member", ""},
	"GET /apps/{appID}/events":                        {"member", ""},
	"GET /apps/{appID}/events/{eventID}":              {"member", ""},
	"GET /apps/{appID}/deliveries/{id}":               {"member", ""},
	"GET /apps/{appID}/deliveries/{id}/payload.json":  {"member", ""},
	"POST /apps/{appID}/deliveries/{id}/resend":       {"member", ""},
	"GET /apps/{appID}/api-keys":                      {"team", ""},
	"POST /apps/{appID}/api-keys":                     {"team", "name=ci"},
	"POST /apps/{appID}/api-keys/{keyID}/revoke":      {"team", "confirm=yes"},
	"GET /apps/{appID}/members":                       {"team", ""},
	"POST /apps/{appID}/members":                      {"team", "email=new%40acme.test&role=support"},
	"POST /apps/{appID}/members/{userID}/role":        {"team", "role=admin"},
	"POST /apps/{appID}/members/{userID}/remove":      {"team", "confirm=yes"},
	"GET /apps/{appID}/settings":                      {"team", ""},
	"POST /apps/{appID}/settings":                     {"team", "display_name=Acme&accent_color=%23aa3300"},
	"GET /apps/{appID}/brand.css":                     {"member", ""},
	"GET /portal/{token}":                             {"public", ""}, // a fresh link each time
	"GET /apps/{appID}/audit":                         {"member", ""},
	"GET /apps/{appID}/event-types":                   {"member", ""},
	"POST /apps/{appID}/event-types":                  {"admin", "name=order.shipped"},
	"POST /apps/{appID}/event-types/{name}/archive":   {"admin", ""},
	"POST /apps/{appID}/event-types/{name}/unarchive": {"admin", ""},
	"GET /api/v1/openapi.json":                        {"public", ""},
	"/":                                               {"not-an-actor", ""}, // the catch-all: 404 for every caller

	"GET /account":                      {"account", ""},
	"POST /account/password":            {"account", "current_password=correct+horse+battery&new_password=a+new+long+password&confirm_password=a+new+long+password"},
	"POST /account/sessions/end-others": {"account", ""},

	"GET /apps/{appID}/webhooks/{id}/recover":                  {"member", ""},
	"POST /apps/{appID}/webhooks/{id}/recover":                 {"member-once", "since=" + matrixSince},
	"GET /apps/{appID}/webhooks/{id}/replay":                   {"admin", ""},
	"POST /apps/{appID}/webhooks/{id}/replay":                  {"admin", "since=" + matrixSince},
	"GET /apps/{appID}/deliveries/bulk-resend":                 {"member", ""},
	"POST /apps/{appID}/deliveries/bulk-resend":                {"member-once", "status=retrying"},
	"GET /apps/{appID}/recoveries":                             {"member", ""},
	"GET /apps/{appID}/recoveries/{recoveryID}":                {"member", ""},
	"POST /apps/{appID}/recoveries/{recoveryID}/cancel":        {"member", "confirm=yes"},
	"POST /api/v1/apps/{appID}/webhooks/{id}/recover":          {"api", `{"since":"` + matrixSince + `"}`},
	"POST /api/v1/apps/{appID}/webhooks/{id}/replay-missing":   {"api", `{"since":"` + matrixSince + `"}`},
	"POST /api/v1/apps/{appID}/deliveries/bulk-resend":         {"api", `{"status":"retrying"}`},
	"GET /api/v1/apps/{appID}/recoveries":                      {"api", ""},
	"GET /api/v1/apps/{appID}/recoveries/{recoveryID}":         {"api", ""},
	"POST /api/v1/apps/{appID}/recoveries/{recoveryID}/cancel": {"api", ""},

	"POST /api/v1/apps/{appID}/webhooks":                       {"api", `{"name":"New","url":"https://example.com/x","events":["*"]}`},
	"GET /api/v1/apps/{appID}/webhooks":                        {"api", ""},
	"GET /api/v1/apps/{appID}/webhooks/{id}":                   {"api", ""},
	"PUT /api/v1/apps/{appID}/webhooks/{id}":                   {"api", `{"active":false}`},
	"DELETE /api/v1/apps/{appID}/webhooks/{id}":                {"api", ""},
	"POST /api/v1/apps/{appID}/webhooks/{id}/rotate-secret":    {"api", ""},
	"POST /api/v1/apps/{appID}/webhooks/{id}/test-ping":        {"api", ""},
	"GET /api/v1/apps/{appID}/webhooks/{id}/deliveries":        {"api", ""},
	"GET /api/v1/apps/{appID}/deliveries/{deliveryID}":         {"api", ""},
	"POST /api/v1/apps/{appID}/deliveries/{deliveryID}/resend": {"api", ""},
	"POST /api/v1/apps/{appID}/events":                         {"api", `{"eventType":"invoice.paid","payload":{"a":1}}`},
	"GET /api/v1/apps/{appID}/events":                          {"api", ""},
	"GET /api/v1/apps/{appID}/event-types":                     {"api", ""},
	"POST /api/v1/apps/{appID}/event-types":                    {"api", `{"name":"order.shipped"}`},
	"POST /api/v1/apps/{appID}/portal-links":                   {"api", `{"user":"ana@shop.test"}`},
	"DELETE /api/v1/apps/{appID}/portal-sessions":              {"api", ""},
}

// matrixFixture is a fresh app per route: a webhook that points at a
// failing receiver, one failed delivery, an API key, a support member.
type matrixFixture struct {
	h          *harness
	server     *web.Server
	webhookID  string
	deliveryID string
	eventID    string
	keyID      string
	key        string
	betaKey    string
	revokedKey string
	supportID  string
	recoveryID string // made on first use (matrixRecovery)
	lateID     string // made on first use (matrixLateWebhook)
}

func newMatrixFixture(t *testing.T) *matrixFixture {
	t.Helper()
	return newMatrixFixtureOn(t, store.SQLite)
}

// newMatrixFixtureOn is newMatrixFixture on the dialect's store.
func newMatrixFixtureOn(t *testing.T, dialect string) *matrixFixture {
	t.Helper()
	st := storetest.New(t, dialect, storetest.Options{})
	ctx := context.Background()
	res, _ := st.AddUser(ctx, "admin@acme.test", password, "Acme", hook.RoleAdmin)
	sup, _ := st.AddUser(ctx, "support@acme.test", password, "Acme", hook.RoleSupport)
	beta, _ := st.AddUser(ctx, "admin@beta.test", password, "Beta", hook.RoleAdmin)
	st.CreateEventType(ctx, hook.Actor{}, res.App.ID, hook.EventTypeInput{Name: "invoice.paid"})
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	t.Cleanup(failing.Close)
	dev := hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}
	wh, _, err := st.CreateWebhook(ctx, hook.Actor{}, res.App.ID, hook.WebhookInput{Name: "A", URL: failing.URL, Events: []string{"*"}, Active: true, AuthType: "none"}, dev)
	if err != nil {
		t.Fatal(err)
	}
	drv := sendertest.Start(t, st, sender.Options{AllowPrivate: true})
	snd := drv.Sender
	ev, _ := st.IngestEvent(ctx, res.App.ID, "invoice.paid", []byte(`{}`), "")
	drv.Step()
	f := &matrixFixture{webhookID: wh.ID, supportID: sup.User.ID, eventID: ev.Event.ID}
	st.DB().Get(&f.deliveryID, st.DB().Rebind(`SELECT id FROM deliveries WHERE event_id = ?`), ev.Event.ID)
	var k store.APIKey
	k, f.key, _ = st.CreateAPIKey(ctx, hook.Actor{}, res.App.ID, "live")
	f.keyID = k.ID
	_, f.betaKey, _ = st.CreateAPIKey(ctx, hook.Actor{}, beta.App.ID, "beta")
	rk, revokedKey, _ := st.CreateAPIKey(ctx, hook.Actor{}, res.App.ID, "old")
	st.RevokeAPIKey(ctx, hook.Actor{}, res.App.ID, rk.ID)
	f.revokedKey = revokedKey
	f.server = web.New(web.Options{Store: st, Deliverer: sender.NewService(st, snd), SessionKey: make([]byte, 32), Targets: dev})
	srv := httptest.NewServer(f.server)
	t.Cleanup(srv.Close)
	f.h = &harness{t: t, store: st, srv: srv, acme: res.App, beta: beta.App}
	return f
}

func (f *matrixFixture) path(pattern string) string {
	_, p, ok := strings.Cut(pattern, " ")
	if !ok {
		return "/no/such/page" // the catch-all
	}
	p = strings.TrimSuffix(p, "{$}")
	id := f.webhookID
	if strings.Contains(p, "/deliveries/{id}") {
		id = f.deliveryID
	}
	if strings.Contains(p, "{recoveryID}") {
		p = strings.ReplaceAll(p, "{recoveryID}", f.matrixRecovery())
	}
	if strings.HasSuffix(p, "/replay") || strings.HasSuffix(p, "/replay-missing") {
		id = f.matrixLateWebhook() // one with an event to replay
	}
	if strings.Contains(p, "{token}") {
		link, err := f.h.store.CreatePortalLink(context.Background(), hook.Actor{}, f.h.acme.ID, store.PortalLinkInput{User: "matrix"})
		if err != nil {
			f.h.t.Fatal(err)
		}
		p = strings.Replace(p, "{token}", link.Token, 1)
	}
	return strings.NewReplacer("{appID}", f.h.acme.ID, "{id}", id, "{deliveryID}", f.deliveryID, "{eventID}", f.eventID, "{keyID}", f.keyID,
		"{userID}", f.supportID, "{name}", "invoice.paid").Replace(p)
}

func TestAuthorizationMatrix(t *testing.T) {
	routes := newMatrixFixture(t).server.Routes()
	for _, pattern := range routes {
		if _, ok := matrix[pattern]; !ok {
			t.Errorf("route %q has no row in the authorization matrix", pattern)
		}
	}
	for pattern := range matrix {
		if !slices.Contains(routes, pattern) {
			t.Errorf("matrix row %q matches no route", pattern)
		}
	}
	for _, pattern := range routes {
		row, ok := matrix[pattern]
		if !ok {
			continue
		}
		t.Run(pattern, func(t *testing.T) {
			f := newMatrixFixture(t)
			method, _, ok := strings.Cut(pattern, " ")
			if !ok {
				method = http.MethodGet
			}
			api := strings.HasPrefix(pattern, method+" /api/v1/apps/")
			for _, who := range actors {
				f := f
				if who == portalAdmin {
					f = newMatrixFixture(t)
				}
				var c *client
				switch who {
				case portalAdmin:
					c = f.h.portal(hook.RoleAdmin)
				case portalSupport:
					c = f.h.portal(hook.RoleSupport)
				case admin:
					c = f.h.signIn("admin@acme.test")
				case support:
					c = f.h.signIn("support@acme.test")
				case other:
					c = f.h.signIn("admin@beta.test")
				default:
					c = f.h.anonymous()
				}
				req, _ := http.NewRequest(method, f.h.srv.URL+f.path(pattern), strings.NewReader(row.body))
				if api {
					req.Header.Set("Content-Type", "application/json")
					switch who {
					case admin:
						req.Header.Set("Authorization", "Bearer "+f.key)
					case other:
						req.Header.Set("Authorization", "Bearer "+f.betaKey)
					case revoked:
						req.Header.Set("Authorization", "Bearer "+f.revokedKey)
					}
				} else {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					if who == revoked {
						req.Header.Set("Authorization", "Bearer "+f.revokedKey) // no meaning for pages
					}
				}
				resp, _ := c.do(req)
				want := kinds[row.kind][who]
				got := resp.StatusCode
				switch {
				case want == "ok":
					if !slices.Contains([]int{200, 201, 202, 204, 303}, got) {
						t.Errorf("%s: status %d, want it carried out: %.300s", who, got, body(resp))
					}
				case strings.HasPrefix(want, "303 "):
					if loc := resp.Header.Get("Location"); got != 303 || !strings.HasPrefix(loc, strings.TrimPrefix(want, "303 ")) {
						t.Errorf("%s: status %d to %q, want %s", who, got, loc, want)
					}
				default:
					if want != strconv.Itoa(got) {
						t.Errorf("%s: status %d, want %s", who, got, want)
					}
				}
			}
		})
	}
}
