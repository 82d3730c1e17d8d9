package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
)

// What the recovery pages ask before a job starts, beside PreviewRecovery:
// which of the items would be skipped because their webhook is off, and
// which open job a start would run into.

// RecoveryOff is what a job would skip because the webhook is off.
type RecoveryOff struct {
	N    int  // items whose webhook is off, up to the limit asked
	More bool // more than N
	All  bool // every item the job covers: it would send nothing
}

// CountRecoveryInactive counts, up to limit, the items a job of sp would
// cover whose webhook is turned off (the job would skip each of them), and
// tells whether they are all of its items. It reads the items only when
// one of the webhooks sp covers is off.
func (s *Store) CountRecoveryInactive(ctx context.Context, appID string, sp hook.RecoverySpec, limit int) (RecoveryOff, error) {
	if sp.WebhookID != "" && !validID(sp.WebhookID) {
		return RecoveryOff{}, hook.FieldErrors{{Field: "webhookId", Message: "No such webhook in this app."}}
	}
	off, err := s.inactiveWebhooks(ctx, appID, sp.WebhookID)
	if err != nil || len(off) == 0 {
		return RecoveryOff{}, err
	}
	sel, args, err := s.recoverySelection(appID, sp)
	if err != nil {
		return RecoveryOff{}, err
	}
	q, inArgs, err := sqlx.In(`SELECT COUNT(*) FROM (SELECT sel.item_id FROM (`+sel+`) sel WHERE sel.webhook_id IN (?) LIMIT ?) x`, append(args, off, limit+1)...)
	if err != nil {
		return RecoveryOff{}, err
	}
	var r RecoveryOff
	if err := s.db.GetContext(ctx, &r.N, s.db.Rebind(q), inArgs...); err != nil {
		return RecoveryOff{}, fmt.Errorf("count recovery of inactive webhooks: %w", err)
	}
	if r.N == 0 {
		return r, nil
	}
	r.More, r.N = r.N > limit, min(r.N, limit)
	// All off unless one item goes to a webhook that is on (usually the
	// first the query finds).
	q, inArgs, err = sqlx.In(`SELECT COUNT(*) FROM (SELECT sel.item_id FROM (`+sel+`) sel WHERE sel.webhook_id NOT IN (?) LIMIT 1) x`, append(args, off)...)
	if err != nil {
		return RecoveryOff{}, err
	}
	var on int
	if err := s.db.GetContext(ctx, &on, s.db.Rebind(q), inArgs...); err != nil {
		return RecoveryOff{}, fmt.Errorf("count recovery of active webhooks: %w", err)
	}
	r.All = on == 0
	return r, nil
}

// inactiveWebhooks are the app's webhooks that are turned off (of one
// webhook, when webhookID is set).
func (s *Store) inactiveWebhooks(ctx context.Context, appID, webhookID string) ([]string, error) {
	q, args := `SELECT id FROM webhooks WHERE app_id = ? AND NOT active`, []any{appID}
	if webhookID != "" {
		q, args = q+` AND id = ?`, append(args, webhookID)
	}
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("inactive webhooks: %w", err)
	}
	return ids, nil
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
