package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/web"
)

// TestLandingApp: a member of several apps lands on the first by name,
// unless the server names the app to land on (the demo's "Demo", which a
// plain start on the same database would otherwise put after "Default").
func TestLandingApp(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	zeta, err := h.store.CreateApp(ctx, "Zeta")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.store.AddMember(ctx, hook.Actor{}, zeta.ID, "admin@acme.test", hook.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	landsOn := func() string {
		t.Helper()
		c := h.admin()
		resp, _ := c.get("/")
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("GET /: status %d", resp.StatusCode)
		}
		return resp.Header.Get("Location")
	}
	if got, want := landsOn(), "/apps/"+h.acme.ID; got != want {
		t.Errorf("without a landing app: %s, want %s (Acme, first by name)", got, want)
	}
	h.srv = httptest.NewServer(web.New(web.Options{Store: h.store, SessionKey: []byte("0123456789abcdef0123456789abcdef"), LandingApp: "Zeta"}))
	t.Cleanup(h.srv.Close)
	if got, want := landsOn(), "/apps/"+zeta.ID; got != want {
		t.Errorf("with LandingApp Zeta: %s, want %s", got, want)
	}
}
