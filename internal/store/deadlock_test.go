package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// Deleting a webhook locks its deliveries, then its other rows; a
// transaction that holds one of those rows and then wants one of the
// deliveries (as a recorder's batch may) deadlocks with it. PostgreSQL
// fails the deletion, which had waited first; the store runs it again
// once the other has committed, so the user sees the webhook deleted, not
// "deadlock detected". (SQLite takes one writer at a time: no deadlock.)
func TestDeleteWebhookRetriedAfterDeadlock(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		if dialect != store.Postgres {
			continue
		}
		t.Run(dialect, func(t *testing.T) {
			s := storetest.New(t, dialect, storetest.Options{})
			app := appWithCatchAll(t, s)
			second := secondWebhook(t, s, app.ID, "*")
			ingestN(t, s, app.ID, 5)
			var delivery string
			if err := s.DB().GetContext(ctx, &delivery, `SELECT id FROM deliveries WHERE webhook_id = $1 LIMIT 1`, second.ID); err != nil {
				t.Fatal(err)
			}

			other, err := s.DB().BeginTxx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer other.Rollback()
			var pid int
			other.GetContext(ctx, &pid, `SELECT pg_backend_pid()`)
			if _, err := other.ExecContext(ctx, `SELECT 1 FROM signing_secrets WHERE webhook_id = $1 FOR UPDATE`, second.ID); err != nil {
				t.Fatal(err)
			}
			deleted := make(chan error, 1)
			go func() { deleted <- s.DeleteWebhook(ctx, actor, app.ID, second.ID) }()
			// The deletion has its deliveries and waits for the secret.
			deadline := time.Now().Add(10 * time.Second)
			for {
				var waiting int
				s.DB().GetContext(ctx, &waiting, `SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid))`, pid)
				if waiting > 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the deletion never waited for the locked secret")
				}
				time.Sleep(10 * time.Millisecond)
			}
			// Now the other wants one of the deliveries: a deadlock, which
			// PostgreSQL breaks by failing the deletion.
			if _, err := other.ExecContext(ctx, `UPDATE deliveries SET attempts = attempts WHERE id = $1`, delivery); err != nil {
				t.Fatalf("the other transaction: %v", err)
			}
			if err := other.Commit(); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-deleted:
				if err != nil {
					t.Fatalf("delete webhook: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the deletion did not finish")
			}
			if n := store.TxRetries(s); n != 1 {
				t.Errorf("%d transactions ran again, want the deletion once", n)
			}
			var left int
			s.DB().GetContext(ctx, &left, `SELECT (SELECT COUNT(*) FROM webhooks WHERE id = $1) + (SELECT COUNT(*) FROM deliveries WHERE webhook_id = $1)`, second.ID)
			if left != 0 {
				t.Errorf("%d rows of the deleted webhook left", left)
			}
		})
	}
}

// A transaction PostgreSQL keeps failing with a deadlock runs three times
// in all, then its error is returned; any other error at once.
func TestInTxRetryingGivesUp(t *testing.T) {
	s := storetest.New(t, store.SQLite, storetest.Options{})
	for _, c := range []struct {
		err  error
		runs int
	}{
		{&pq.Error{Code: "40P01"}, 3},
		{&pq.Error{Code: "40001"}, 3},
		{&pq.Error{Code: "23505"}, 1},
		{errors.New("other"), 1},
		{nil, 1},
	} {
		runs := 0
		err := store.InTxRetrying(ctx, s, func(*sqlx.Tx) error { runs++; return c.err })
		if runs != c.runs || !errors.Is(err, c.err) {
			t.Errorf("%v: ran %d times and returned %v; want %d and the error", c.err, runs, err, c.runs)
		}
	}
}
