package store

import (
	"context"
	"fmt"

	"github.com/hookboard/hookboard/internal/hook"
)

// What the recovery pages ask before a job starts, beside PreviewRecovery:
// which of the items would be skipped because their webhook is off, and
// which open job a start would run into.

// CountRecoveryInactive counts the items a job of sp would cover whose
// webhook is turned off: the job would skip each of them.
func (s *Store) CountRecoveryInactive(ctx context.Context, appID string, sp hook.RecoverySpec) (int, error) {
	if sp.WebhookID != "" && !validID(sp.WebhookID) {
		return 0, hook.FieldErrors{{Field: "webhookId", Message: "No such webhook in this app."}}
	}
	sel, args, err := s.recoverySelection(appID, sp)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(*) FROM (`+sel+`) sel JOIN webhooks w ON w.id = sel.webhook_id WHERE NOT w.active`), args...); err != nil {
		return 0, fmt.Errorf("count recovery of inactive webhooks: %w", err)
	}
	return n, nil
}

// RecoveryConflict returns the *hook.RecoveryRunningError a start of sp
// would run into now (a job queued or running for one of its webhooks), or
// nil.
func (s *Store) RecoveryConflict(ctx context.Context, appID string, sp hook.RecoverySpec) error {
	if sp.WebhookID != "" && !validID(sp.WebhookID) {
		return nil
	}
	return s.runningConflict(ctx, s.db, appID, sp)
}
