package store

import (
	"context"

	"github.com/hookboard/hookboard/internal/hook"
)

// SearchEvents finds the app's event that q names: its event ID, the ID of
// one of its deliveries, or the Idempotency-Key it was sent with. It
// returns no event (and no error) when q names none of the app's; an event
// whose type is not eventType (when given) is not returned either.
func (s *Store) SearchEvents(ctx context.Context, appID, q, eventType string) ([]hook.Event, error) {
	f, found, err := s.resolveQuery(ctx, appID, DeliveryFilter{Query: q})
	if err != nil || !found {
		return nil, err
	}
	eventID := f.EventID
	if f.DeliveryID != "" {
		if err := s.db.GetContext(ctx, &eventID, s.db.Rebind(`SELECT event_id FROM deliveries WHERE id = ? AND app_id = ?`), f.DeliveryID, appID); err != nil {
			return nil, notFound(err, "Delivery")
		}
	}
	ev, err := s.Event(ctx, appID, eventID)
	if hook.ErrorCode(err) == hook.ENOTFOUND || (err == nil && eventType != "" && ev.EventType != eventType) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return []hook.Event{ev}, nil
}
