package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/templates"
)

// The recovery pages: Recover and Replay missing start from a webhook's
// page, Bulk resend from the filtered Events page. Each GET previews (how
// many, how fast) and its Confirm POSTs to the same path to start the job;
// the job's page shows it as it runs.

func (s *Server) recoverPreview(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	s.webhookJob(w, r, c, hook.RecoverFailed, false)
}

func (s *Server) recoverStart(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	s.webhookJob(w, r, c, hook.RecoverFailed, true)
}

func (s *Server) replayPreview(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	s.webhookJob(w, r, c, hook.ReplayMissing, false)
}

func (s *Server) replayStart(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	s.webhookJob(w, r, c, hook.ReplayMissing, true)
}

// webhookJob previews (GET) or starts (POST) a recover or replay job of
// the webhook in the path.
func (s *Server) webhookJob(w http.ResponseWriter, r *http.Request, c *reqCtx, kind hook.RecoveryKind, start bool) {
	wh, err := s.store.Webhook(r.Context(), c.appID(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	vals := r.URL.Query()
	if start {
		vals = r.PostForm
	}
	base := "/apps/" + c.appID() + "/webhooks/" + wh.ID
	vm := templates.RecoveryPreview{
		Page: s.page(r, c, "Recover failed deliveries · "+wh.Name, "webhooks"), AppID: c.appID(), Kind: string(kind),
		Heading: "Recover failed deliveries", WebhookID: wh.ID, WebhookName: wh.Name,
		Since: vals.Get("since"), Until: vals.Get("until"), Action: base + "/recover", Back: base, Errors: map[string]string{},
		Window: s.recoveryWindow(),
	}
	if kind == hook.ReplayMissing {
		vm.Page.Title, vm.Heading, vm.Action, vm.Until = "Replay missing events · "+wh.Name, "Replay missing events", base+"/replay", ""
	}
	if !start {
		vm.Running = s.runningRef(r, c, wh.ID)
	}
	if msg := turnedOff(kind, wh); msg != "" {
		// Every item would be skipped: refuse, as Replay does.
		vm.Refused = msg
		s.render(w, r, c, http.StatusConflict, templates.RecoveryPreviewPage(vm))
		return
	}
	if !start && !vals.Has("since") {
		// Opened without the form's values (a link): the form, no preview.
		s.render(w, r, c, http.StatusOK, templates.RecoveryPreviewPage(vm))
		return
	}
	spec := hook.RecoverySpec{Kind: kind, WebhookID: wh.ID}
	var ok bool
	if spec.Since, ok = parseDateTime(vm.Since); !ok {
		vm.Errors["since"] = dateTimeHint
	}
	if spec.Until, ok = parseDateTime(vm.Until); !ok {
		vm.Errors["until"] = dateTimeHint
	}
	s.previewOrStart(w, r, c, &vm, spec, start)
}

// previewOrStart finishes a preview page: with the form's errors as they
// are, else the spec's (retention included) or the store's, else the count
// and pace, or, when start is set, the job started and its page.
func (s *Server) previewOrStart(w http.ResponseWriter, r *http.Request, c *reqCtx, vm *templates.RecoveryPreview, spec hook.RecoverySpec, start bool) {
	if len(vm.Errors) == 0 {
		s.addFieldErrors(vm, spec.Validate(s.now(), s.retention))
	}
	if len(vm.Errors) > 0 {
		s.render(w, r, c, http.StatusUnprocessableEntity, templates.RecoveryPreviewPage(*vm))
		return
	}
	if !start {
		p, err := s.store.PreviewRecovery(r.Context(), c.appID(), spec, s.recoveryRate, previewCap)
		if err == nil && spec.Kind == hook.BulkResend {
			err = s.bulkPreviewChecks(r, c, vm, spec, p.Count)
		}
		if s.recoveryRefused(w, r, c, vm, err) {
			return
		}
		vm.Previewed, vm.Count, vm.More, vm.Rate, vm.Duration, vm.Webhooks, vm.Limited = true, p.Count, p.More, p.Rate, etaWords(p.ETA), p.Webhooks, p.Limited
		s.render(w, r, c, http.StatusOK, templates.RecoveryPreviewPage(*vm))
		return
	}
	if spec.Kind == hook.BulkResend {
		if msg, err := s.bulkAllOff(r, c.appID(), spec); err != nil || msg != "" {
			if err == nil {
				err = hook.Errorf(hook.ECONFLICT, "%s", msg)
			}
			s.recoveryRefused(w, r, c, vm, err)
			return
		}
	}
	job, err := s.store.StartRecovery(r.Context(), c.actor(), c.appID(), spec, s.recoveryRate)
	if s.recoveryRefused(w, r, c, vm, err) {
		return
	}
	s.log.Info("recovery started", "app", c.appID(), "recovery", job.ID, "kind", string(job.Kind), "total", job.Total, "user", c.user.ID)
	c.flash("success", templates.KindLabel(string(job.Kind))+" started: "+countOf(job.Total, "delivery", "deliveries")+
		" to send at most "+strconv.Itoa(job.Rate)+" per second per webhook (a webhook's own lower rate limit sets its pace).")
	s.redirect(w, r, c, "/apps/"+c.appID()+"/recoveries/"+job.ID)
}

// addFieldErrors puts a spec's field errors beside the form's fields; any
// other error is left for the store to say again.
func (s *Server) addFieldErrors(vm *templates.RecoveryPreview, err error) {
	var fe hook.FieldErrors
	if errors.As(err, &fe) {
		for _, e := range fe {
			vm.Errors[recoveryFormField(e.Field)] = e.Message
		}
	}
}

// recoveryRefused shows why the store refused a preview or start, and
// reports whether it did: field errors beside the fields (422), nothing to
// do or a webhook that is off on the page (422, 409), another job running
// for the webhook as a flash linking it (409); anything else is the error page.
func (s *Server) recoveryRefused(w http.ResponseWriter, r *http.Request, c *reqCtx, vm *templates.RecoveryPreview, err error) bool {
	var fe hook.FieldErrors
	var running *hook.RecoveryRunningError
	switch {
	case err == nil:
		return false
	case errors.As(err, &running):
		vm.Conflict = s.conflictRef(r, c, running.RecoveryID)
		if vm.Kind == string(hook.BulkResend) {
			vm.Conflict.WebhookID, vm.Conflict.WebhookName = running.WebhookID, s.webhookName(r, c.appID(), running.WebhookID)
		}
		s.render(w, r, c, http.StatusConflict, templates.RecoveryPreviewPage(*vm))
	case errors.As(err, &fe):
		s.addFieldErrors(vm, fe)
		s.render(w, r, c, http.StatusUnprocessableEntity, templates.RecoveryPreviewPage(*vm))
	case hook.ErrorCode(err) == hook.EINVALID || hook.ErrorCode(err) == hook.ECONFLICT:
		status := http.StatusUnprocessableEntity
		if hook.ErrorCode(err) == hook.ECONFLICT {
			status = http.StatusConflict
		}
		vm.Refused = hook.ErrorMessage(err)
		s.render(w, r, c, status, templates.RecoveryPreviewPage(*vm))
	default:
		s.error(w, r, c, err)
	}
	return true
}

// recoveryFormField names a spec field (as the API does) the way the
// forms do.
func recoveryFormField(f string) string {
	switch f {
	case "eventType":
		return "event_type"
	case "webhookId":
		return "webhook"
	}
	return f
}

// conflictRef is the running job a start ran into, for the flash's link.
func (s *Server) conflictRef(r *http.Request, c *reqCtx, id string) *templates.RecoveryRef {
	ref := &templates.RecoveryRef{ID: id, Kind: "recovery", Status: string(hook.RecoveryRunning)}
	if job, err := s.store.GetRecovery(r.Context(), c.appID(), id); err == nil {
		ref.Kind, ref.Status = string(job.Kind), string(job.Status)
	}
	return ref
}

// recoveryForms are the webhook page's Recover and Replay forms, with the
// job running for it, if any.
func (s *Server) recoveryForms(r *http.Request, c *reqCtx, wh hook.Webhook) templates.RecoveryForms {
	return templates.RecoveryForms{AppID: c.appID(), WebhookID: wh.ID, CanReplay: c.canChange(), Running: s.runningRef(r, c, wh.ID),
		Window: s.recoveryWindow(), Off: !wh.Active, FIFO: wh.Ordering == hook.OrderingFIFO}
}

// recoveryWindow is how far back a recovery may reach (the retention), for
// the forms' date-time inputs (the server checks again). No max: "now" at
// load would refuse a time typed a minute later; the server checks it.
func (s *Server) recoveryWindow() templates.TimeWindow {
	now := s.now().UTC().Truncate(time.Minute)
	var w templates.TimeWindow
	if s.retention > 0 {
		w.Min = formDateTime(now.Add(-s.retention).Add(time.Minute))
	}
	return w
}

// runningRef is the job queued or running for a webhook, or nil. Not
// knowing is no reason to fail the page: a start would say 409.
func (s *Server) runningRef(r *http.Request, c *reqCtx, webhookID string) *templates.RecoveryRef {
	job, ok, err := s.store.OpenRecovery(r.Context(), c.appID(), webhookID)
	if err != nil && !clientGone(r) {
		s.log.Warn("open recovery of a webhook", "app", c.appID(), "webhook", webhookID, "err", err)
	}
	if err != nil || !ok {
		return nil
	}
	return &templates.RecoveryRef{ID: job.ID, Kind: string(job.Kind), Status: string(job.Status)}
}
