package main

import (
	"context"
	crand "crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/hookboard/hookboard/internal/store"
)

var (
	seedTypes    = []string{"invoice.paid", "user.created", "order.shipped", "subscription.canceled"}
	seedStatuses = []string{"succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "failed", "retrying", "retrying"}
)

// seed stores n deliveries (n/5 events, each to the 5 webhooks), fast: bulk
// inserts (COPY on PostgreSQL) in large transactions. It returns
// the id of a delivery in the middle, with four attempts. Every delivery
// has an attempt, and the sample's event the Idempotency-Key "bench-key".
func seed(ctx context.Context, st *store.Store, appID string, hooks []string, n int) (string, error) {
	db := st.DB()
	events := n / len(hooks)
	start := time.Now().Add(-time.Duration(events) * 10 * time.Millisecond).UTC()
	payload := []byte(`{"invoiceId":"inv_0001","amount":4200,"currency":"EUR"}`)
	var sample string
	rng := rand.New(rand.NewPCG(1, 2))
	const batch = 20000
	for lo := 0; lo < events; lo += batch / len(hooks) {
		hi := min(events, lo+batch/len(hooks))
		rows, err := seedBatch(ctx, st, appID, hooks, lo, hi, start, payload, rng)
		if err != nil {
			return "", err
		}
		if lo <= events/2 && events/2 < hi {
			sample = rows[len(rows)/2].id
		}
	}
	for i := range 3 {
		if _, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO attempts (id, delivery_id, webhook_id, trigger_type, succeeded, request_url, request_headers, response_status, response_headers, response_body, response_truncated, duration_ms, error, created_at)
			SELECT ?, id, webhook_id, 'automatic', ?, 'https://example.com/h', '{"Content-Type":["application/json"]}', 500, '{}', ?, ?, 12, '', created_at FROM deliveries WHERE id = ?`),
			uuid.Must(uuid.NewV7()).String(), false, []byte("internal error"), false, sample); err != nil {
			return "", fmt.Errorf("seed attempt %d: %w", i, err)
		}
	}
	if _, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO idempotency_keys (app_id, idem_key, event_id, created_at, request_hash)
		SELECT app_id, 'bench-key', event_id, created_at, '' FROM deliveries WHERE id = ?`), sample); err != nil {
		return "", fmt.Errorf("seed idempotency key: %w", err)
	}
	// As a running Hookboard would have counted them while recording.
	if err := st.RecountAttemptMinutes(ctx, start); err != nil {
		return "", fmt.Errorf("seed attempt counts: %w", err)
	}
	// History is old: a server would have vacuumed it by now (this
	// machine's PostgreSQL runs with autovacuum off), which sets the
	// visibility map index-only scans need.
	analyze := `ANALYZE`
	if st.Dialect() == store.Postgres {
		analyze = `VACUUM ANALYZE`
	}
	if _, err := db.ExecContext(ctx, analyze); err != nil {
		return "", err
	}
	return sample, nil
}

// seedBatch stores the events lo..hi-1, each to every webhook, with their
// deliveries and attempts, in one transaction.
func seedBatch(ctx context.Context, st *store.Store, appID string, hooks []string, lo, hi int, start time.Time, payload []byte, rng *rand.Rand) ([]drow, error) {
	tx, err := st.DB().BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() // after Commit, a no-op
	evs, err := st.BulkInsert(tx, "events", "id", "app_id", "event_type", "payload", "created_at")
	if err != nil {
		return nil, err
	}
	var rows []drow
	for i := lo; i < hi; i++ {
		at := start.Add(time.Duration(i) * 10 * time.Millisecond)
		id := uuid.Must(uuid.NewV7()).String()
		typ := seedTypes[i%len(seedTypes)]
		if err := evs.Add(id, appID, typ, payload, at); err != nil {
			return nil, err
		}
		for _, h := range hooks {
			// Status independent of type and webhook, as in real traffic.
			rows = append(rows, drow{uuid.Must(uuid.NewV7()).String(), h, id, typ, seedStatuses[rng.IntN(len(seedStatuses))], at})
		}
	}
	if err := evs.Close(); err != nil {
		return nil, err
	}
	ds, err := st.BulkInsert(tx, "deliveries", "id", "app_id", "webhook_id", "event_id", "event_type", "status", "attempts", "next_attempt_at", "created_at", "updated_at")
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		var next any
		if r.status == "retrying" {
			next = r.at.Add(30 * 24 * time.Hour) // not due during the run
		}
		if err := ds.Add(r.id, appID, r.hook, r.event, r.typ, r.status, 1, next, r.at, r.at); err != nil {
			return nil, err
		}
	}
	if err := ds.Close(); err != nil {
		return nil, err
	}
	if err := seedAttempts(st, tx, rows, rng); err != nil {
		return nil, err
	}
	return rows, tx.Commit()
}

type drow struct {
	id, hook, event, typ, status string
	at                           time.Time
}

// seedAttempts gives every delivery the attempt its status implies, as the
// event log reads the latest attempt of each row it shows: 200 for a
// success, a 500 or a timeout for a failure.
func seedAttempts(st *store.Store, tx *sql.Tx, rows []drow, rng *rand.Rand) error {
	as, err := st.BulkInsert(tx, "attempts", "id", "delivery_id", "webhook_id", "trigger_type", "succeeded", "request_url", "request_headers",
		"response_status", "response_headers", "response_body", "response_truncated", "duration_ms", "error", "created_at")
	if err != nil {
		return err
	}
	for _, r := range rows {
		ok := r.status == "succeeded"
		var status any = 200
		errText := ""
		body := []byte(`{"ok":true}`)
		switch {
		case ok:
		case rng.IntN(2) == 0:
			status, body = 500, []byte("internal error")
		default:
			status, body, errText = nil, nil, "timeout: no answer within 2s"
		}
		if err := as.Add(uuid.Must(uuid.NewV7()).String(), r.id, r.hook, "automatic", ok, "https://example.com/h", `{"Content-Type":["application/json"]}`,
			status, "{}", body, false, rng.IntN(300), errText, r.at); err != nil {
			return err
		}
	}
	return as.Close()
}

// postgresSchema makes a schema in the database of dsn for one run.
func postgresSchema(ctx context.Context, dsn string) (string, func(), error) {
	admin, err := sql.Open("postgres", dsn)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	crand.Read(b)
	schema := "hookbench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("create schema (is -dsn right?): %w", err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		admin.ExecContext(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
		admin.Close()
	}, nil
}
