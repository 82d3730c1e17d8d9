package store

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/signature"
)

type webhookRow struct {
	ID             string    `db:"id"`
	AppID          string    `db:"app_id"`
	Name           string    `db:"name"`
	URL            string    `db:"url"`
	Description    string    `db:"description"`
	Active         bool      `db:"active"`
	AuthType       string    `db:"auth_type"`
	AuthUsername   string    `db:"auth_username"`
	AuthHeader     string    `db:"auth_header"`
	AuthSecret     []byte    `db:"auth_secret"`
	DisabledReason string    `db:"disabled_reason"`
	CreatedAt      time.Time `db:"created_at"`
	UpdatedAt      time.Time `db:"updated_at"`
	RateLimit      *int      `db:"rate_limit"`
	HeaderNames    string    `db:"custom_header_names"`
	Headers        []byte    `db:"custom_headers"` // sealed JSON []hook.Header
	Ordering       string    `db:"ordering"`
}

const webhookColumns = `id, app_id, name, url, description, active, auth_type, auth_username, auth_header, auth_secret, disabled_reason, created_at, updated_at,
	rate_limit, custom_header_names, custom_headers, ordering`

func (r webhookRow) webhook(events []string) hook.Webhook {
	return hook.Webhook{
		ID: r.ID, AppID: r.AppID, Name: r.Name, URL: r.URL, Description: r.Description,
		Active: r.Active, Events: events, AuthType: r.AuthType, AuthUsername: r.AuthUsername,
		AuthHeader: r.AuthHeader, HasAuthSecret: len(r.AuthSecret) > 0,
		DisabledReason: r.DisabledReason, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		RateLimit: deref(r.RateLimit), HeaderNames: splitNames(r.HeaderNames), Ordering: r.Ordering,
	}
}

func authContext(webhookID string) string { return "webhook-auth:" + webhookID }

func secretContext(webhookID, secretID string) string {
	return "signing-secret:" + webhookID + ":" + secretID
}

// CreateWebhook validates in against the rules and the app's catalog, stores
// the webhook with a new signing secret, and returns both. The secret is
// returned only here (and by rotation).
func (s *Store) CreateWebhook(ctx context.Context, actor hook.Actor, appID string, in hook.WebhookInput, p hook.TargetPolicy) (hook.Webhook, string, error) {
	in.Normalize()
	var wh hook.Webhook
	secret := signature.NewSecret()
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.validateWebhook(ctx, tx, appID, "", in, p, nil); err != nil {
			return err
		}
		now := s.now()
		row := webhookRow{
			ID: s.newID(), AppID: appID, Name: in.Name, URL: in.URL, Description: in.Description,
			Active: in.Active, AuthType: in.AuthType, AuthUsername: in.AuthUsername,
			AuthHeader: in.AuthHeader, CreatedAt: now, UpdatedAt: now,
		}
		if cred := credential(in); cred != "" {
			row.AuthSecret = s.box.Seal([]byte(cred), authContext(row.ID))
		}
		s.setPolicies(&row, in, nil)
		_, err := tx.NamedExecContext(ctx, `INSERT INTO webhooks (`+webhookColumns+`)
			VALUES (:id, :app_id, :name, :url, :description, :active, :auth_type, :auth_username, :auth_header, :auth_secret, :disabled_reason, :created_at, :updated_at,
			:rate_limit, :custom_header_names, :custom_headers, :ordering)`, row)
		if isUniqueViolation(err) {
			return nameTaken()
		}
		if err != nil {
			return err
		}
		if err := s.setWebhookEvents(ctx, tx, row.ID, in.Events); err != nil {
			return err
		}
		if err := s.insertSigningSecret(ctx, tx, row.ID, secret); err != nil {
			return err
		}
		wh = row.webhook(in.Events)
		return s.audit(ctx, tx, appID, actor, "webhook.create", "webhook", wh.ID, wh.Name)
	})
	if err != nil {
		return hook.Webhook{}, "", err
	}
	return wh, secret, nil
}

