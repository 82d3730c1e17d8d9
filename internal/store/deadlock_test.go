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
//
// PostgreSQL looks for the deadlock once, when a wait has lasted
// deadlock_timeout (1 s): if the test is slower than that between the
// deletion's wait and the other's (a busy CI machine), the deletion has
// looked already, and the other is failed instead. That try shows
// nothing about the retry, so the scenario runs again, up to five times.
func TestDeleteWebhookRetriedAfterDeadlock(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		if dialect != store.Postgres {
			continue
		}
		t.Run(dialect, func(t *testing.T) {
			s := storetest.New(t, dialect, storetest.Options{})
			app := appWithCatchAll(t, s)
			for try := 1; ; try++ {
				if deletionFailedFirst(t, s, app.ID) {
					return
				}
				if try == 5 {
					t.Fatal("in five tries PostgreSQL never failed the deletion: the retry was not tested")
				}
				t.Logf("try %d: PostgreSQL failed the other transaction, not the deletion; again", try)
			}
		})
	}
}

// deletionFailedFirst deletes a new webhook while another transaction
// deadlocks with it, and checks that the deletion succeeded, ran twice
// and left nothing. It returns false when PostgreSQL broke the deadlock
// by failing the other transaction instead (the deletion ran once).
func deletionFailedFirst(t *testing.T, s *store.Store, appID string) bool {
	t.Helper()
	second := secondWebhook(t, s, appID, "*")
	ingestN(t, s, appID, 5)
	var delivery string
	if err := s.DB().GetContext(ctx, &delivery, `SELECT id FROM deliveries WHERE webhook_id = $1 LIMIT 1`, second.ID); err != nil {
		t.Fatal(err)
	}
	retriesBefore := store.TxRetries(s)

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
	go func() { deleted <- s.DeleteWebhook(ctx, actor, appID, second.ID) }()
	awaitDeletion := func() {
		t.Helper()
		select {
		case err := <-deleted:
			if err != nil {
				t.Fatalf("delete webhook: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the deletion did not finish")
		}
	}
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
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || pqErr.Code != "40P01" {
			t.Fatalf("the other transaction: %v", err)
		}
		other.Rollback()
		awaitDeletion()
		if n := store.TxRetries(s) - retriesBefore; n != 0 {
			t.Errorf("the deletion ran again %d times, though it was not failed", n)
		}
		return false
	}
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	awaitDeletion()
	if n := store.TxRetries(s) - retriesBefore; n != 1 {
		t.Errorf("%d transactions ran again, want the deletion once", n)
	}
	var left int
	s.DB().GetContext(ctx, &left, `SELECT (SELECT COUNT(*) FROM webhooks WHERE id = $1) + (SELECT COUNT(*) FROM deliveries WHERE webhook_id = $1)`, second.ID)
	if left != 0 {
		t.Errorf("%d rows of the deleted webhook left", left)
	}
	return true
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
