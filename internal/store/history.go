package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// HistoryEvent is an event that happened in the past, with its deliveries
// as they ended up: what the demo starts with.
type HistoryEvent struct {
	Type       string
	Payload    []byte
	At         time.Time
	Deliveries []HistoryDelivery
}

// HistoryDelivery is one past delivery: its status now (retrying ones are
// due at NextAttempt) and its attempts, oldest first.
type HistoryDelivery struct {
	WebhookID   string
	URL         string
	Status      string
	NextAttempt time.Time
	Attempts    []HistoryAttempt
}

// HistoryAttempt is one past attempt.
type HistoryAttempt struct {
	At        time.Time
	Succeeded bool
	Status    int // 0: no answer
	Body      string
	Duration  time.Duration
	Error     string
}

// AddHistory stores past events with their deliveries and attempts in one
// transaction, with ids of their own time so the event log orders and
// filters them as if they had happened then.
func (s *Store) AddHistory(ctx context.Context, appID string, events []HistoryEvent) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ids := make([]string, len(events))
	evs, err := s.BulkInsert(tx, "events", "id", "app_id", "event_type", "payload", "created_at")
	if err != nil {
		return err
	}
	for i, e := range events {
		ids[i] = idOfTime(e.At)
		if err := evs.Add(ids[i], appID, e.Type, e.Payload, e.At.UTC()); err != nil {
			return err
		}
	}
	if err := evs.Close(); err != nil {
		return err
	}
	deliveryIDs, err := s.addHistoryDeliveries(tx, appID, ids, events)
	if err != nil {
		return err
	}
	if err := s.addHistoryAttempts(tx, ids, deliveryIDs, events); err != nil {
		return err
	}
	if err := s.writeMinuteCounts(ctx, tx, historyCounts(events)); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *Store) addHistoryDeliveries(tx *sql.Tx, appID string, eventIDs []string, events []HistoryEvent) ([][]string, error) {
	ds, err := s.BulkInsert(tx, "deliveries", "id", "app_id", "webhook_id", "event_id", "event_type", "status", "attempts",
		"next_attempt_at", "last_attempt_at", "created_at", "updated_at")
	if err != nil {
		return nil, err
	}
	out := make([][]string, len(events))
	for i, e := range events {
		for _, d := range e.Deliveries {
			id := idOfTime(e.At)
			out[i] = append(out[i], id)
			var next, last any
			updated := e.At.UTC()
			if d.Status == "retrying" || d.Status == "pending" {
				next = d.NextAttempt.UTC()
			}
			if n := len(d.Attempts); n > 0 {
				last = d.Attempts[n-1].At.UTC()
				updated = d.Attempts[n-1].At.UTC()
			}
			if err := ds.Add(id, appID, d.WebhookID, eventIDs[i], e.Type, d.Status, len(d.Attempts), next, last, e.At.UTC(), updated); err != nil {
				return nil, err
			}
		}
	}
	return out, ds.Close()
}

func (s *Store) addHistoryAttempts(tx *sql.Tx, eventIDs []string, deliveryIDs [][]string, events []HistoryEvent) error {
	as, err := s.BulkInsert(tx, "attempts", "id", "delivery_id", "webhook_id", "trigger_type", "succeeded", "request_url", "request_headers",
		"response_status", "response_headers", "response_body", "response_truncated", "duration_ms", "error", "created_at")
	if err != nil {
		return err
	}
	for i, e := range events {
		for j, d := range e.Deliveries {
			for _, a := range d.Attempts {
				headers, _ := json.Marshal(map[string][]string{
					"Content-Type": {"application/json"}, "User-Agent": {"Hookboard/1"}, "Webhook-Id": {eventIDs[i]},
					"Webhook-Timestamp": {strconv.FormatInt(a.At.Unix(), 10)}, "Webhook-Signature": {historySignature()},
				})
				var status, respHeaders any = nil, ""
				var body []byte
				if a.Status != 0 {
					status = a.Status
					respHeaders = `{"Content-Type":["text/plain; charset=utf-8"]}`
					body = []byte(a.Body)
				}
				if err := as.Add(idOfTime(a.At), deliveryIDs[i][j], d.WebhookID, "automatic", a.Succeeded, d.URL, string(headers),
					status, respHeaders, body, false, a.Duration.Milliseconds(), a.Error, a.At.UTC()); err != nil {
					return err
				}
			}
		}
	}
	return as.Close()
}

// historySignature looks like a signature; the history was never sent, so
// there is nothing to sign.
func historySignature() string {
	b := make([]byte, 32)
	rand.Read(b)
	return "v1," + base64.StdEncoding.EncodeToString(b)
}

// idOfTime is a random UUIDv7 of the given time.
func idOfTime(t time.Time) string {
	var u uuid.UUID
	rand.Read(u[:])
	ms := t.UnixMilli()
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	u[6] = 0x70 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	return u.String()
}

// MarkDisabled turns a webhook off as Hookboard would after failing too
// long, with the reason shown to its admins (the demo's history).
func (s *Store) MarkDisabled(ctx context.Context, webhookID, reason string, since time.Time) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE webhooks SET active = ?, disabled_reason = ?, failing_since = ?, updated_at = ? WHERE id = ?`),
		false, reason, since.UTC(), s.now(), webhookID)
	return err
}

// historyCounts are the history's attempts for attempt_minutes.
func historyCounts(events []HistoryEvent) minuteCounts {
	m := minuteCounts{}
	for _, e := range events {
		for _, d := range e.Deliveries {
			for _, a := range d.Attempts {
				m.add(d.WebhookID, a.At.UTC(), a.Succeeded)
			}
		}
	}
	return m
}