func nameTaken() error {
	return hook.FieldErrors{{Field: "name", Message: "A webhook with this name already exists in this app."}}
}

func credential(in hook.WebhookInput) string {
	switch in.AuthType {
	case hook.AuthBasic:
		return in.AuthPassword
	case hook.AuthAPIKey:
		return in.AuthValue
	}
	return ""
}

// validateWebhook runs the shared rules plus the checks that need the
// database: the event type catalog and the unique name.
func (s *Store) validateWebhook(ctx context.Context, tx *sqlx.Tx, appID, selfID string, in hook.WebhookInput, p hook.TargetPolicy, existing *hook.Webhook) error {
	var known []string
	if err := tx.SelectContext(ctx, &known, tx.Rebind(`SELECT name FROM event_types WHERE app_id = ? AND archived_at IS NULL`), appID); err != nil {
		return err
	}
	fe := hook.ValidateWebhook(in, p, existing, func(name string) bool { return slices.Contains(known, name) })
	if in.Secret != "" {
		if existing == nil {
			fe.Add("secret", "A custom secret can be set when editing a webhook.")
		} else if _, err := NormalizeCustomSecret(in.Secret); err != nil {
			fe.Add("secret", err.(hook.FieldErrors)[0].Message)
		}
	}
	if fe.For("name") == "" {
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM webhooks WHERE app_id = ? AND lower(name) = lower(?) AND id <> ?`), appID, in.Name, orNilID(selfID)); err != nil {
			return err
		}
		if n > 0 {
			fe.Add("name", nameTaken().(hook.FieldErrors)[0].Message)
		}
	}
	// Keep form order: name, url, description, events, auth, policies.
	order := []string{"name", "url", "description", "events", "auth_type", "auth_username", "auth_password", "auth_header", "auth_value", "rate_limit", "headers", "ordering", "secret"}
	slices.SortStableFunc(fe, func(a, b hook.FieldError) int { return slices.Index(order, a.Field) - slices.Index(order, b.Field) })
	return fe.Err()
}

// orNilID gives "id <> ?" a value that matches no row when there is no self.
func orNilID(id string) string {
	if id == "" {
		return "00000000-0000-0000-0000-000000000000"
	}
	return id
}

func (s *Store) setWebhookEvents(ctx context.Context, tx *sqlx.Tx, webhookID string, events []string) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM webhook_event_types WHERE webhook_id = ?`), webhookID); err != nil {
		return err
	}
	for _, e := range events {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO webhook_event_types (webhook_id, event_type) VALUES (?, ?)`), webhookID, e); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) insertSigningSecret(ctx context.Context, tx *sqlx.Tx, webhookID, secret string) error {
	id := s.newID()
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO signing_secrets (id, webhook_id, secret, created_at) VALUES (?, ?, ?, ?)`),
		id, webhookID, s.box.Seal([]byte(secret), secretContext(webhookID, id)), s.now())
	return err
}

