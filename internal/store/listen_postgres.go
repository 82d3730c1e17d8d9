package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// notifiesOtherProcesses: ingestion sends NOTIFY on notifyChannel.
func (d *postgresDialect) notifiesOtherProcesses() bool { return true }

// notify sends the notice that listen waits for, with from as its payload.
func (d *postgresDialect) notify(ctx context.Context, db *sqlx.DB, from string) error {
	_, err := db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, from)
	return err
}

// listen calls wake with each notification's payload (who sent it) on
// notifyChannel until ctx ends.
func (d *postgresDialect) listen(ctx context.Context, wake func(from string), onError func(error)) {
	l := pq.NewListener(d.driverDSN, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		if err != nil && onError != nil {
			onError(redactErr(err))
		}
	})
	defer l.Close()
	if err := l.Listen(notifyChannel); err != nil && onError != nil {
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
