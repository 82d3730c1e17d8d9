package store_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

var (
	ctx    = context.Background()
	actor  = hook.Actor{Label: "test"}
	policy = hook.TargetPolicy{}
)

func mustApp(t *testing.T, s *store.Store, name string) hook.App {
	t.Helper()
	app, err := s.CreateApp(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func mustEventType(t *testing.T, s *store.Store, appID, name string) {
	t.Helper()
	if _, err := s.CreateEventType(ctx, actor, appID, hook.EventTypeInput{Name: name}); err != nil {
		t.Fatal(err)
	}
}

func validInput() hook.WebhookInput {
	return hook.WebhookInput{Name: "Orders", URL: "https://example.com/hook", Events: []string{"invoice.paid"}, Active: true, AuthType: hook.AuthNone}
}

func TestMigrateTwice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
	})
}

func TestWebhookLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := mustApp(t, s, "Acme")
		mustEventType(t, s, app.ID, "invoice.paid")
		mustEventType(t, s, app.ID, "invoice.failed")

		in := validInput()
		in.Events = []string{"invoice.paid", "invoice.failed", "invoice.paid"}
		wh, secret, err := s.CreateWebhook(ctx, actor, app.ID, in, policy)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, "whsec_") || len(secret) != len("whsec_")+32 {
			t.Errorf("secret = %q, want whsec_ + base64 of 24 bytes", secret)
		}
		got, err := s.Webhook(ctx, app.ID, wh.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Orders" || got.URL != in.URL || !got.Active || !slices.Equal(got.Events, []string{"invoice.failed", "invoice.paid"}) {
			t.Errorf("stored webhook = %+v", got)
		}
		if got.CreatedAt.IsZero() || !got.CreatedAt.Equal(got.UpdatedAt) || got.CreatedAt.Location() != time.UTC && got.CreatedAt.UTC() != got.CreatedAt.UTC() {
			t.Errorf("times: created %v updated %v", got.CreatedAt, got.UpdatedAt)
		}

		// Same name, other case: refused.
		dup := validInput()
		dup.Name = "ORDERS"
		_, _, err = s.CreateWebhook(ctx, actor, app.ID, dup, policy)
		if fe, ok := err.(hook.FieldErrors); !ok || fe.For("name") == "" {
			t.Errorf("duplicate name: err = %v, want a name field error", err)
		}
		// The same name in another app is fine.
		other := mustApp(t, s, "Other")
		mustEventType(t, s, other.ID, "invoice.paid")
		if _, _, err := s.CreateWebhook(ctx, actor, other.ID, validInput(), policy); err != nil {
			t.Errorf("same name in another app: %v", err)
		}

		upd := validInput()
		upd.Name = "Orders v2"
		upd.Active = false
		upd.Events = []string{"*"}
		wh2, err := s.UpdateWebhook(ctx, actor, app.ID, wh.ID, upd, policy)
		if err != nil {
			t.Fatal(err)
		}
		if wh2.Name != "Orders v2" || wh2.Active || !slices.Equal(wh2.Events, []string{"*"}) || !wh2.UpdatedAt.After(wh.CreatedAt) && !wh2.UpdatedAt.Equal(wh.CreatedAt) {
			t.Errorf("updated = %+v", wh2)
		}

		// Another app cannot see or change it.
		if _, err := s.Webhook(ctx, other.ID, wh.ID); hook.ErrorCode(err) != hook.ENOTFOUND {
			t.Errorf("other app read: %v", err)
		}
		if err := s.DeleteWebhook(ctx, actor, other.ID, wh.ID); hook.ErrorCode(err) != hook.ENOTFOUND {
			t.Errorf("other app delete: %v", err)
		}
		if _, err := s.Webhook(ctx, app.ID, "not-a-uuid"); hook.ErrorCode(err) != hook.ENOTFOUND {
			t.Errorf("bad id: %v", err)
		}

		list, err := s.ListWebhooks(ctx, app.ID)
		if err != nil || len(list) != 1 || list[0].ID != wh.ID {
			t.Fatalf("list = %+v, %v", list, err)
		}
		if err := s.DeleteWebhook(ctx, actor, app.ID, wh.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Webhook(ctx, app.ID, wh.ID); hook.ErrorCode(err) != hook.ENOTFOUND {
			t.Errorf("after delete: %v", err)
		}
		entries, err := s.ListAudit(ctx, app.ID, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
		}
		want := []string{"webhook.delete", "webhook.update", "webhook.create", "event_type.create", "event_type.create"}
		if !slices.Equal(actions, want) {
			t.Errorf("audit actions = %v, want %v", actions, want)
		}
	})
}

func TestWebhookValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := mustApp(t, s, "Acme")
		mustEventType(t, s, app.ID, "invoice.paid")
		cases := []struct {
			name  string
			edit  func(*hook.WebhookInput)
			field string
		}{
			{"empty name", func(in *hook.WebhookInput) { in.Name = "  " }, "name"},
			{"punctuation name", func(in *hook.WebhookInput) { in.Name = "--!" }, "name"},
			{"http url", func(in *hook.WebhookInput) { in.URL = "http://example.com" }, "url"},
			{"no url", func(in *hook.WebhookInput) { in.URL = "" }, "url"},
			{"private url", func(in *hook.WebhookInput) { in.URL = "https://10.0.0.5/x" }, "url"},
			{"loopback url", func(in *hook.WebhookInput) { in.URL = "https://127.0.0.1/x" }, "url"},
			{"localhost url", func(in *hook.WebhookInput) { in.URL = "https://localhost:8443/x" }, "url"},
			{"no events", func(in *hook.WebhookInput) { in.Events = nil }, "events"},
			{"unknown event", func(in *hook.WebhookInput) { in.Events = []string{"nope.never"} }, "events"},
			{"bad auth type", func(in *hook.WebhookInput) { in.AuthType = "oauth" }, "auth_type"},
			{"basic without user", func(in *hook.WebhookInput) { in.AuthType, in.AuthPassword = hook.AuthBasic, "pw" }, "auth_username"},
			{"basic without password", func(in *hook.WebhookInput) { in.AuthType, in.AuthUsername = hook.AuthBasic, "u" }, "auth_password"},
			{"api key without header", func(in *hook.WebhookInput) { in.AuthType, in.AuthValue = hook.AuthAPIKey, "v" }, "auth_header"},
			{"api key reserved header", func(in *hook.WebhookInput) {
				in.AuthType, in.AuthHeader, in.AuthValue = hook.AuthAPIKey, "webhook-signature", "v"
			}, "auth_header"},
			{"api key without value", func(in *hook.WebhookInput) { in.AuthType, in.AuthHeader = hook.AuthAPIKey, "X-Key" }, "auth_value"},
		}
		for _, c := range cases {
			in := validInput()
			c.edit(&in)
			_, _, err := s.CreateWebhook(ctx, actor, app.ID, in, policy)
			fe, ok := err.(hook.FieldErrors)
			if !ok || fe.For(c.field) == "" {
				t.Errorf("%s: err = %v, want an error on %s", c.name, err, c.field)
			}
		}
		if list, _ := s.ListWebhooks(ctx, app.ID); len(list) != 0 {
			t.Errorf("invalid input saved %d webhooks", len(list))
		}
		// The development switches allow what production refuses.
		in := validInput()
		in.URL = "http://127.0.0.1:9000/x"
		if _, _, err := s.CreateWebhook(ctx, actor, app.ID, in, hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}); err != nil {
			t.Errorf("with both switches: %v", err)
		}
	})
}

func TestWebhookCredentialsEncrypted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := mustApp(t, s, "Acme")
		mustEventType(t, s, app.ID, "invoice.paid")
		in := validInput()
		in.AuthType, in.AuthHeader, in.AuthValue = hook.AuthAPIKey, "X-Api-Key", "sk_live_verysecretvalue"
		wh, secret, err := s.CreateWebhook(ctx, actor, app.ID, in, policy)
		if err != nil {
			t.Fatal(err)
		}
		var authCipher []byte
		if err := s.DB().Get(&authCipher, s.DB().Rebind(`SELECT auth_secret FROM webhooks WHERE id = ?`), wh.ID); err != nil {
			t.Fatal(err)
		}
		if len(authCipher) == 0 || bytes.Contains(authCipher, []byte("verysecret")) {
			t.Errorf("auth_secret not encrypted: %q", authCipher)
		}
		var secretCipher []byte
		if err := s.DB().Get(&secretCipher, s.DB().Rebind(`SELECT secret FROM signing_secrets WHERE webhook_id = ?`), wh.ID); err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(secretCipher, []byte(strings.TrimPrefix(secret, "whsec_"))) {
			t.Error("signing secret stored in plain text")
		}
		if got, err := s.WebhookCredential(ctx, app.ID, wh.ID); err != nil || got != in.AuthValue {
			t.Errorf("credential = %q, %v", got, err)
		}
		// A blank value on update keeps the stored one.
		upd := in
		upd.AuthValue = ""
		if _, err := s.UpdateWebhook(ctx, actor, app.ID, wh.ID, upd, policy); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.WebhookCredential(ctx, app.ID, wh.ID); got != in.AuthValue {
			t.Errorf("after blank update credential = %q", got)
		}
		// Switching to none drops it.
		upd.AuthType = hook.AuthNone
		if _, err := s.UpdateWebhook(ctx, actor, app.ID, wh.ID, upd, policy); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.WebhookCredential(ctx, app.ID, wh.ID); got != "" {
			t.Errorf("after none credential = %q", got)
		}
	})
}

