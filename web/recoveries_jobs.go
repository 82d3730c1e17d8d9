package web

import (
	"net/http"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/templates"
)

// recoveryList lists the app's recovery jobs, newest first.
func (s *Server) recoveryList(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	q := r.URL.Query()
	cursor := q.Get("cursor")
	jobs, next, err := s.store.ListRecoveries(r.Context(), c.appID(), store.RecoveryFilter{Cursor: cursor})
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	names, err := s.webhookNames(r, c)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	vm := templates.RecoveryList{Page: s.page(r, c, "Recovery jobs", "recoveries"), AppID: c.appID()}
	for _, j := range jobs {
		vm.Rows = append(vm.Rows, recoveryVM(j, names[j.WebhookID], s.now()))
	}
	vm.NextURL, vm.NewestURL = eventLogLinks(q, next, cursor)
	s.render(w, r, c, http.StatusOK, templates.RecoveryListPage(vm))
}

// webhookNames maps the app's webhook ids to their names.
func (s *Server) webhookNames(r *http.Request, c *reqCtx) (map[string]string, error) {
	webhooks, err := s.store.ListWebhooks(r.Context(), c.appID())
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(webhooks))
	for _, wh := range webhooks {
		names[wh.ID] = wh.Name
	}
	return names, nil
}

// recoveryPage shows a job: its figures as of now (recovery.js refreshes
// them while it runs), what it covers, who started it, and Cancel.
func (s *Server) recoveryPage(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	job, err := s.store.GetRecovery(r.Context(), c.appID(), r.PathValue("recoveryID"))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	var wh hook.Webhook
	if job.WebhookID != "" {
		wh, err = s.store.Webhook(r.Context(), c.appID(), job.WebhookID)
		if err != nil && hook.ErrorCode(err) != hook.ENOTFOUND {
			s.error(w, r, c, err)
			return
		}
	}
	vm := templates.RecoveryPage{Page: s.page(r, c, templates.KindLabel(string(job.Kind))+" · Recovery job", "recoveries"),
		AppID: c.appID(), Job: recoveryVM(job, wh.Name, s.now()), AsOf: s.now()}
	if wh.RateLimit > 0 && wh.RateLimit < job.Rate {
		// The webhook's limit, shared with its traffic, sets the pace.
		vm.Job.Limit = wh.RateLimit
		if vm.Job.Remaining != "" && !vm.Job.Observed {
			vm.Job.Remaining = durationWords(job.Remaining(), wh.RateLimit)
		}
	}
	vm.CanCancel = job.Status.Open() && mayRun(c, job.Kind)
	s.render(w, r, c, http.StatusOK, templates.RecoveryPageView(vm))
}

// mayRun reports whether the user may start or cancel a job of kind:
// support agents may resend (Recover, Bulk resend); Replay is for admins.
func mayRun(c *reqCtx, kind hook.RecoveryKind) bool {
	return kind != hook.ReplayMissing || c.canChange()
}

// recoveryCancel cancels a queued or running job, once confirmed: app.js's
// dialog adds confirm=yes; without JavaScript a confirm page asks. (The
// button says "Stop", so the dialogs' own "Cancel" is not ambiguous.)
func (s *Server) recoveryCancel(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	job, err := s.store.GetRecovery(r.Context(), c.appID(), r.PathValue("recoveryID"))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	if !mayRun(c, job.Kind) {
		s.error(w, r, c, hook.Errorf(hook.EFORBIDDEN, "Only admins may cancel a replay."))
		return
	}
	page := "/apps/" + c.appID() + "/recoveries/" + job.ID
	if confirmed(w, r) != nil {
		s.confirm(w, r, c, "Stop this job?", "What it has sent stays sent; the rest is not sent. The job ends as cancelled.", "Stop the job", page)
		return
	}
	job, err = s.store.CancelRecovery(r.Context(), c.actor(), c.appID(), job.ID)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.log.Info("recovery cancelled", "app", c.appID(), "recovery", job.ID, "user", c.user.ID)
	c.flash("success", templates.KindLabel(string(job.Kind))+" cancelled: it sends nothing more.")
	s.redirect(w, r, c, page)
}

// recoveryVM is a job as the pages show it at now; webhookName names its
// webhook ("" when it has none or it was deleted).
func recoveryVM(j hook.Recovery, webhookName string, now time.Time) templates.RecoveryVM {
	vm := templates.RecoveryVM{
		ID: j.ID, Kind: string(j.Kind), KindLabel: templates.KindLabel(string(j.Kind)), Status: string(j.Status),
		WebhookID: j.WebhookID, WebhookName: webhookName, Rate: j.Rate,
		Total: j.Total, Sent: j.Sent, Succeeded: j.Succeeded, Failed: j.Failed, Skipped: j.Skipped, Interrupted: j.Interrupted,
		Done: j.Processed(), StartedBy: j.StartedBy, CreatedAt: j.CreatedAt,
		StartedAt: j.StartedAt, FinishedAt: j.FinishedAt, Error: j.Error,
	}
	if j.WebhookID != "" && webhookName == "" {
		vm.WebhookName, vm.WebhookGone = "(deleted webhook)", true
	}
	if j.Status.Open() && j.Remaining() > 0 {
		vm.Remaining, vm.Observed = timeLeft(j, now)
	}
	vm.Scope = recoveryScope(j)
	return vm
}

// recoveryScope says in words what a job covers.
func recoveryScope(j hook.Recovery) []templates.Fact {
	var out []templates.Fact
	add := func(label, field string, v string) {
		if v != "" {
			out = append(out, templates.Fact{Label: label, Value: v, Field: field})
		}
	}
	add("Since", "since", formatTime(j.Since))
	add("Until", "until", formatTime(j.Until))
	if j.Kind == hook.BulkResend {
		status := j.FilterStatus
		if status == "" {
			status = "failed or retrying"
		}
		add("Status", "filter-status", status)
		add("Event type", "filter-event-type", j.EventType)
		add("From", "filter-from", formatTime(j.From))
		add("To", "filter-to", formatTime(j.To))
	}
	return out
}

// formatTime is an optional time in UTC, "" when unset.
func formatTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// timeLeft estimates how long a running job still takes: from its pace so
// far (done since it started over the time since) when it has one, since a
// slow endpoint holds it below its rate; else at its rate, which is the
// fastest it goes. observed says which.
func timeLeft(j hook.Recovery, now time.Time) (words string, observed bool) {
	if j.StartedAt != nil && j.Processed() > 0 {
		if elapsed := now.Sub(*j.StartedAt); elapsed >= time.Second {
			perItem := elapsed / time.Duration(j.Processed())
			return etaWords(perItem * time.Duration(j.Remaining())), true
		}
	}
	return durationWords(j.Remaining(), j.Rate), false
}