// UpdateWebhook changes a webhook. A blank Basic password or API-key value
// keeps the stored one when the auth type is unchanged.
func (s *Store) UpdateWebhook(ctx context.Context, actor hook.Actor, appID, id string, in hook.WebhookInput, p hook.TargetPolicy) (hook.Webhook, error) {
	in.Normalize()
	var wh hook.Webhook
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		row, events, err := s.webhookRow(ctx, tx, appID, id)
		if err != nil {
			return err
		}
		old := row.webhook(events)
		if err := s.validateWebhook(ctx, tx, appID, id, in, p, &old); err != nil {
			return err
		}
		changed := changedFields(old, in)
		row.Name, row.URL, row.Description, row.Active = in.Name, in.URL, in.Description, in.Active
		if in.Active {
			row.DisabledReason = ""
		}
		if cred := credential(in); cred != "" {
			row.AuthSecret = s.box.Seal([]byte(cred), authContext(row.ID))
			if !slices.Contains(changed, "credentials") {
				changed = append(changed, "credentials")
			}
		} else if in.AuthType == hook.AuthNone || in.AuthType != row.AuthType {
			row.AuthSecret = nil
		}
		row.AuthType, row.AuthUsername, row.AuthHeader = in.AuthType, in.AuthUsername, in.AuthHeader
		row.UpdatedAt = s.now()
		stored, err := s.openHeaders(row)
		if err != nil {
			return err
		}
		changed = append(changed, s.setPolicies(&row, in, stored)...)
		_, err = tx.NamedExecContext(ctx, `UPDATE webhooks SET name = :name, url = :url, description = :description,
			active = :active, auth_type = :auth_type, auth_username = :auth_username, auth_header = :auth_header,
			auth_secret = :auth_secret, disabled_reason = :disabled_reason, updated_at = :updated_at,
			rate_limit = :rate_limit, custom_header_names = :custom_header_names, custom_headers = :custom_headers, ordering = :ordering
			WHERE id = :id`, row)
		if isUniqueViolation(err) {
			return nameTaken()
		}
		if err != nil {
			return err
		}
		if in.Active && !old.Active {
			// A fresh start: the 5-day failure clock begins again.
			if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE webhooks SET failing_since = NULL WHERE id = ?`), id); err != nil {
				return err
			}
		}
		if err := s.applyOrdering(ctx, tx, id, old.Ordering, in.Ordering); err != nil {
			return err
		}
		if !slices.Equal(events, in.Events) {
			if err := s.setWebhookEvents(ctx, tx, id, in.Events); err != nil {
				return err
			}
		}
		if in.Secret != "" {
			secret, _ := NormalizeCustomSecret(in.Secret)
			if err := s.rotateSecret(ctx, tx, id, secret, false); err != nil {
				return err
			}
			changed = append(changed, "signing secret")
		}
		wh = row.webhook(in.Events)
		return s.audit(ctx, tx, appID, actor, "webhook.update", "webhook", id, strings.Join(changed, ", "))
	})
	return wh, err
}

func changedFields(old hook.Webhook, in hook.WebhookInput) []string {
	var c []string
	add := func(cond bool, name string) {
		if cond {
			c = append(c, name)
		}
	}
	add(old.Name != in.Name, "name")
	add(old.URL != in.URL, "url")
	add(old.Description != in.Description, "description")
	add(!slices.Equal(old.Events, in.Events), "events")
	add(old.Active != in.Active, "active")
	add(old.AuthType != in.AuthType || old.AuthUsername != in.AuthUsername || old.AuthHeader != in.AuthHeader, "auth")
	return c
}

// DeleteWebhook removes a webhook with its secrets, deliveries and attempts.
func (s *Store) DeleteWebhook(ctx context.Context, actor hook.Actor, appID, id string) error {
	// Its deliveries are deleted in the index's order while recorders
	// update theirs in a batch's: a deadlock between them is retried.
	return s.inTxRetrying(ctx, func(tx *sqlx.Tx) error {
		row, _, err := s.webhookRow(ctx, tx, appID, id)
		if err != nil {
			return err
		}
		// Explicit deletes keep the work visible. The attempts go last, a
		// statement of their own: on PostgreSQL no foreign key ties them
		// to their delivery (migration 0015), so it must see every attempt
		// recorded before its delivery's row was taken here, including a
		// delivery ingested meanwhile, which deleting the webhook's row
		// cascades to.
		s.forgetPolicy(id)
		for _, q := range []string{
			`DELETE FROM deliveries WHERE webhook_id = ?`,
			`DELETE FROM signing_secrets WHERE webhook_id = ?`,
			`DELETE FROM webhook_event_types WHERE webhook_id = ?`,
			`DELETE FROM webhooks WHERE id = ?`,
			`DELETE FROM attempts WHERE webhook_id = ?`,
		} {
			if _, err := tx.ExecContext(ctx, tx.Rebind(q), id); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, appID, actor, "webhook.delete", "webhook", id, row.Name)
	})
}

// Webhook returns one webhook of the app; ENOTFOUND for another app's.
func (s *Store) Webhook(ctx context.Context, appID, id string) (hook.Webhook, error) {
	var wh hook.Webhook
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		row, events, err := s.webhookRow(ctx, tx, appID, id)
		wh = row.webhook(events)
		return err
	})
	return wh, err
}

func (s *Store) webhookRow(ctx context.Context, tx *sqlx.Tx, appID, id string) (webhookRow, []string, error) {
	var row webhookRow
	if !validID(id) {
		return row, nil, hook.Errorf(hook.ENOTFOUND, "Webhook not found.")
	}
	if err := tx.GetContext(ctx, &row, tx.Rebind(`SELECT `+webhookColumns+` FROM webhooks WHERE id = ? AND app_id = ?`), id, appID); err != nil {
		return row, nil, notFound(err, "Webhook")
	}
	var events []string
	err := tx.SelectContext(ctx, &events, tx.Rebind(`SELECT event_type FROM webhook_event_types WHERE webhook_id = ? ORDER BY event_type`), id)
	return row, events, err
}

// ListWebhooks returns the app's webhooks by name.
func (s *Store) ListWebhooks(ctx context.Context, appID string) ([]hook.Webhook, error) {
	var rows []webhookRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT `+webhookColumns+` FROM webhooks WHERE app_id = ? ORDER BY lower(name), id`), appID); err != nil {
		return nil, err
	}
	return s.withEvents(ctx, rows)
}

