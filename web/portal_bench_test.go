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

// BenchmarkPortalPage: a page in a portal session against the same page of
// a signed-in user (the portal reads its session, the app and its
// branding; the user its session and membership).
func BenchmarkPortalPage(b *testing.B) {
	st := storetest.New(b, store.SQLite, storetest.Options{})
	ctx := context.Background()
	res, _ := st.AddUser(ctx, "admin@acme.test", password, "Acme", hook.RoleAdmin)
	st.SetAppBranding(ctx, hook.Actor{}, res.App.ID, store.Branding{DisplayName: "Shop", AccentColor: "#aa3300"})
	h := web.New(web.Options{Store: st, SessionKey: make([]byte, 32)})
	link, _ := st.CreatePortalLink(ctx, hook.Actor{}, res.App.ID, store.PortalLinkInput{User: "ana"})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/portal/"+link.Token, nil))
	portal, _, _ := strings.Cut(rec.Header().Get("Set-Cookie"), ";")
	for name, cookie := range map[string]string{"portal session": portal, "signed-in user": signInCookie(b, h)} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest("GET", "/apps/"+res.App.ID+"/event-types", nil)
				req.Header.Set("Cookie", cookie)
				rec := newRecorder()
				h.ServeHTTP(rec, req)
				if rec.code != http.StatusOK {
					b.Fatalf("%s: %d", name, rec.code)
				}
			}
		})
	}
}
