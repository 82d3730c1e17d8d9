package store_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// TestPortalLinkOnce: a link opens once; the second opening, an unknown
// token and an expired link get the same error; the token is 256 random
// bits and only its hash is in the database.
func TestPortalLinkOnce(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		app := mustApp(t, s, "Acme")
		link, err := s.CreatePortalLink(ctx, actor, app.ID, store.PortalLinkInput{User: "ana@shop.test", Role: hook.RoleSupport, ReturnURL: "https://shop.test/settings"})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(link.Token)
		if err != nil || len(raw) < 16 {
			t.Fatalf("token %q: %d bytes (%v), want at least 16 random bytes", link.Token, len(raw), err)
		}
		if want := clock.Now().Add(10 * time.Minute); !link.ExpiresAt.Equal(want) {
			t.Errorf("expires at %v, want %v", link.ExpiresAt, want)
		}
		var stored []string
		if err := s.DB().Select(&stored, `SELECT token_hash FROM portal_links`); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(link.Token))
		if len(stored) != 1 || stored[0] != hex.EncodeToString(sum[:]) || strings.Contains(stored[0], link.Token) {
			t.Errorf("stored %q: want only the SHA-256 of the token", stored)
		}
		sess, token, err := s.OpenPortalLink(ctx, link.Token)
		if err != nil {
			t.Fatal(err)
		}
		if sess.AppID != app.ID || sess.Role != hook.RoleSupport || sess.User != "ana@shop.test" || sess.ReturnURL != "https://shop.test/settings" {
			t.Errorf("session %+v", sess)
		}
		if !sess.ExpiresAt.Equal(clock.Now().Add(time.Hour)) {
			t.Errorf("session ends %v, want the default hour", sess.ExpiresAt)
		}
		if got, err := s.PortalSessionByToken(ctx, token); err != nil || got.AppID != app.ID {
			t.Errorf("session by token: %+v, %v", got, err)
		}
		if _, _, err := s.OpenPortalLink(ctx, link.Token); err != store.ErrPortalLinkGone {
			t.Errorf("second use: %v, want ErrPortalLinkGone", err)
		}
		if _, _, err := s.OpenPortalLink(ctx, "no-such-token"); err != store.ErrPortalLinkGone {
			t.Errorf("unknown token: %v, want ErrPortalLinkGone", err)
		}
		late, _ := s.CreatePortalLink(ctx, actor, app.ID, store.PortalLinkInput{User: "bo"})
		clock.Advance(10*time.Minute + time.Second)
		if _, _, err := s.OpenPortalLink(ctx, late.Token); err != store.ErrPortalLinkGone {
			t.Errorf("expired link: %v, want ErrPortalLinkGone", err)
		}
	})
}

// TestPortalSessionsEnd: ending an app's portal sessions ends all of them
// and no other app's; a session also ends at its TTL.
func TestPortalSessionsEnd(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		acme, beta := mustApp(t, s, "Acme"), mustApp(t, s, "Beta")
		open := func(appID string, ttl int) string {
			t.Helper()
			link, err := s.CreatePortalLink(ctx, actor, appID, store.PortalLinkInput{User: "u", SessionTTL: ttl})
			if err != nil {
				t.Fatal(err)
			}
			_, token, err := s.OpenPortalLink(ctx, link.Token)
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
		a1, a2, b1 := open(acme.ID, 0), open(acme.ID, 0), open(beta.ID, 300)
		n, err := s.EndPortalSessions(ctx, actor, acme.ID)
		if err != nil || n != 2 {
			t.Fatalf("ended %d, %v; want 2", n, err)
		}
		for _, tok := range []string{a1, a2} {
			if _, err := s.PortalSessionByToken(ctx, tok); err != store.ErrPortalSessionEnded {
				t.Errorf("ended session still works: %v", err)
			}
		}
		if _, err := s.PortalSessionByToken(ctx, b1); err != nil {
			t.Errorf("another app's session ended: %v", err)
		}
		clock.Advance(301 * time.Second)
		if _, err := s.PortalSessionByToken(ctx, b1); err != store.ErrPortalSessionEnded {
			t.Errorf("session past its TTL: %v", err)
		}
		if err := s.DeleteExpiredPortal(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestPortalLinkValidation: the API's bounds, each named by its field.
func TestPortalLinkValidation(t *testing.T) {
	cases := []struct {
		in    store.PortalLinkInput
		field string
	}{
		{store.PortalLinkInput{User: ""}, "user"},
		{store.PortalLinkInput{User: "   "}, "user"},
		{store.PortalLinkInput{User: strings.Repeat("é", 201)}, "user"},
		{store.PortalLinkInput{User: "a\x00b"}, "user"},
		{store.PortalLinkInput{User: "a", Role: "owner"}, "role"},
		{store.PortalLinkInput{User: "a", ReturnURL: "http://shop.test/"}, "returnUrl"},
		{store.PortalLinkInput{User: "a", ReturnURL: "javascript:alert(1)"}, "returnUrl"},
		{store.PortalLinkInput{User: "a", ReturnURL: "https:///path"}, "returnUrl"},
		{store.PortalLinkInput{User: "a", SessionTTL: 299}, "sessionTtl"},
		{store.PortalLinkInput{User: "a", SessionTTL: 43201}, "sessionTtl"},
		{store.PortalLinkInput{User: "a", SessionTTL: -1}, "sessionTtl"},
	}
	for _, c := range cases {
		in := c.in
		err := store.ValidatePortalLink(&in)
		var fe hook.FieldErrors
		if e, ok := err.(hook.FieldErrors); ok {
			fe = e
		}
		if fe.For(c.field) == "" {
			t.Errorf("%+v: %v, want an error for %s", c.in, err, c.field)
		}
	}
	for _, ok := range []store.PortalLinkInput{
		{User: strings.Repeat("é", 200), SessionTTL: 300},
		{User: "a", SessionTTL: 43200, ReturnURL: "https://shop.test/a?b=c"},
	} {
		if err := store.ValidatePortalLink(&ok); err != nil {
			t.Errorf("%+v: %v", ok, err)
		}
	}
}

// TestAppBranding: saved and read back on both databases; bad values are
// refused by field and nothing changes.
func TestAppBranding(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := mustApp(t, s, "Acme")
		if b, err := s.AppBranding(ctx, app.ID); err != nil || b != (store.Branding{}) {
			t.Fatalf("new app's branding %+v, %v", b, err)
		}
		want := store.Branding{DisplayName: "Shop Webhooks", AccentColor: "#AA3300", LogoURL: "https://shop.test/logo.png"}
		if _, err := s.SetAppBranding(ctx, actor, app.ID, want); err != nil {
			t.Fatal(err)
		}
		want.AccentColor = "#aa3300"
		if b, _ := s.AppBranding(ctx, app.ID); b != want {
			t.Errorf("read back %+v, want %+v", b, want)
		}
		_, err := s.SetAppBranding(ctx, actor, app.ID, store.Branding{AccentColor: "red", LogoURL: "http://shop.test/x.png"})
		fe, _ := err.(hook.FieldErrors)
		if fe.For("accent_color") == "" || fe.For("logo_url") == "" {
			t.Errorf("bad branding: %v", err)
		}
		if b, _ := s.AppBranding(ctx, app.ID); b != want {
			t.Errorf("after a refused change %+v, want %+v", b, want)
		}
	})
}
