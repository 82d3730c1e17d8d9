package web

import (
	"fmt"
	"net/http"

	"github.com/hookboard/hookboard/internal/hook"
)

// sendTestEvent creates a webhook.ping delivery, sends it at once (bounded by
// the delivery timeout) and returns it with its attempt. A failed test is not
// retried.
func (s *Server) sendTestEvent(r *http.Request, actor hook.Actor, appID, webhookID string) (hook.Delivery, []hook.Attempt, error) {
	a, err := s.deliver.SendTest(r.Context(), actor, appID, webhookID)
	if err != nil {
		return hook.Delivery{}, nil, err
	}
	d, err := s.store.Delivery(r.Context(), appID, a.DeliveryID)
	if err != nil {
		return d, nil, err
	}
	attempts, err := s.store.Attempts(r.Context(), a.DeliveryID)
	return d, attempts, err
}

// webhookTest is the "Send test event" button.
func (s *Server) webhookTest(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	_, attempts, err := s.sendTestEvent(r, c.actor(), c.appID(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	if len(attempts) > 0 {
		a := attempts[0]
		took := formatDuration(a.Duration)
		switch {
		case a.Succeeded:
			c.flash("success", fmt.Sprintf("Test event delivered: HTTP %d in %s.", a.ResponseStatus, took))
		case a.ResponseStatus != 0 && a.Error != "":
			c.flash("error", fmt.Sprintf("Test event failed: HTTP %d, %s. %s", a.ResponseStatus, a.Error, hook.Hint(a)))
		case a.ResponseStatus != 0:
			c.flash("error", fmt.Sprintf("Test event failed: HTTP %d in %s. %s", a.ResponseStatus, took, hook.Hint(a)))
		default:
			c.flash("error", "Test event failed: "+a.Error+". "+hook.Hint(a))
		}
	}
	s.redirect(w, r, c, "/apps/"+c.appID()+"/webhooks/"+r.PathValue("id"))
}
