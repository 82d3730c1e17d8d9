package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

// recoverRequest is the body of POST …/webhooks/{id}/recover and
// …/replay-missing (which takes no until).
type recoverRequest struct {
	Since string `json:"since"`
	Until string `json:"until"`
}

type replayRequest struct {
	Since string `json:"since"`
}

// bulkResendRequest is the all-events filter a bulk resend covers.
type bulkResendRequest struct {
	Status    string `json:"status"`
	EventType string `json:"eventType"`
	WebhookID string `json:"webhookId"`
	From      string `json:"from"`
	To        string `json:"to"`
}

const apiDateTimeHint = "must be an RFC 3339 date-time with Z or an offset, like 2026-11-26T09:30:00Z."

// parseAPIDateTime reads since or until of a request: RFC 3339 with its
// offset only (a time without one is ambiguous); empty is the zero time.
func parseAPIDateTime(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func (s *Server) apiRecover(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	var req recoverRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	s.apiWebhookJob(w, r, c, hook.RecoverFailed, req.Since, req.Until)
}

func (s *Server) apiReplayMissing(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	var req replayRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	s.apiWebhookJob(w, r, c, hook.ReplayMissing, req.Since, "")
}

// apiWebhookJob starts a recover or replay job of the webhook in the path.
func (s *Server) apiWebhookJob(w http.ResponseWriter, r *http.Request, c *apiCtx, kind hook.RecoveryKind, since, until string) {
	wh, err := s.store.Webhook(r.Context(), c.appID, r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if msg := turnedOff(kind, wh); msg != "" {
		s.problem(w, r, http.StatusConflict, msg, map[string]any{"webhookId": wh.ID})
		return
	}
	spec := hook.RecoverySpec{Kind: kind, WebhookID: wh.ID}
	var fe hook.FieldErrors
	var ok bool
	if spec.Since, ok = parseAPIDateTime(since); !ok {
		fe.Add("since", "since "+apiDateTimeHint)
	}
	if spec.Until, ok = parseAPIDateTime(until); !ok {
		fe.Add("until", "until "+apiDateTimeHint)
	}
	s.apiStartRecovery(w, r, c, spec, fe)
}

func (s *Server) apiBulkResend(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	var req bulkResendRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	spec := hook.RecoverySpec{Kind: hook.BulkResend, Status: req.Status, EventType: req.EventType, WebhookID: req.WebhookID}
	var fe hook.FieldErrors
	var ok bool
	if spec.From, ok = parseDay(req.From, false); !ok {
		fe.Add("from", "from "+apiDateTimeHint+" A date (YYYY-MM-DD) means its start.")
	}
	if spec.To, ok = parseDay(req.To, true); !ok {
		fe.Add("to", "to "+apiDateTimeHint+" A date (YYYY-MM-DD) means its end.")
	}
	s.apiStartRecovery(w, r, c, spec, fe)
}

// apiStartRecovery starts the job, unless fe (what could not be read) or
// the spec's checks find invalid fields: 202 with the job, 409 naming the
// job that runs for the webhook, 422 naming the fields or saying there is
// nothing to do.
func (s *Server) apiStartRecovery(w http.ResponseWriter, r *http.Request, c *apiCtx, spec hook.RecoverySpec, fe hook.FieldErrors) {
	if len(fe) == 0 {
		if err := spec.Validate(s.now(), s.retention); err != nil {
			s.apiError(w, r, err)
			return
		}
	}
	if len(fe) > 0 {
		s.apiError(w, r, fe)
		return
	}
	if spec.Kind == hook.BulkResend {
		if msg, err := s.bulkAllOff(r, c.appID, spec); err != nil || msg != "" {
			if err == nil {
				err = hook.Errorf(hook.ECONFLICT, "%s", msg)
			}
			s.apiError(w, r, err)
			return
		}
	}
	job, err := s.store.StartRecovery(r.Context(), c.actor(), c.appID, spec, s.recoveryRate)
	var running *hook.RecoveryRunningError
	switch {
	case errors.As(err, &running):
		s.problem(w, r, http.StatusConflict, "A recovery job is already running for webhook “"+s.webhookName(r, c.appID, running.WebhookID)+
			"” ("+running.WebhookID+"); wait for it to finish or cancel it.", map[string]any{
			"recoveryId": running.RecoveryID, "recovery": appAPIPath(c.appID) + "/recoveries/" + running.RecoveryID, "webhookId": running.WebhookID,
		})
		return
	case errors.Is(err, store.ErrReplayFIFO):
		s.problem(w, r, http.StatusUnprocessableEntity, hook.ErrorMessage(err), map[string]any{"code": "fifo-webhook"})
		return
	case hook.ErrorCode(err) == hook.EINVALID && !errors.As(err, new(hook.FieldErrors)):
		// Nothing matches: not a field's fault, so no errors; a code to tell it by.
		s.problem(w, r, http.StatusUnprocessableEntity, hook.ErrorMessage(err), map[string]any{"code": "nothing-matches"})
		return
	case err != nil:
		s.apiError(w, r, err)
		return
	}
	s.log.Info("recovery started", "app", c.appID, "recovery", job.ID, "kind", string(job.Kind), "total", job.Total, "key", c.key.ID)
	w.Header().Set("Location", appAPIPath(c.appID)+"/recoveries/"+job.ID)
	writeData(w, http.StatusAccepted, recoveryJSON(job))
}

// appAPIPath is the API path of an app.
func appAPIPath(appID string) string { return "/api/v1/apps/" + appID }

func (s *Server) apiRecoveryList(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	cursor, limit, ok := s.pageParams(w, r)
	if !ok {
		return
	}
	jobs, next, err := s.store.ListRecoveries(r.Context(), c.appID, store.RecoveryFilter{Cursor: cursor, Limit: limit})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	items := make([]map[string]any, len(jobs))
	for i, j := range jobs {
		items[i] = recoveryJSON(j)
	}
	writePage(w, items, next)
}

func (s *Server) apiRecoveryGet(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	job, err := s.store.GetRecovery(r.Context(), c.appID, r.PathValue("recoveryID"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeData(w, http.StatusOK, recoveryJSON(job))
}

func (s *Server) apiRecoveryCancel(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	var none struct{}
	if !s.decodeOptionalJSON(w, r, &none) {
		return
	}
	job, err := s.store.CancelRecovery(r.Context(), c.actor(), c.appID, r.PathValue("recoveryID"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	s.log.Info("recovery cancelled", "app", c.appID, "recovery", job.ID, "key", c.key.ID)
	writeData(w, http.StatusOK, recoveryJSON(job))
}

// recoveryJSON is a job in API answers: what it covers and its counts.
func recoveryJSON(j hook.Recovery) map[string]any {
	opt := func(t *time.Time) any {
		if t == nil || t.IsZero() {
			return nil
		}
		return isoTime(*t)
	}
	var webhookID any
	if j.WebhookID != "" {
		webhookID = j.WebhookID
	}
	out := map[string]any{
		"id": j.ID, "kind": string(j.Kind), "status": string(j.Status), "webhookId": webhookID,
		"since": opt(j.Since), "until": opt(j.Until), "rate": j.Rate,
		"total": j.Total, "sent": j.Sent, "succeeded": j.Succeeded, "failed": j.Failed, "skipped": j.Skipped, "interrupted": j.Interrupted,
		"startedBy": j.StartedBy, "createdAt": isoTime(j.CreatedAt), "startedAt": opt(j.StartedAt), "finishedAt": opt(j.FinishedAt),
		"error": j.Error,
	}
	if j.Kind == hook.BulkResend {
		out["filter"] = map[string]any{"status": j.FilterStatus, "eventType": j.EventType, "webhookId": j.WebhookID,
			"from": opt(j.From), "to": opt(j.To)}
	}
	return out
}
