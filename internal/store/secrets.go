package store

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/signature"
)

// RotationGrace is how long a replaced secret keeps signing requests.
const RotationGrace = 24 * time.Hour

// SecretInfo describes a webhook's signing secrets without revealing them:
// the current one's last characters, and until when a previous one is valid.
type SecretInfo struct {
	ID              string // the current secret's id
	Last4           string
	CreatedAt       time.Time
	PreviousExpires *time.Time // latest expiry of a replaced secret still valid
}

type secretRow struct {
	ID        string     `db:"id"`
	WebhookID string     `db:"webhook_id"`
	Secret    []byte     `db:"secret"`
	CreatedAt time.Time  `db:"created_at"`
	ExpiresAt *time.Time `db:"expires_at"`
}

// validSecretRows returns the secrets in force at now, newest first.
func (s *Store) validSecretRows(ctx context.Context, q sqlx.QueryerContext, webhookID string, now time.Time) ([]secretRow, error) {
	var rows []secretRow
	err := sqlx.SelectContext(ctx, q, &rows, s.db.Rebind(`
		SELECT id, webhook_id, secret, created_at, expires_at FROM signing_secrets
		WHERE webhook_id = ? AND (expires_at IS NULL OR expires_at > ?)
		ORDER BY created_at DESC, id DESC`), webhookID, now)
	return rows, err
}

func (s *Store) open(r secretRow) (string, error) {
	pt, err := s.box.Open(r.Secret, secretContext(r.WebhookID, r.ID))
	return string(pt), err
}

// SecretInfo returns what the webhook page may show about its secrets.
func (s *Store) SecretInfo(ctx context.Context, appID, webhookID string) (SecretInfo, error) {
	var info SecretInfo
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, _, err := s.webhookRow(ctx, tx, appID, webhookID); err != nil {
			return err
		}
		rows, err := s.validSecretRows(ctx, tx, webhookID, s.now())
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.ExpiresAt == nil {
				if info.Last4 != "" {
					continue
				}
				secret, err := s.open(r)
				if err != nil {
					return err
				}
				info.ID, info.Last4, info.CreatedAt = r.ID, secret[len(secret)-4:], r.CreatedAt
			} else if info.PreviousExpires == nil || r.ExpiresAt.After(*info.PreviousExpires) {
				info.PreviousExpires = r.ExpiresAt
			}
		}
		if info.Last4 == "" {
			return hook.Errorf(hook.EINTERNAL, "webhook %s has no current signing secret", webhookID)
		}
		return nil
	})
	return info, err
}

// RevealSecret returns the current secret in full and records who asked.
// action is the audit action ("secret.reveal" or "secret.copy").
func (s *Store) RevealSecret(ctx context.Context, actor hook.Actor, appID, webhookID, action string) (string, error) {
	var secret string
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		row, _, err := s.webhookRow(ctx, tx, appID, webhookID)
		if err != nil {
			return err
		}
		rows, err := s.validSecretRows(ctx, tx, webhookID, s.now())
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.ExpiresAt == nil {
				if secret, err = s.open(r); err != nil {
					return err
				}
				return s.audit(ctx, tx, appID, actor, action, "webhook", webhookID, row.Name)
			}
		}
		return hook.Errorf(hook.EINTERNAL, "webhook %s has no current signing secret", webhookID)
	})
	return secret, err
}

// ErrAlreadyRotated is returned when a rotation names a current secret that
// has been replaced meanwhile (a form sent twice).
var ErrAlreadyRotated = hook.Errorf(hook.ECONFLICT, "The signing secret was already rotated; nothing was changed.")

// RotateSecret makes a new current secret (custom when given, otherwise
// generated) and returns it. The replaced secret keeps signing for
// RotationGrace, or stops at once when expireOldNow is set. A non-empty
// expectCurrent must be the current secret's id, so sending the same form
// twice rotates once.
func (s *Store) RotateSecret(ctx context.Context, actor hook.Actor, appID, webhookID string, expireOldNow bool, custom, expectCurrent string) (string, error) {
	secret := signature.NewSecret()
	action := "secret.rotate"
	if custom != "" {
		normalized, err := NormalizeCustomSecret(custom)
		if err != nil {
			return "", err
		}
		secret, action = normalized, "secret.set"
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		row, _, err := s.webhookRow(ctx, tx, appID, webhookID)
		if err != nil {
			return err
		}
		if expectCurrent != "" {
			var current string
			if err := tx.GetContext(ctx, &current, tx.Rebind(`SELECT id FROM signing_secrets WHERE webhook_id = ? AND expires_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1`), webhookID); err != nil {
				return err
			}
			if current != expectCurrent {
				return ErrAlreadyRotated
			}
		}
		if err := s.rotateSecret(ctx, tx, webhookID, secret, expireOldNow); err != nil {
			return err
		}
		detail := row.Name + ", previous secret valid 24 h"
		if expireOldNow {
			detail = row.Name + ", previous secret expired at once"
		}
		return s.audit(ctx, tx, appID, actor, action, "webhook", webhookID, detail)
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

func (s *Store) rotateSecret(ctx context.Context, tx *sqlx.Tx, webhookID, secret string, expireOldNow bool) error {
	now := s.now()
	if expireOldNow {
		// Every older secret stops now, including one still in its grace.
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE signing_secrets SET expires_at = ? WHERE webhook_id = ? AND (expires_at IS NULL OR expires_at > ?)`), now, webhookID, now); err != nil {
			return err
		}
	} else if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE signing_secrets SET expires_at = ? WHERE webhook_id = ? AND expires_at IS NULL`), now.Add(RotationGrace), webhookID); err != nil {
		return err
	}
	return s.insertSigningSecret(ctx, tx, webhookID, secret)
}

// NormalizeCustomSecret accepts a pasted secret: whsec_ + base64, or bare
// base64, of 24 to 64 bytes; it returns it with the whsec_ prefix. Errors
// never repeat the value.
func NormalizeCustomSecret(value string) (string, error) {
	if _, err := signature.ParseSecret(value); err != nil {
		msg := "Enter whsec_ followed by base64 (for example a secret Hookboard generated)."
		if err == signature.ErrSecretLength {
			msg = "The secret must be 24 to 64 bytes once base64-decoded."
		}
		return "", hook.FieldErrors{{Field: "secret", Message: msg}}
	}
	if len(value) < len(signature.Prefix) || value[:len(signature.Prefix)] != signature.Prefix {
		value = signature.Prefix + value
	}
	return value, nil
}

// ValidSecrets returns the secrets that sign a request now, newest first:
// the current one, and replaced ones still in their grace period.
func (s *Store) ValidSecrets(ctx context.Context, webhookID string) ([]string, error) {
	rows, err := s.validSecretRows(ctx, s.db, webhookID, s.now())
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		secret, err := s.open(r)
		if err != nil {
			return nil, err
		}
		out = append(out, secret)
	}
	return out, nil
}

// DeleteExpiredSecrets removes replaced secrets past their grace period.
func (s *Store) DeleteExpiredSecrets(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM signing_secrets WHERE expires_at IS NOT NULL AND expires_at <= ?`), s.now())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
