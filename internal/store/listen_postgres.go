package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// notifiesOtherProcesses: ingestion sends NOTIFY on notifyChannel.
func (d *postgresDialect) notifiesOtherProcesses() bool { return true }

// notify sends the notice that listen waits for, with from as its payload,
// on the channel of the store's schema.
func (d *postgresDialect) notify(ctx context.Context, db *sqlx.DB, from string) error {
	channel, err := d.channel(ctx, db)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, from)
	return err
}

// channel is the NOTIFY channel of the schema the store's tables are in
// (the first of its search_path that exists), looked up once. Channels
// belong to a database, not a schema: deployments that share a database,
// each in its own schema, would otherwise wake each other's senders for
// deliveries they cannot see (a claim that finds nothing, two hundred
// times a second under load; BENCHMARKS.md, "Thirteenth pass").
func (d *postgresDialect) channel(ctx context.Context, db *sqlx.DB) (string, error) {
	d.channelMu.Lock()
	defer d.channelMu.Unlock()
	if d.channelName == "" {
		var schema sql.NullString
		if err := db.GetContext(ctx, &schema, `SELECT current_schema()`); err != nil {
			return "", err
		}
		d.channelName = schemaChannel(schema.String)
	}
	return d.channelName, nil
}

// schemaChannel is the channel of a schema: notifyChannel for public (as
// before schemas had their own), else notifyChannel and a hash of the
// schema's name, within PostgreSQL's 63 bytes however long the name.
func schemaChannel(schema string) string {
	if schema == "public" {
		return notifyChannel
	}
	sum := sha256.Sum256([]byte(schema))
	return notifyChannel + "_" + hex.EncodeToString(sum[:8])
}

// listen calls wake with each notification's payload (who sent it) on the
// channel of the store's schema until ctx ends.
func (d *postgresDialect) listen(ctx context.Context, db *sqlx.DB, wake func(from string), onError func(error)) {
	// The channel needs the database: while it cannot be reached, try
	// again, waiting longer each time, up to the listener's own 10 s.
	var channel string
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 10*time.Second) {
		var err error
		if channel, err = d.channel(ctx, db); err == nil {
			break
		}
		if onError != nil {
			onError(redactErr(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
	l := pq.NewListener(d.driverDSN, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil && onError != nil {
			onError(redactErr(err))
		}
	})
	defer l.Close()
	if err := l.Listen(channel); err != nil && onError != nil {
		onError(redactErr(err))
	}
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-l.Notify:
			if n != nil { // nil after the connection was re-established
				wake(n.Extra)
			} else {
				wake("")
			}
		case <-time.After(90 * time.Second):
			go l.Ping()
		}
	}
}
