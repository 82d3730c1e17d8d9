package demo

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

func byName(t *testing.T, st *store.Store, appID string) map[string]hook.Webhook {
	t.Helper()
	whs, err := st.ListWebhooks(context.Background(), appID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]hook.Webhook{}
	for _, wh := range whs {
		out[wh.Name] = wh
	}
	return out
}

// The demo starts with a day of history: succeeded, failed (for good) and
// retrying deliveries, and one webhook Hookboard turned off. A restart
// re-points only the webhooks still on a demo receiver and keeps every
// edit, deletion and addition of the user — and adds no second history.
func TestDemoHistoryAndRestartKeepsEdits(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.New(t, dialect, storetest.Options{})
			if _, err := st.AddUser(ctx, "admin@example.com", "long enough pw", "Default", hook.RoleAdmin); err != nil {
				t.Fatal(err)
			}
			app, err := Setup(ctx, st, "admin@example.com", "http://127.0.0.1:1111")
			if err != nil {
				t.Fatal(err)
			}
			counts, err := st.StatusCounts(ctx, app.ID, time.Now().Add(-25*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{hook.StatusSucceeded, hook.StatusFailed, hook.StatusRetrying} {
				if counts[s] == 0 {
					t.Errorf("no %s deliveries in the history: %v", s, counts)
				}
			}
			hooks := byName(t, st, app.ID)
			if l := hooks[legacy.name]; l.Active || !strings.Contains(l.DisabledReason, "5 days") {
				t.Errorf("Legacy CRM: active %v, reason %q; want turned off by Hookboard", l.Active, l.DisabledReason)
			}
			health, _ := st.WebhookHealth(ctx, app.ID, time.Now().Add(-24*time.Hour))
			if f := health[hooks["Billing system"].ID]; f.Total == 0 || f.Succeeded != f.Total {
				t.Errorf("Billing system's history: %+v", f)
			}
			before := counts[hook.StatusSucceeded] + counts[hook.StatusFailed] + counts[hook.StatusRetrying]

			// The user's edits.
			actor := hook.Actor{Label: "user"}
			billing := hooks["Billing system"]
			if _, err := st.UpdateWebhook(ctx, actor, app.ID, billing.ID, hook.WebhookInput{Name: "Billing (mine)", URL: billing.URL,
				Description: "edited", Events: []string{"invoice.paid"}, Active: true, AuthType: hook.AuthBasic, AuthUsername: "me"}, policy); err != nil {
				t.Fatal(err)
			}
			crm := hooks["CRM sync"]
			if _, err := st.UpdateWebhook(ctx, actor, app.ID, crm.ID, hook.WebhookInput{Name: crm.Name, URL: crm.URL, Events: crm.Events,
				Active: false, AuthType: crm.AuthType, AuthHeader: crm.AuthHeader}, policy); err != nil {
				t.Fatal(err)
			}
			if err := st.DeleteWebhook(ctx, actor, app.ID, hooks["Old endpoint"].ID); err != nil {
				t.Fatal(err)
			}
			wh := hooks["Data warehouse"]
			if _, err := st.UpdateWebhook(ctx, actor, app.ID, wh.ID, hook.WebhookInput{Name: wh.Name, URL: "https://warehouse.example.org/in",
				Events: wh.Events, Active: true, AuthType: hook.AuthNone}, policy); err != nil {
				t.Fatal(err)
			}

			if _, err := Setup(ctx, st, "admin@example.com", "http://127.0.0.1:2222"); err != nil {
				t.Fatal(err)
			}
			after := byName(t, st, app.ID)
			if len(after) != len(endpoints) { // one deleted, Legacy CRM kept
				t.Errorf("%d webhooks after restart: %v", len(after), slices.Collect(func(yield func(string) bool) {
					for n := range after {
						yield(n)
					}
				}))
			}
			if _, ok := after["Old endpoint"]; ok {
				t.Error("a deleted demo webhook came back")
			}
			b := after["Billing (mine)"]
			if b.URL != "http://127.0.0.1:2222/ok" || b.Description != "edited" || !slices.Equal(b.Events, []string{"invoice.paid"}) || b.AuthUsername != "me" {
				t.Errorf("edited webhook after restart: %+v", b)
			}
			if c := after["CRM sync"]; c.Active || c.URL != "http://127.0.0.1:2222/flaky" {
				t.Errorf("turned-off webhook after restart: active %v at %s", c.Active, c.URL)
			}
			if w := after["Data warehouse"]; w.URL != "https://warehouse.example.org/in" {
				t.Errorf("a URL the user set was changed to %s", w.URL)
			}
			if l := after[legacy.name]; l.Active || l.URL != legacy.url {
				t.Errorf("Legacy CRM after restart: %+v", l)
			}
			counts, _ = st.StatusCounts(ctx, app.ID, time.Now().Add(-25*time.Hour))
			if n := counts[hook.StatusSucceeded] + counts[hook.StatusFailed] + counts[hook.StatusRetrying]; n > before {
				t.Errorf("restart added history: %d deliveries, had %d", n, before)
			}
		})
	}
}

// In demo mode the sender's line per attempt to a demo webhook becomes a
// count; other apps' attempts and resends keep their lines.
func TestQuietLog(t *testing.T) {
	var buf bytes.Buffer
	q := NewQuietLog(slog.NewTextHandler(&buf, nil))
	log := slog.New(q).With("component", "sender")
	q.Watch([]string{"demo-1"})
	log.Info("attempt", "delivery", "d1", "webhook", "demo-1", "succeeded", true)
	log.Info("attempt", "delivery", "d2", "webhook", "demo-1", "succeeded", false)
	log.Info("attempt", "delivery", "d3", "webhook", "real-1", "succeeded", true)
	log.Info("attempt", "delivery", "d4", "webhook", "demo-1", "trigger", "manual", "succeeded", true)
	log.Info("attempt", "delivery", "d5", "webhook", "demo-1", "trigger", "recovery", "succeeded", true)
	log.Info("hookboard listening")
	out := buf.String()
	if strings.Contains(out, "d1") || strings.Contains(out, "d2") || strings.Contains(out, "d5") {
		t.Errorf("demo attempts logged:\n%s", out)
	}
	for _, want := range []string{"d3", "d4", "hookboard listening"} {
		if !strings.Contains(out, want) {
			t.Errorf("%s missing:\n%s", want, out)
		}
	}
	if ok, failed := q.Summary(); ok != 2 || failed != 1 {
		t.Errorf("summary %d ok, %d failed", ok, failed)
	}
	if ok, failed := q.Summary(); ok+failed != 0 {
		t.Error("summary not reset")
	}
}
