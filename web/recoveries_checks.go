package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/templates"
)

// What a recovery's preview checks beside the count, so that it offers
// Confirm only for a job that can send something: a webhook that is
// turned off would see every item skipped, and a webhook with a job
// running would make Confirm answer 409.

// turnedOff is why a Recover cannot help a webhook that is off ("" when
// it is on, or for another kind: the store refuses a Replay itself).
func turnedOff(kind hook.RecoveryKind, wh hook.Webhook) string {
	if wh.Active || kind != hook.RecoverFailed {
		return ""
	}
	return "This webhook is turned off; turn it on before recovering its failed deliveries (a job would skip every one)."
}

// bulkPreviewChecks adds to a bulk resend's preview of count deliveries
// how many belong to webhooks that are off (the job skips them) and the
// job already running for one of the webhooks it covers (no Confirm then).
// An error is the store's.
func (s *Server) bulkPreviewChecks(r *http.Request, c *reqCtx, vm *templates.RecoveryPreview, spec hook.RecoverySpec, count int) error {
	if count == 0 {
		return nil
	}
	off, err := s.store.CountRecoveryInactive(r.Context(), c.appID(), spec, previewCap)
	if err != nil {
		return err
	}
	vm.Off, vm.OffMore, vm.AllOff = off.N, off.More, off.All
	var running *hook.RecoveryRunningError
	err = s.store.RecoveryConflict(r.Context(), c.appID(), spec)
	if errors.As(err, &running) {
		vm.Running = s.conflictRef(r, c, running.RecoveryID)
		vm.Running.WebhookID, vm.Running.WebhookName = running.WebhookID, s.webhookName(r, c.appID(), running.WebhookID)
		return nil
	}
	return err
}

// bulkAllOff is why a bulk resend of spec would send nothing because every
// delivery it matches belongs to a webhook that is off ("" when some would
// go, or none match: the store says so).
func (s *Server) bulkAllOff(r *http.Request, appID string, spec hook.RecoverySpec) (string, error) {
	off, err := s.store.CountRecoveryInactive(r.Context(), appID, spec, previewCap)
	if err != nil || !off.All {
		return "", err
	}
	return allOffMessage(off.N, off.More), nil
}

// allOffMessage refuses a bulk resend whose n (or more than n) deliveries
// all belong to webhooks that are off.
func allOffMessage(n int, more bool) string {
	if more {
		return "All matching failed deliveries (more than " + strconv.Itoa(n) + ") belong to turned-off webhooks: a job would skip every one. Turn the webhook on first."
	}
	return "All " + strconv.Itoa(n) + " matching failed " + map[bool]string{true: "delivery belongs", false: "deliveries belong"}[n == 1] +
		" to turned-off webhooks: a job would skip every one. Turn the webhook on first."
}

// webhookName is a webhook's name for a message, or its id when it cannot
// be read (deleted meanwhile).
func (s *Server) webhookName(r *http.Request, appID, id string) string {
	wh, err := s.store.Webhook(r.Context(), appID, id)
	if err != nil {
		return id
	}
	return wh.Name
}
