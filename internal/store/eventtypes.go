package store

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
)

const eventTypeColumns = `app_id, name, description, example, archived_at, created_at`

// CreateEventType adds a type to the app's catalog.
func (s *Store) CreateEventType(ctx context.Context, actor hook.Actor, appID string, in hook.EventTypeInput) (hook.EventType, error) {
	in.Normalize()
	if err := in.Validate().Err(); err != nil {
		return hook.EventType{}, err
	}
	et := hook.EventType{AppID: appID, Name: in.Name, Description: in.Description, Example: in.Example, CreatedAt: s.now()}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.NamedExecContext(ctx, `INSERT INTO event_types (`+eventTypeColumns+`)
			VALUES (:app_id, :name, :description, :example, :archived_at, :created_at)`, et)
		if isUniqueViolation(err) {
			return hook.FieldErrors{{Field: "name", Message: "This event type is already in the catalog."}}
		}
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, appID, actor, "event_type.create", "event_type", et.Name, "")
	})
	return et, err
}

// ListEventTypes returns the catalog by name, archived ones last when asked for.
func (s *Store) ListEventTypes(ctx context.Context, appID string, includeArchived bool) ([]hook.EventType, error) {
	q := `SELECT ` + eventTypeColumns + ` FROM event_types WHERE app_id = ?`
	if !includeArchived {
		q += ` AND archived_at IS NULL`
	}
	q += ` ORDER BY CASE WHEN archived_at IS NULL THEN 0 ELSE 1 END, name`
	var out []hook.EventType
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(q), appID)
	return out, err
}

// SetEventTypeArchived archives a type (new webhooks cannot pick it; existing
// subscriptions stay) or brings it back.
func (s *Store) SetEventTypeArchived(ctx context.Context, actor hook.Actor, appID, name string, archived bool) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var at any
		action := "event_type.unarchive"
		if archived {
			at, action = s.now(), "event_type.archive"
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE event_types SET archived_at = ? WHERE app_id = ? AND name = ?`), at, appID, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hook.Errorf(hook.ENOTFOUND, "Event type not found.")
		}
		s.typeCache.Delete(appID + "\x00" + name)
		return s.audit(ctx, tx, appID, actor, action, "event_type", name, "")
	})
}
