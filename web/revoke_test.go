package web_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
	"github.com/hookboard/hookboard/web"
)

var testSessionKey = []byte("0123456789abcdef0123456789abcdef")

// newSharedHarness is newHarness on the dialect's database, which a second
// process (another store and server, see secondProcess) can share.
func newSharedHarness(t *testing.T, dialect string) (*harness, string) {
	t.Helper()
	dsn := storetest.DSN(t, dialect)
	st := openStore(t, dsn)
	ctx := t.Context()
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
	srv := httptest.NewServer(web.New(web.Options{Store: st, SessionKey: testSessionKey}))
	t.Cleanup(srv.Close)
	return &harness{t: t, store: st, srv: srv, acme: res.App, beta: other.App}, dsn
}

func openStore(t *testing.T, dsn string) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), dsn, store.Options{Box: storetest.Box(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// secondProcess serves the same database from another store and server.
func secondProcess(t *testing.T, dsn string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(web.New(web.Options{Store: openStore(t, dsn), SessionKey: testSessionKey}))
	t.Cleanup(srv.Close)
	return srv
}

// TestRevokedKeyRefusedByNextRequest: after Revoke on the API keys page,
// the very next API request with the key gets 401 from the same process,
// on both databases, although the key was cached a moment before.
func TestRevokedKeyRefusedByNextRequest(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			h, _ := newSharedHarness(t, d)
			h.mustEventTypes("a.b")
			a := h.admin()
			key := h.apiKey(h.acme.ID)
			ingest := func() *http.Response {
				resp, _ := apiCall(t, h.srv.URL, "POST", "/api/v1/apps/"+h.acme.ID+"/events", key, `{"eventType":"a.b","payload":{}}`)
				return resp
			}
			for range 2 {
				wantStatus(t, ingest(), http.StatusAccepted)
			}
			_, doc := a.get("/apps/" + h.acme.ID + "/api-keys")
			resp, doc := a.submit(doc.Find("tr[data-api-key-id] form"), nil)
			wantStatus(t, resp, http.StatusOK)
			resp, _ = a.submit(doc.Find("[data-testid=confirm] form"), nil)
			wantStatus(t, resp, http.StatusSeeOther)
			wantStatus(t, ingest(), http.StatusUnauthorized)
		})
	}
}

// TestRemovedMemberRefusedByNextRequest: memberships are read on every
// request, so a removed member's very next request to the app gets 404, in
// the process that removed them and in another one sharing the database.
func TestRemovedMemberRefusedByNextRequest(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			h, dsn := newSharedHarness(t, d)
			other := secondProcess(t, dsn)
			a, s := h.admin(), h.support()
			page := "/apps/" + h.acme.ID + "/webhooks"
			get := func(base string) *http.Response {
				req, _ := http.NewRequest(http.MethodGet, base+page, nil)
				resp, _ := s.do(req)
				return resp
			}
			wantStatus(t, get(h.srv.URL), http.StatusOK)
			wantStatus(t, get(other.URL), http.StatusOK)

			supportID := mustUser(t, h, "support@acme.test").ID
			resp, doc := a.post("/apps/"+h.acme.ID+"/members/"+supportID+"/remove", nil)
			wantStatus(t, resp, http.StatusOK)
			resp, _ = a.submit(doc.Find("[data-testid=confirm] form"), nil)
			wantStatus(t, resp, http.StatusSeeOther)

			wantStatus(t, get(h.srv.URL), http.StatusNotFound)
			wantStatus(t, get(other.URL), http.StatusNotFound)
		})
	}
}
