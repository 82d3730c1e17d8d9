package store_test

import (
	"strings"
	"testing"

	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// Retention finds old events on the primary key (their ids are UUIDv7s of
// the store's clock), without a sort: so events keep no index over
// created_at, and each ingested event writes one index entry fewer
// (migrations postgres/0022, sqlite/0014).
func TestRetentionFindsOldEventsByID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		indexes := `SELECT indexname FROM pg_indexes WHERE tablename = 'events' AND schemaname = current_schema()`
		if s.Dialect() == store.SQLite {
			indexes = `SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'`
		}
		var names []string
		if err := s.DB().SelectContext(ctx, &names, indexes); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if strings.Contains(n, "created") {
				t.Errorf("events keep the index %s; retention does not use it", n)
			}
		}
		// On PostgreSQL an empty table's plan says little: with sequential
		// scans and sorts turned off, one is still chosen only when no
		// index serves the query.
		tx, err := s.DB().BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if s.Dialect() == store.Postgres {
			if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off`); err != nil {
				t.Fatal(err)
			}
		}
		plan, err := store.ExplainRetention(ctx, s, tx)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(plan, "\n")
		for _, bad := range []string{"Sort", "Seq Scan", "TEMP B-TREE", "SCAN events"} {
			if strings.Contains(text, bad) {
				t.Errorf("retention's query plan has %q:\n%s", bad, text)
			}
		}
		if !strings.Contains(text, "events_pkey") && !strings.Contains(text, "autoindex_events") {
			t.Errorf("retention's query does not search the primary key:\n%s", text)
		}
	})
}
