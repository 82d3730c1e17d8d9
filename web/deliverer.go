package web

import (
	"context"
	"errors"

	"github.com/hookboard/hookboard/internal/hook"
)

// Deliverer sends a delivery now because someone asked: what the resend and
// test-event handlers, HTML and API, need from the delivery side. web
// declares it so it holds no sender; internal/sender.Service implements it.
type Deliverer interface {
	// Resend claims a failed delivery of the app and sends it again now,
	// recording actor; ECONFLICT when it cannot be resent.
	Resend(ctx context.Context, actor hook.Actor, appID, deliveryID string) (hook.Attempt, error)
	// SendTest sends a new webhook.ping delivery to the webhook now and
	// returns its attempt, which names the delivery (DeliveryID).
	SendTest(ctx context.Context, actor hook.Actor, appID, webhookID string) (hook.Attempt, error)
}

// errNoSender is what every resend and test event gets from a server built
// without a Deliverer: an internal error, logged, as a misconfiguration.
var errNoSender = errors.New("no sender configured")

// noDeliverer stands in for a nil Options.Deliverer.
type noDeliverer struct{}

func (noDeliverer) Resend(context.Context, hook.Actor, string, string) (hook.Attempt, error) {
	return hook.Attempt{}, errNoSender
}

func (noDeliverer) SendTest(context.Context, hook.Actor, string, string) (hook.Attempt, error) {
	return hook.Attempt{}, errNoSender
}
