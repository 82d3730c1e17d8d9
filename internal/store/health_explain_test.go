package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// The health figures read attempts through the index that starts with the
// webhook (attempts_webhook), never by a full scan of attempts, on a table
// with many attempts of two apps; the 24-hour window is read from the
// index alone (it carries succeeded and duration_ms), not row by row.
func TestWebhookHealthUsesIndexes(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			s := storetest.New(t, dialect, storetest.Options{})
			app := mustApp(t, s, "Acme")
			other := mustApp(t, s, "Other")
			hooks, _ := healthFixture(t, s, app.ID, "a", "b", "c")
			otherHooks, _ := healthFixture(t, s, other.ID, "d", "e", "f")
			var ids []string
			for _, m := range []map[string]string{hooks, otherHooks} {
				for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
					if id, ok := m[n]; ok {
						ids = append(ids, id)
					}
				}
			}
			var delivery string
			if err := s.DB().GetContext(ctx, &delivery, `SELECT id FROM deliveries LIMIT 1`); err != nil {
				t.Fatal(err)
			}
			const n = 30000
			fill := `INSERT INTO attempts (id, delivery_id, webhook_id, trigger_type, succeeded, request_url, request_headers, response_status, duration_ms, error, created_at)
				SELECT gen_random_uuid(), $1, (ARRAY[$2, $3, $4, $5, $6, $7])[1 + i % 6]::uuid, 'automatic', i % 7 <> 0, '', '{}', 200, i % 300, '',
				now() - make_interval(mins => i % 40000) FROM generate_series(1, $8) AS i`
			if dialect == store.SQLite {
				fill = `WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ?8)
				INSERT INTO attempts (id, delivery_id, webhook_id, trigger_type, succeeded, request_url, request_headers, response_status, duration_ms, error, created_at)
				SELECT lower(hex(randomblob(16))), ?1,
				CASE i % 6 WHEN 0 THEN ?2 WHEN 1 THEN ?3 WHEN 2 THEN ?4 WHEN 3 THEN ?5 WHEN 4 THEN ?6 ELSE ?7 END,
				'automatic', i % 7 <> 0, '', '{}', 200, i % 300, '', ?9 - (i % 40000) * 60000000 FROM g`
			}
			args := []any{delivery, ids[0], ids[1], ids[2], ids[3], ids[4], ids[5], n}
			if dialect == store.SQLite {
				args = append(args, time.Now().UnixMicro())
			}
			if _, err := s.DB().ExecContext(ctx, fill, args...); err != nil {
				t.Fatal(err)
			}
			// VACUUM, as autovacuum would: PostgreSQL reads an index alone
			// only for pages its visibility map marks all-visible.
			analyze := `VACUUM ANALYZE`
			if dialect == store.SQLite {
				analyze = `ANALYZE`
			}
			if _, err := s.DB().ExecContext(ctx, analyze); err != nil {
				t.Fatal(err)
			}
			plan, err := s.ExplainWebhookHealth(ctx, app.ID, hooks["a"], time.Now().Add(-24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Join(plan, "\n")
			for _, l := range plan {
				bad := strings.Contains(l, "Seq Scan on attempts")
				if dialect == store.SQLite {
					f := strings.Fields(strings.TrimLeft(l, "|-` "))
					bad = len(f) >= 2 && f[0] == "SCAN" && (f[1] == "c" || f[1] == "s" || f[1] == "z" || f[1] == "x" || f[1] == "y" || f[1] == "la" || f[1] == "attempts") &&
						!strings.Contains(l, "USING INDEX") && !strings.Contains(l, "USING INTEGER PRIMARY KEY")
				}
				if bad {
					t.Errorf("full scan of attempts:\n%s", text)
					break
				}
			}
			covering := "COVERING INDEX attempts_webhook"
			if dialect == store.Postgres {
				covering = "Index Only Scan Backward using attempts_webhook"
			}
			if !strings.Contains(text, covering) {
				t.Errorf("the window's read is not from the index alone (%q):\n%s", covering, text)
			}
			t.Logf("plan:\n%s", text)
			got, err := s.WebhookHealth(ctx, app.ID, time.Now().Add(-24*time.Hour))
			if err != nil || len(got) != 3 {
				t.Fatalf("WebhookHealth = %d rows, %v", len(got), err)
			}
		})
	}
}
