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
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hookboard/hookboard/internal/store"
)

var (
	seedTypes    = []string{"invoice.paid", "user.created", "order.shipped", "subscription.canceled"}
	seedStatuses = []string{"succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "succeeded", "failed", "retrying", "retrying"}
)

// seed stores n deliveries (n/5 events, each to the 5 webhooks), fast: COPY
// on PostgreSQL, large prepared-insert transactions on SQLite. It returns
// the id of a delivery in the middle, with three attempts.
func seed(ctx context.Context, st *store.Store, appID string, hooks []string, n int) (string, error) {
	events := n / len(hooks)
	b := &seeder{st: st, appID: appID, hooks: hooks, rng: rand.New(rand.NewPCG(1, 2)),
		start:   time.Now().Add(-time.Duration(events) * 10 * time.Millisecond).UTC(),
		payload: []byte(`{"invoiceId":"inv_0001","amount":4200,"currency":"EUR"}`)}
	var sample string
	const batch = 20000
	for lo := 0; lo < events; lo += batch / len(hooks) {
		hi := min(events, lo+batch/len(hooks))
		rows, err := b.batch(ctx, lo, hi)
		if err != nil {
			return "", err
		}
		if lo <= events/2 && events/2 < hi {
			sample = rows[len(rows)/2].id
		}
	}
	return sample, seedAttempts(ctx, st.DB(), sample)
}

// seeder writes the seeded events and deliveries, a batch at a time.
type seeder struct {
	st      *store.Store
	appID   string
	hooks   []string
	rng     *rand.Rand
	start   time.Time
	payload []byte
}

type seedDelivery struct {
	id, hook, event, typ, status string
	at                           time.Time
}

// batch writes events lo to hi and their deliveries in one transaction.
func (b *seeder) batch(ctx context.Context, lo, hi int) ([]seedDelivery, error) {
	tx, err := b.st.DB().BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := b.events(tx, lo, hi)
	if err != nil {
		return nil, err
	}
	if err := b.deliveries(tx, rows); err != nil {
		return nil, err
	}
	return rows, tx.Commit()
}

// events writes events lo to hi and returns their deliveries, not yet
// written.
func (b *seeder) events(tx *sql.Tx, lo, hi int) ([]seedDelivery, error) {
	var evStmt *sql.Stmt
	var err error
	if b.st.Dialect() == store.Postgres {
		evStmt, err = tx.Prepare(pq.CopyIn("events", "id", "app_id", "event_type", "payload", "created_at"))
	} else {
		evStmt, err = tx.Prepare(`INSERT INTO events (id, app_id, event_type, payload, created_at) VALUES (?, ?, ?, ?, ?)`)
	}
	if err != nil {
		return nil, err
	}
	defer evStmt.Close()
	var rows []seedDelivery
	for i := lo; i < hi; i++ {
		at := b.start.Add(time.Duration(i) * 10 * time.Millisecond)
		id := uuid.Must(uuid.NewV7()).String()
		typ := seedTypes[i%len(seedTypes)]
		if _, err := evStmt.Exec(id, b.appID, typ, b.payload, at); err != nil {
			return nil, err
		}
		for _, h := range b.hooks {
			// Status independent of type and webhook, as in real traffic.
			rows = append(rows, seedDelivery{uuid.Must(uuid.NewV7()).String(), h, id, typ, seedStatuses[b.rng.IntN(len(seedStatuses))], at})
		}
	}
	if b.st.Dialect() == store.Postgres {
		if _, err := evStmt.Exec(); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// deliveries writes rows.
func (b *seeder) deliveries(tx *sql.Tx, rows []seedDelivery) error {
	var dStmt *sql.Stmt
	var err error
	if b.st.Dialect() == store.Postgres {
		dStmt, err = tx.Prepare(pq.CopyIn("deliveries", "id", "app_id", "webhook_id", "event_id", "event_type", "status", "attempts", "next_attempt_at", "created_at", "updated_at"))
	} else {
		dStmt, err = tx.Prepare(`INSERT INTO deliveries (id, app_id, webhook_id, event_id, event_type, status, attempts, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	}
	if err != nil {
		return err
	}
	defer dStmt.Close()
	for _, r := range rows {
		var next any
		if r.status == "retrying" {
			next = r.at.Add(30 * 24 * time.Hour) // not due during the run
		}
		if _, err := dStmt.Exec(r.id, b.appID, r.hook, r.event, r.typ, r.status, 1, next, r.at, r.at); err != nil {
			return err
		}
	}
	if b.st.Dialect() == store.Postgres {
		if _, err := dStmt.Exec(); err != nil {
			return err
		}
	}
	return nil
}

// seedAttempts gives the sample delivery three failed attempts, and
// refreshes the planner's statistics.
func seedAttempts(ctx context.Context, db *sqlx.DB, sample string) error {
	for i := range 3 {
		if _, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO attempts (id, delivery_id, webhook_id, trigger_type, succeeded, request_url, request_headers, response_status, response_headers, response_body, response_truncated, duration_ms, error, created_at)
			SELECT ?, id, webhook_id, 'automatic', ?, 'https://example.com/h', '{"Content-Type":["application/json"]}', 500, '{}', ?, ?, 12, '', created_at FROM deliveries WHERE id = ?`),
			uuid.Must(uuid.NewV7()).String(), false, []byte("internal error"), false, sample); err != nil {
			return fmt.Errorf("seed attempt %d: %w", i, err)
		}
	}
	_, err := db.ExecContext(ctx, `ANALYZE`)
	return err
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