// withEvents loads the subscribed event types of rows in one query.
func (s *Store) withEvents(ctx context.Context, rows []webhookRow) ([]hook.Webhook, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	q, args, err := sqlx.In(`SELECT webhook_id, event_type FROM webhook_event_types WHERE webhook_id IN (?) ORDER BY event_type`, ids)
	if err != nil {
		return nil, err
	}
	var subs []struct {
		WebhookID string `db:"webhook_id"`
		EventType string `db:"event_type"`
	}
	if err := s.db.SelectContext(ctx, &subs, s.db.Rebind(q), args...); err != nil {
		return nil, err
	}
	events := map[string][]string{}
	for _, sub := range subs {
		events[sub.WebhookID] = append(events[sub.WebhookID], sub.EventType)
	}
	out := make([]hook.Webhook, len(rows))
	for i, r := range rows {
		out[i] = r.webhook(events[r.ID])
	}
	return out, nil
}

// WebhookCredential returns the decrypted Basic password or API-key value.
func (s *Store) WebhookCredential(ctx context.Context, appID, id string) (string, error) {
	var sealed []byte
	if !validID(id) {
		return "", hook.Errorf(hook.ENOTFOUND, "Webhook not found.")
	}
	if err := s.db.GetContext(ctx, &sealed, s.db.Rebind(`SELECT auth_secret FROM webhooks WHERE id = ? AND app_id = ?`), id, appID); err != nil {
		return "", notFound(err, "Webhook")
	}
	if len(sealed) == 0 {
		return "", nil
	}
	pt, err := s.box.Open(sealed, authContext(id))
	return string(pt), err
}

// ValidCursor reports whether a page cursor (an id) is well formed.
func ValidCursor(c string) bool { return validID(c) }

// ListWebhooksPage returns one page of the app's webhooks, newest first, and
// the next cursor ("" on the last page). Rows created meanwhile do not shift
// later pages: the cursor is an id.
func (s *Store) ListWebhooksPage(ctx context.Context, appID, cursor string, limit int) ([]hook.Webhook, string, error) {
	q := `SELECT ` + webhookColumns + ` FROM webhooks WHERE app_id = ?`
	args := []any{appID}
	if cursor != "" {
		if !validID(cursor) {
			return nil, "", hook.Errorf(hook.EINVALID, "The page cursor is not valid.")
		}
		q += ` AND id < ?`
		args = append(args, cursor)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit+1)
	var rows []webhookRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[len(rows)-1].ID
	}
	out, err := s.withEvents(ctx, rows)
	return out, next, err
}
