package web

import (
	"net/http"
	"strings"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

// deliveryJSON is a delivery in API answers.
func deliveryJSON(d hook.Delivery, attempts []hook.Attempt) map[string]any {
	out := map[string]any{
		"id": d.ID, "webhookId": d.WebhookID, "eventId": d.EventID, "eventType": d.EventType,
		"status": d.Status, "attemptCount": d.Attempts, "createdAt": isoTime(d.CreatedAt),
		"nextAttemptAt": nil, "lastAttemptAt": nil,
	}
	if d.NextAttemptAt != nil {
		out["nextAttemptAt"] = isoTime(*d.NextAttemptAt)
	}
	if d.LastAttemptAt != nil {
		out["lastAttemptAt"] = isoTime(*d.LastAttemptAt)
	}
	if attempts != nil {
		list := make([]map[string]any, len(attempts))
		for i, a := range attempts {
			list[i] = attemptJSON(a)
		}
		out["attempts"] = list
	}
	return out
}

func attemptJSON(a hook.Attempt) map[string]any {
	out := map[string]any{
		"id": a.ID, "trigger": a.Trigger, "succeeded": a.Succeeded, "requestUrl": a.RequestURL,
		"requestHeaders": a.RequestHeaders, "responseStatus": nil, "responseHeaders": a.ResponseHeaders,
		"responseBody": string(a.ResponseBody), "responseTruncated": a.ResponseTruncated,
		"durationMs": a.Duration.Milliseconds(), "error": a.Error, "createdAt": isoTime(a.CreatedAt),
	}
	if a.ResponseStatus != 0 {
		out["responseStatus"] = a.ResponseStatus
	}
	return out
}

func (s *Server) apiWebhookDeliveries(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	wh, err := s.store.Webhook(r.Context(), c.appID, r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	cursor, limit, ok := s.pageParams(w, r)
	if !ok {
		return
	}
	status := r.URL.Query().Get("status")
	switch status {
	case "", hook.StatusPending, hook.StatusRetrying, hook.StatusSucceeded, hook.StatusFailed:
	default:
		s.problem(w, r, http.StatusBadRequest, "status must be one of pending, retrying, succeeded, failed.", nil)
		return
	}
	// q finds rows directly: a delivery ID, an event ID or an Idempotency-Key.
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	rows, next, err := s.store.ListDeliveries(r.Context(), c.appID, store.DeliveryFilter{WebhookID: wh.ID, Status: status, Cursor: cursor, Limit: limit, Query: q})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	items := make([]map[string]any, len(rows))
	for i, d := range rows {
		items[i] = deliveryJSON(d.Delivery, nil)
	}
	writePage(w, items, next)
}

func (s *Server) apiDeliveryGet(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	d, err := s.store.DeliveryDetail(r.Context(), c.appID, r.PathValue("deliveryID"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	attempts := d.Attempts
	if attempts == nil {
		attempts = []hook.Attempt{}
	}
	writeData(w, http.StatusOK, deliveryJSON(d.Delivery, attempts))
}

func (s *Server) apiResend(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	id := r.PathValue("deliveryID")
	if _, err := s.deliver.Resend(r.Context(), c.actor(), c.appID, id); err != nil {
		s.apiError(w, r, err)
		return
	}
	d, err := s.store.DeliveryDetail(r.Context(), c.appID, id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeData(w, http.StatusAccepted, deliveryJSON(d.Delivery, d.Attempts))
}
