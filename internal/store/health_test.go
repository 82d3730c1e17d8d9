package store_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// healthFixture makes webhooks of app and one delivery each, and returns
// a function that records an attempt of webhook wh at time at.
func healthFixture(t *testing.T, s *store.Store, appID string, names ...string) (map[string]string, func(wh string, at time.Time, ok bool, status, ms int, errText string)) {
	t.Helper()
	hooks := map[string]string{}
	for _, n := range names {
		wh, _, err := s.CreateWebhook(ctx, actor, appID, hook.WebhookInput{Name: n, URL: "https://example.com/" + n, Events: []string{"*"}, Active: true, AuthType: "none"}, policy)
		if err != nil {
			t.Fatal(err)
		}
		hooks[n] = wh.ID
	}
	mustEventType(t, s, appID, "invoice.paid")
	if _, err := s.IngestEvent(ctx, appID, "invoice.paid", []byte(`{}`), ""); err != nil {
		t.Fatal(err)
	}
	deliveryOf := map[string]string{}
	var rows []struct {
		ID        string `db:"id"`
		WebhookID string `db:"webhook_id"`
	}
	if err := s.DB().SelectContext(ctx, &rows, s.DB().Rebind(`SELECT id, webhook_id FROM deliveries WHERE app_id = ?`), appID); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		deliveryOf[r.WebhookID] = r.ID
	}
	add := func(wh string, at time.Time, ok bool, status, ms int, errText string) {
		t.Helper()
		var st any
		if status != 0 {
			st = status
		}
		if _, err := s.DB().ExecContext(ctx, s.DB().Rebind(`INSERT INTO attempts (id, delivery_id, webhook_id, trigger_type, succeeded,
			request_url, request_headers, response_status, duration_ms, error, created_at) VALUES (?, ?, ?, 'automatic', ?, '', '{}', ?, ?, ?, ?)`),
			uuid.NewString(), deliveryOf[wh], wh, ok, st, ms, errText, at.UTC()); err != nil {
			t.Fatal(err)
		}
	}
	return hooks, add
}

// The health figures of every webhook of an app come in one query: the
// 24-hour counts and median, the failures among the 10 latest attempts,
// and the latest attempt — and a webhook without attempts has none.
func TestWebhookHealthFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := mustApp(t, s, "Acme")
		other := mustApp(t, s, "Other")
		hooks, add := healthFixture(t, s, app.ID, "down", "mostly", "quiet", "fresh")
		_, addOther := healthFixture(t, s, other.ID, "elsewhere")
		now := time.Now().UTC().Truncate(time.Second)
		since := now.Add(-24 * time.Hour)
		// down: two old successes (before the window), then 11 failures.
		add(hooks["down"], now.Add(-30*time.Hour), true, 200, 5, "")
		add(hooks["down"], now.Add(-29*time.Hour), true, 200, 5, "")
		for i := range 11 {
			add(hooks["down"], now.Add(-time.Duration(11-i)*time.Minute), false, 0, 2000, "timeout: no answer within 2s")
		}
		// mostly: 19 of 20 succeeded, durations 1..20 ms; the latest is a 503.
		for i := range 20 {
			ok := i != 19
			st := 200
			if !ok {
				st = 503
			}
			add(hooks["mostly"], now.Add(-time.Duration(20-i)*time.Minute), ok, st, i+1, "")
		}
		// quiet: one success two days ago only.
		add(hooks["quiet"], now.Add(-48*time.Hour), true, 204, 7, "")
		addOther(hooksOf(t, s, other.ID)[0], now.Add(-time.Minute), false, 500, 1, "")

		got, err := s.WebhookHealth(ctx, app.ID, since)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 4 {
			t.Fatalf("got %d webhooks, want the app's 4: %+v", len(got), got)
		}
		down := got[hooks["down"]]
		if down.Total != 11 || down.Succeeded != 0 || down.RecentFailed != 10 || down.LatencyP50 != 2000 {
			t.Errorf("down = %+v, want 11 attempts, 0 ok, 10 recent failures, p50 2000", down)
		}
		if !down.LastAt.Equal(now.Add(-time.Minute)) || down.LastSucceeded || down.LastStatus != 0 || !strings.HasPrefix(down.LastError, "timeout") {
			t.Errorf("down's last = %v %v %d %q", down.LastAt, down.LastSucceeded, down.LastStatus, down.LastError)
		}
		mostly := got[hooks["mostly"]]
		if mostly.Total != 20 || mostly.Succeeded != 19 || mostly.RecentFailed != 1 || mostly.LatencyP50 != 10 {
			t.Errorf("mostly = %+v, want 20 attempts, 19 ok, 1 recent failure, p50 10", mostly)
		}
		if mostly.LastSucceeded || mostly.LastStatus != 503 {
			t.Errorf("mostly's last = %v %d, want a failed 503", mostly.LastSucceeded, mostly.LastStatus)
		}
		quiet := got[hooks["quiet"]]
		if quiet.Total != 0 || quiet.LatencyP50 != -1 || quiet.RecentFailed != 0 || !quiet.LastSucceeded || quiet.LastStatus != 204 || quiet.LastAt.IsZero() {
			t.Errorf("quiet = %+v, want no 24 h attempts but a last success 204", quiet)
		}
		fresh := got[hooks["fresh"]]
		if fresh.Total != 0 || !fresh.LastAt.IsZero() || fresh.RecentFailed != 0 {
			t.Errorf("fresh = %+v, want nothing", fresh)
		}
		// One webhook's figures, as its page reads them, are the same.
		for name, id := range hooks {
			one, err := s.WebhookHealthOf(ctx, id, since)
			if err != nil || !reflect.DeepEqual(one, got[id]) {
				t.Errorf("%s alone = %+v, %v; with the app's = %+v", name, one, err, got[id])
			}
		}
	})
}

func hooksOf(t *testing.T, s *store.Store, appID string) []string {
	t.Helper()
	list, err := s.ListWebhooks(ctx, appID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, wh := range list {
		ids = append(ids, wh.ID)
	}
	return ids
}
