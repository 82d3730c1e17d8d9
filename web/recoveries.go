package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/templates"
)

// The recovery pages: Recover and Replay missing start from a webhook's
// page, Bulk resend from the filtered Events page. Each GET previews (how
// many, how fast) and its Confirm POSTs to the same path to start the job;
// the job's page shows it as it runs.

func (s *Server) recoverPreview(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	s.webhookJob(w, r, c, hook.RecoveryRecover, false)
}

func (s *Server) recoverStart(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	s.webhookJob(w, r, c, hook.RecoveryRecover, true)
}

func (s *Server) replayPreview(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	s.webhookJob(w, r, c, hook.RecoveryReplay, false)
}

func (s *Server) replayStart(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	s.webhookJob(w, r, c, hook.RecoveryReplay, true)
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
	}
	if kind == hook.RecoveryReplay {
		vm.Page.Title, vm.Heading, vm.Action, vm.Until = "Replay missing events · "+wh.Name, "Replay missing events", base+"/replay", ""
	}
	if !start {
		vm.Running = s.runningRef(r, c, wh.ID)
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
// are, else the store's count (or its field errors), or, when start is
// set, the job started and its page.
func (s *Server) previewOrStart(w http.ResponseWriter, r *http.Request, c *reqCtx, vm *templates.RecoveryPreview, spec hook.RecoverySpec, start bool) {
	if len(vm.Errors) > 0 {
		s.render(w, r, c, http.StatusUnprocessableEntity, templates.RecoveryPreviewPage(*vm))
		return
	}
	if !start {
		n, err := s.store.PreviewRecovery(r.Context(), c.appID(), spec)
		if !s.recoveryFieldErrors(w, r, c, vm, err) {
			return
		}
		vm.Previewed, vm.Count, vm.Rate, vm.Duration = true, n, s.recoveryRate, durationWords(n, s.recoveryRate)
		s.render(w, r, c, http.StatusOK, templates.RecoveryPreviewPage(*vm))
		return
	}
	job, err := s.store.StartRecovery(r.Context(), c.actor(), c.appID(), spec, s.recoveryRate)
	var conflict *store.RecoveryConflict
	if errors.As(err, &conflict) {
		vm.Conflict = s.conflictRef(r, c, conflict.ID)
		s.render(w, r, c, http.StatusConflict, templates.RecoveryPreviewPage(*vm))
		return
	}
	if !s.recoveryFieldErrors(w, r, c, vm, err) {
		return
	}
	s.log.Info("recovery started", "app", c.appID(), "recovery", job.ID, "kind", string(job.Kind), "total", job.Total, "user", c.user.ID)
	c.flash("success", templates.KindLabel(string(job.Kind))+" started: "+countOf(job.Total, "delivery", "deliveries")+" to send at "+strconv.Itoa(job.Rate)+" per second.")
	s.redirect(w, r, c, "/apps/"+c.appID()+"/recoveries/"+job.ID)
}

// recoveryFieldErrors shows the store's field errors beside the fields
// (422) and reports true when err is nil; any other error is the error page.
func (s *Server) recoveryFieldErrors(w http.ResponseWriter, r *http.Request, c *reqCtx, vm *templates.RecoveryPreview, err error) bool {
	if err == nil {
		return true
	}
	var fe hook.FieldErrors
	if !errors.As(err, &fe) {
		s.error(w, r, c, err)
		return false
	}
	for _, e := range fe {
		vm.Errors[recoveryFormField(e.Field)] = e.Message
	}
	s.render(w, r, c, http.StatusUnprocessableEntity, templates.RecoveryPreviewPage(*vm))
	return false
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
	ref := &templates.RecoveryRef{ID: id, Kind: "recovery", Status: "running"}
	if job, err := s.store.GetRecovery(r.Context(), c.appID(), id); err == nil {
		ref.Kind, ref.Status = string(job.Kind), string(job.Status)
	}
	return ref
}

// recoveryForms are the webhook page's Recover and Replay forms, with the
// job running for it, if any.
func (s *Server) recoveryForms(r *http.Request, c *reqCtx, webhookID string) templates.RecoveryForms {
	return templates.RecoveryForms{AppID: c.appID(), WebhookID: webhookID, CanReplay: c.canChange(), Running: s.runningRef(r, c, webhookID)}
}

// runningRef is the job queued or running for a webhook, or nil. Not
// knowing is no reason to fail the page: the start would say 409.
func (s *Server) runningRef(r *http.Request, c *reqCtx, webhookID string) *templates.RecoveryRef {
	job, err := s.store.RunningRecovery(r.Context(), c.appID(), webhookID)
	if err != nil || job == nil {
		if err != nil && !clientGone(r) {
			s.log.Warn("running recovery", "app", c.appID(), "webhook", webhookID, "err", err)
		}
		return nil
	}
	return &templates.RecoveryRef{ID: job.ID, Kind: string(job.Kind), Status: string(job.Status)}
}