func TestEventTypes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := mustApp(t, s, "Acme")
		if _, err := s.CreateEventType(ctx, actor, app.ID, hook.EventTypeInput{Name: "Invoice Paid"}); hook.ErrorCode(err) != hook.EINVALID {
			t.Errorf("bad name: %v", err)
		}
		if _, err := s.CreateEventType(ctx, actor, app.ID, hook.EventTypeInput{Name: "a.b", Example: "[1]"}); hook.ErrorCode(err) != hook.EINVALID {
			t.Errorf("array example: %v", err)
		}
		if _, err := s.CreateEventType(ctx, actor, app.ID, hook.EventTypeInput{Name: "invoice.paid", Description: "Paid", Example: `{"id": 1}`}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateEventType(ctx, actor, app.ID, hook.EventTypeInput{Name: "invoice.paid"}); hook.ErrorCode(err) != hook.EINVALID {
			t.Errorf("duplicate: %v", err)
		}
		mustEventType(t, s, app.ID, "user.created")
		if err := s.SetEventTypeArchived(ctx, actor, app.ID, "user.created", true); err != nil {
			t.Fatal(err)
		}
		active, _ := s.ListEventTypes(ctx, app.ID, false)
		all, _ := s.ListEventTypes(ctx, app.ID, true)
		if len(active) != 1 || len(all) != 2 || !all[1].Archived() {
			t.Errorf("active %v all %v", active, all)
		}
		if err := s.SetEventTypeArchived(ctx, actor, app.ID, "nope", true); hook.ErrorCode(err) != hook.ENOTFOUND {
			t.Errorf("archive unknown: %v", err)
		}
		// An archived type cannot be picked for a new webhook.
		in := validInput()
		in.Events = []string{"user.created"}
		if _, _, err := s.CreateWebhook(ctx, actor, app.ID, in, policy); hook.ErrorCode(err) != hook.EINVALID {
			t.Errorf("archived type accepted: %v", err)
		}
	})
}

func TestUsersAndSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		res, err := s.AddUser(ctx, "Ann@Example.com", "correct horse", "Acme", hook.RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		if !res.NewApp || !res.NewUser {
			t.Errorf("res = %+v", res)
		}
		// Same user, another app, no password: membership added.
		res2, err := s.AddUser(ctx, "ann@example.com", "", "Beta", hook.RoleSupport)
		if err != nil || res2.NewUser || !res2.NewApp || res2.User.ID != res.User.ID {
			t.Fatalf("res2 = %+v, %v", res2, err)
		}
		if _, err := s.AddUser(ctx, "bob@example.com", "", "Acme", hook.RoleAdmin); hook.ErrorCode(err) != hook.EINVALID {
			t.Errorf("new user without password: %v", err)
		}
		if _, err := s.AddUser(ctx, "bob@example.com", "short", "Acme", hook.RoleAdmin); hook.ErrorCode(err) != hook.EINVALID {
			t.Errorf("short password: %v", err)
		}
		if _, err := s.AddUser(ctx, "bob@example.com", "long enough pw", "Acme", "owner"); hook.ErrorCode(err) != hook.EINVALID {
			t.Errorf("bad role: %v", err)
		}
		ms, err := s.Memberships(ctx, res.User.ID)
		if err != nil || len(ms) != 2 || ms[0].App.Name != "Acme" || ms[0].Role != hook.RoleAdmin || ms[1].Role != hook.RoleSupport {
			t.Errorf("memberships = %+v, %v", ms, err)
		}
		if _, err := s.Authenticate(ctx, "ANN@example.com", "correct horse"); err != nil {
			t.Errorf("good password: %v", err)
		}
		if _, err := s.Authenticate(ctx, "ann@example.com", "wrong"); err != store.ErrBadCredentials {
			t.Errorf("wrong password: %v", err)
		}
		if _, err := s.Authenticate(ctx, "nobody@example.com", "wrong"); err != store.ErrBadCredentials {
			t.Errorf("unknown user: %v", err)
		}
		tok, err := s.CreateSession(ctx, res.User.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if u, err := s.SessionUser(ctx, tok); err != nil || u.ID != res.User.ID {
			t.Errorf("session user = %+v, %v", u, err)
		}
		var stored string
		s.DB().Get(&stored, `SELECT token_hash FROM sessions`)
		if stored == tok {
			t.Error("session token stored in plain")
		}
		if err := s.DeleteSession(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionUser(ctx, tok); hook.ErrorCode(err) != hook.EUNAUTHORIZED {
			t.Errorf("after sign-out: %v", err)
		}
		expired, _ := s.CreateSession(ctx, res.User.ID, -time.Second)
		if _, err := s.SessionUser(ctx, expired); hook.ErrorCode(err) != hook.EUNAUTHORIZED {
			t.Errorf("expired session: %v", err)
		}
	})
}
