package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// notifiesOtherProcesses: ingestion sends NOTIFY on notifyChannel.
func (d *postgresDialect) notifiesOtherProcesses() bool { return true }

// notify sends the notice that listen waits for.
func (d *postgresDialect) notify(ctx context.Context, db *sqlx.DB) error {
	_, err := db.ExecContext(ctx, `SELECT pg_notify('`+notifyChannel+`', '')`)
	return err
}

// listen calls wake for each notification on notifyChannel until ctx ends.
func (d *postgresDialect) listen(ctx context.Context, wake func(), onError func(error)) {
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
		case <-l.Notify:
			wake()
		case <-time.After(90 * time.Second):
			go l.Ping()
		}
	}
}
