package sender

import (
	"context"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

// Service runs the deliveries someone asks for, now: a manual resend and a
// test event, for the dashboard and the API alike. web reaches it through
// the small interface it declares (web.Deliverer), so only the delivery side
// holds a Sender.
type Service struct {
	store  *store.Store
	sender *Sender
}

// NewService is the delivery service over st, sending with snd.
func NewService(st *store.Store, snd *Sender) *Service {
	return &Service{store: st, sender: snd}
}

// Resend claims a failed delivery of the app and sends it again at once: same
// payload and webhook-id, fresh timestamp and signature, an attempt marked
// manual. A resend that fails leaves the delivery as it was. ECONFLICT when
// the delivery did not fail or a retry of it is under way.
func (s *Service) Resend(ctx context.Context, actor hook.Actor, appID, deliveryID string) (hook.Attempt, error) {
	job, err := s.store.ClaimForResend(ctx, actor, appID, deliveryID, s.sender.Owner(), s.sender.Lease())
	if err != nil {
		return hook.Attempt{}, err
	}
	a, _, err := s.sender.Deliver(ctx, job, hook.TriggerManual)
	return a, err
}

// SendTest stores a webhook.ping event with one delivery to the webhook and
// sends it at once (bounded by the delivery timeout). A failed test is not
// retried. The attempt names its delivery (DeliveryID).
func (s *Service) SendTest(ctx context.Context, actor hook.Actor, appID, webhookID string) (hook.Attempt, error) {
	job, err := s.store.CreateTestDelivery(ctx, actor, appID, webhookID, s.sender.Owner(), s.sender.Lease())
	if err != nil {
		return hook.Attempt{}, err
	}
	a, _, err := s.sender.Deliver(ctx, job, hook.TriggerTest)
	return a, err
}
