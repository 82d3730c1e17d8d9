package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// The event log's queries use an index that starts with the app or the
// webhook, on a table with many deliveries: no full scan of deliveries.
func TestListDeliveriesUsesIndexes(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.New(t, dialect, storetest.Options{})
			app, _ := s.CreateApp(ctx, "Acme")
			other, _ := s.CreateApp(ctx, "Other")
			var hooks []string
			for _, a := range []string{app.ID, other.ID} {
				for _, n := range []string{"a", "b", "c"} {
					wh, _, err := s.CreateWebhook(ctx, hook.Actor{}, a, hook.WebhookInput{Name: n, URL: "https://example.com/" + n, Events: []string{"*"}, Active: true, AuthType: "none"}, hook.TargetPolicy{})
					if err != nil {
						t.Fatal(err)
					}
					hooks = append(hooks, wh.ID)
				}
			}
			s.CreateEventType(ctx, hook.Actor{}, app.ID, hook.EventTypeInput{Name: "invoice.paid"})
			res, err := s.IngestEvent(ctx, app.ID, "invoice.paid", []byte(`{}`), "")
			if err != nil {
				t.Fatal(err)
			}
			const n = 30000
			fill := `INSERT INTO deliveries (id, app_id, webhook_id, event_id, event_type, status, attempts, created_at, updated_at)
				SELECT gen_random_uuid(), (ARRAY[$1, $2])[1 + i % 2]::uuid, (ARRAY[$3, $4, $5, $6, $7, $8])[1 + i % 6]::uuid, $9,
				(ARRAY['invoice.paid', 'user.created', 'order.shipped'])[1 + i % 3], (ARRAY['succeeded', 'failed', 'retrying', 'pending'])[1 + i % 4],
				1, now(), now() FROM generate_series(1, $10) AS i`
			if dialect == store.SQLite {
				fill = `WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ?10)
				INSERT INTO deliveries (id, app_id, webhook_id, event_id, event_type, status, attempts, created_at, updated_at)
				SELECT lower(hex(randomblob(16))), CASE i % 2 WHEN 0 THEN ?1 ELSE ?2 END,
				CASE i % 6 WHEN 0 THEN ?3 WHEN 1 THEN ?4 WHEN 2 THEN ?5 WHEN 3 THEN ?6 WHEN 4 THEN ?7 ELSE ?8 END, ?9,
				CASE i % 3 WHEN 0 THEN 'invoice.paid' WHEN 1 THEN 'user.created' ELSE 'order.shipped' END,
				CASE i % 4 WHEN 0 THEN 'succeeded' WHEN 1 THEN 'failed' WHEN 2 THEN 'retrying' ELSE 'pending' END,
				1, 0, 0 FROM g`
			}
			if _, err := s.DB().ExecContext(ctx, fill, app.ID, other.ID, hooks[0], hooks[1], hooks[2], hooks[3], hooks[4], hooks[5], res.Event.ID, n); err != nil {
				t.Fatal(err)
			}
			// Each delivery with an attempt, so the planner weighs a
			// lookup of the latest one against a table of some size.
			attempts := `INSERT INTO attempts (id, delivery_id, webhook_id, trigger_type, succeeded, request_url, request_headers, response_status, duration_ms, created_at)
				SELECT gen_random_uuid(), id, webhook_id, 'automatic', status = 'succeeded', 'https://example.com/', '{}', 200, 5, now() FROM deliveries`
			if dialect == store.SQLite {
				attempts = `INSERT INTO attempts (id, delivery_id, webhook_id, trigger_type, succeeded, request_url, request_headers, response_status, duration_ms, created_at)
				SELECT lower(hex(randomblob(16))), id, webhook_id, 'automatic', status = 'succeeded', 'https://example.com/', '{}', 200, 5, 0 FROM deliveries`
			}
			if _, err := s.DB().ExecContext(ctx, attempts); err != nil {
				t.Fatal(err)
			}
			if _, err := s.DB().ExecContext(ctx, `ANALYZE`); err != nil {
				t.Fatal(err)
			}
			cursor := "01a20000-0000-7000-8000-000000000000"
			for name, f := range map[string]store.DeliveryFilter{
				"all":              {},
				"status":           {Status: "failed"},
				"event type":       {EventType: "user.created"},
				"webhook":          {WebhookID: hooks[0]},
				"webhook+status":   {WebhookID: hooks[0], Status: "retrying"},
				"dates":            {From: time.Now().Add(-48 * time.Hour), To: time.Now()},
				"cursor":           {Cursor: cursor},
				"status+type+page": {Status: "failed", EventType: "invoice.paid", Cursor: cursor},
				"event":            {EventID: res.Event.ID},
				"delivery":         {DeliveryID: cursor},
			} {
				plan, err := s.ExplainListDeliveries(ctx, app.ID, f)
				if err != nil {
					t.Fatal(err)
				}
				text := strings.Join(plan, "\n")
				bad := false
				if dialect == store.Postgres {
					bad = strings.Contains(text, "Seq Scan on deliveries")
				} else {
					for _, l := range plan {
						if strings.HasPrefix(l, "SCAN d") && !strings.Contains(l, "USING INTEGER PRIMARY KEY") {
							bad = true
						}
					}
					bad = bad || !strings.Contains(text, "SEARCH d USING")
				}
				if bad {
					t.Errorf("%s: the plan scans deliveries:\n%s", name, text)
				}
				// The latest attempt of each row of the page: by the
				// attempts_delivery index, never a scan of attempts.
				if dialect == store.Postgres {
					bad = strings.Contains(text, "Seq Scan on attempts") || !strings.Contains(text, "attempts_delivery")
				} else {
					bad = strings.Contains(text, "SCAN la") || !strings.Contains(text, "INDEX attempts_delivery (delivery_id=?)")
				}
				if bad {
					t.Errorf("%s: the latest attempt is not looked up by attempts_delivery:\n%s", name, text)
				}
			}
		})
	}
}
