package store

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
)

// audit records an entry in the same transaction as the change it describes.
func (s *Store) audit(ctx context.Context, tx *sqlx.Tx, appID string, actor hook.Actor, action, objectType, objectID, detail string) error {
	actorID, label := actorColumns(actor)
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO audit_entries (id, app_id, actor_id, actor, action, object_type, object_id, detail, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), s.newID(), appID, actorID, label, action, objectType, objectID, detail, s.now())
	return err
}

// ListAudit returns the app's newest audit entries, before cursor when given.
func (s *Store) ListAudit(ctx context.Context, appID, cursor string, limit int) ([]hook.AuditEntry, error) {
	var out []hook.AuditEntry
	q := `SELECT id, app_id, actor_id, actor, action, object_type, object_id, detail, created_at FROM audit_entries WHERE app_id = ?`
	args := []any{appID}
	if cursor != "" && validID(cursor) {
		q += ` AND id < ?`
		args = append(args, cursor)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(q), args...)
	return out, err
}

// actorColumns is how an actor is stored beside what it did: the user's id
// (NULL for API keys and the system) and a label ("system" when empty).
func actorColumns(actor hook.Actor) (*string, string) {
	var actorID *string
	if actor.UserID != "" {
		actorID = &actor.UserID
	}
	label := actor.Label
	if label == "" {
		label = "system"
	}
	return actorID, label
}
