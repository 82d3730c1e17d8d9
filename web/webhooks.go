package web

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/templates"
)

// maxFormBytes bounds every dashboard form.
const maxFormBytes = 256 << 10

func (s *Server) webhookList(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	webhooks, err := s.store.ListWebhooks(r.Context(), c.appID())
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	rows, err := s.webhookRows(r, c, webhooks)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	vm := templates.WebhookList{Page: s.page(r, c, "Webhooks", "webhooks"), AppID: c.appID(), Rows: rows}
	s.render(w, r, c, http.StatusOK, templates.WebhookListPage(vm))
}

// webhookRows builds the list's rows, with each webhook's health from the
// store's figures for the whole app.
func (s *Server) webhookRows(r *http.Request, c *reqCtx, webhooks []hook.Webhook) ([]templates.WebhookRow, error) {
	now := s.now()
	figures, err := s.store.WebhookHealth(r.Context(), c.appID(), dayStart(now))
	if err != nil {
		return nil, err
	}
	out := make([]templates.WebhookRow, 0, len(webhooks))
	for _, wh := range webhooks {
		f := figures[wh.ID]
		row := templates.WebhookRow{ID: wh.ID, Name: wh.Name, URL: wh.URL, Active: wh.Active, Disabled: wh.DisabledReason,
			SuccessRate: "—", RateTitle: "No attempts in the last 24 hours", Health: healthVM(wh, f, now)}
		if f.Total > 0 {
			row.SuccessRate = formatRate(f.Succeeded, f.Total)
			row.RateTitle = fmt.Sprintf("%d of %d attempts succeeded in the last 24 hours", f.Succeeded, f.Total)
			if f.Total >= store.HealthCap {
				row.RateTitle = fmt.Sprintf("%d of the latest %d attempts of the last 24 hours succeeded", f.Succeeded, f.Total)
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// healthVM judges a webhook's figures (hook.HealthOf) for the pages.
func healthVM(wh hook.Webhook, f store.HealthFigures, now time.Time) templates.Health {
	state, reason := hook.HealthOf(hook.HealthInput{Active: wh.Active, Total24h: f.Total, Succeeded24h: f.Succeeded,
		RecentFailed: f.RecentFailed, AnyAttempt: !f.LastAt.IsZero()})
	if f.Total >= store.HealthCap && state != hook.HealthDisabled {
		reason += fmt.Sprintf(" (Busy: figures of the latest %d attempts.)", store.HealthCap)
	}
	if wh.DisabledReason != "" {
		reason = "Hookboard turned it off: " + wh.DisabledReason
	} else if !wh.Active {
		reason = "An administrator turned it off: nothing is being delivered."
	}
	h := templates.Health{State: string(state), Label: hook.HealthLabel(state), Reason: reason, LastAt: f.LastAt,
		LastOK: f.LastSucceeded, Latency: "—", Now: now}
	if !f.LastAt.IsZero() {
		h.LastStatus = hook.ResponseStatusLabel(f.LastStatus, f.LastError)
	}
	if f.Total > 0 && f.LatencyP50 >= 0 {
		h.Latency = formatLatency(f.LatencyP50)
	}
	return h
}

func formatLatency(ms int) string {
	if ms < 1 {
		return "<1 ms"
	}
	return fmt.Sprintf("%d ms", ms)
}

func formatRate(ok, total int) string {
	pct := float64(ok) * 100 / float64(total)
	if ok == total {
		return "100 %"
	}
	return fmt.Sprintf("%.1f %%", pct)
}

// webhookForm parses the create and edit form. checkInput has read it
// already; fields that are not valid text come back as field errors.
func webhookForm(w http.ResponseWriter, r *http.Request) (hook.WebhookInput, hook.FieldErrors, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return hook.WebhookInput{}, nil, hook.Errorf(hook.EINVALID, "The form could not be read (too large or malformed).")
	}
	f := r.PostForm
	in := hook.WebhookInput{
		Name:         f.Get("name"),
		URL:          f.Get("url"),
		Description:  f.Get("description"),
		Events:       f["events"],
		Active:       f.Get("active") != "",
		AuthType:     f.Get("auth_type"),
		AuthUsername: f.Get("auth_username"),
		AuthPassword: f.Get("auth_password"),
		AuthHeader:   f.Get("auth_header"),
		AuthValue:    f.Get("auth_value"),
		Secret:       f.Get("secret"),
	}
	policyErrs := policyForm(f, &in)
	in.Normalize()
	return in, append(formTextErrors(r), policyErrs...), nil
}

// formVM builds the form's view model: the catalog as checkboxes (plus any
// type the input or webhook has that the catalog lacks, such as archived
// ones), and the user's values — never a typed secret.
func (s *Server) formVM(r *http.Request, c *reqCtx, title string, in hook.WebhookInput, existing *hook.Webhook, fe hook.FieldErrors) (templates.WebhookForm, error) {
	catalog, err := s.store.ListEventTypes(r.Context(), c.appID(), true)
	if err != nil {
		return templates.WebhookForm{}, err
	}
	vm := templates.WebhookForm{
		Page: s.page(r, c, title, "webhooks"), AppID: c.appID(), Action: "/apps/" + c.appID() + "/webhooks/new",
		Name: in.Name, URL: in.URL, Description: in.Description, Active: in.Active,
		AllEvents: slices.Contains(in.Events, hook.AllEvents), AuthType: in.AuthType,
		AuthUsername: in.AuthUsername, AuthHeader: in.AuthHeader, Errors: map[string]string{},
		AllowHTTP: s.targets.AllowHTTP,
	}
	if existing != nil {
		vm.WebhookID = existing.ID
		vm.Action = "/apps/" + c.appID() + "/webhooks/" + existing.ID + "/edit"
		vm.HasCredential = existing.HasAuthSecret && existing.AuthType == in.AuthType
		vm.CanSetSecret = true
	}
	listed := map[string]bool{}
	for _, et := range catalog {
		checked := slices.Contains(in.Events, et.Name)
		had := existing != nil && slices.Contains(existing.Events, et.Name)
		if et.Archived() && !checked && !had {
			continue
		}
		listed[et.Name] = true
		vm.Events = append(vm.Events, templates.EventChoice{Name: et.Name, Description: et.Description, Checked: checked, Archived: et.Archived()})
	}
	for _, e := range in.Events {
		if e != hook.AllEvents && !listed[e] {
			vm.Events = append(vm.Events, templates.EventChoice{Name: e, Checked: true})
		}
	}
	for _, e := range fe {
		vm.Errors[e.Field] = e.Message
	}
	vm.Reenter = len(fe) > 0 && (in.AuthPassword != "" || in.AuthValue != "" || in.Secret != "" ||
		slices.ContainsFunc(in.Headers, func(h hook.Header) bool { return h.Value != "" }))
	vm.Policy = policyFormVM(in, existing, r.PostFormValue("rate_limit"))
	return vm, nil
}

// showForm renders the create or edit form: 200 when first shown, 422 with
// the field errors after a failed submit.
func (s *Server) showForm(w http.ResponseWriter, r *http.Request, c *reqCtx, title string, in hook.WebhookInput, existing *hook.Webhook, fe hook.FieldErrors) {
	vm, err := s.formVM(r, c, title, in, existing, fe)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	status := http.StatusOK
	if len(fe) > 0 {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, c, status, templates.WebhookFormPage(vm))
}

func (s *Server) webhookNew(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	s.showForm(w, r, c, "Add webhook", hook.WebhookInput{Active: true, AuthType: hook.AuthNone}, nil, nil)
}

func (s *Server) webhookCreate(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	in, textErrs, err := webhookForm(w, r)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	if len(textErrs) > 0 {
		s.showForm(w, r, c, "Add webhook", in, nil, textErrs)
		return
	}
	wh, secret, err := s.store.CreateWebhook(r.Context(), c.actor(), c.appID(), in, s.targets)
	var fe hook.FieldErrors
	if errors.As(err, &fe) {
		s.showForm(w, r, c, "Add webhook", in, nil, fe)
		return
	}
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.log.Info("webhook created", "app", c.appID(), "webhook", wh.ID, "user", c.user.ID)
	// The secret is shown in full once, in the answer to this POST; it is
	// never put in the session or a URL.
	vm := templates.NewSecret{Page: s.page(r, c, "Webhook created", "webhooks"), AppID: c.appID(), WebhookID: wh.ID, Name: wh.Name, Secret: secret}
	s.render(w, r, c, http.StatusOK, templates.NewSecretPage(vm))
}

func (s *Server) webhookDetail(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	s.renderWebhookDetail(w, r, c, "")
}

// renderWebhookDetail shows a webhook's page, with the signing secret in full
// when revealed is set and masked otherwise.
func (s *Server) renderWebhookDetail(w http.ResponseWriter, r *http.Request, c *reqCtx, revealed string) {
	wh, err := s.store.Webhook(r.Context(), c.appID(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	info, err := s.store.SecretInfo(r.Context(), c.appID(), wh.ID)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	chart, err := s.chartData(r, c.appID(), wh.ID, wh.CreatedAt)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	vm := templates.WebhookDetail{
		Page: s.page(r, c, wh.Name, "webhooks"), AppID: c.appID(), ID: wh.ID, Name: wh.Name, URL: wh.URL,
		Description: wh.Description, Active: wh.Active, DisabledReason: wh.DisabledReason, Events: wh.Events,
		AuthType: hook.AuthTypeLabel(wh.AuthType), CreatedAt: wh.CreatedAt, UpdatedAt: wh.UpdatedAt,
		Secret: maskSecret(info.Last4), SecretID: info.ID, Revealed: revealed != "", PreviousExpires: info.PreviousExpires,
		Chart: chart,
	}
	figures, err := s.store.WebhookHealthOf(r.Context(), wh.ID, dayStart(s.now()))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	vm.Health = healthVM(wh, figures, s.now())
	vm.Recovery = s.recoveryForms(r, c, wh)
	if vm.Policy, err = s.policyFacts(r.Context(), wh); err != nil {
		s.error(w, r, c, err)
		return
	}
	if revealed != "" {
		vm.Secret = revealed
	}
	switch wh.AuthType {
	case hook.AuthBasic:
		vm.AuthDetail = "user " + wh.AuthUsername + ", password stored encrypted"
	case hook.AuthAPIKey:
		vm.AuthDetail = "header " + wh.AuthHeader + ", value stored encrypted"
	}
	s.render(w, r, c, http.StatusOK, templates.WebhookDetailPage(vm))
}

func webhookInputOf(wh hook.Webhook) hook.WebhookInput {
	in := hook.WebhookInput{Name: wh.Name, URL: wh.URL, Description: wh.Description, Events: wh.Events,
		Active: wh.Active, AuthType: wh.AuthType, AuthUsername: wh.AuthUsername, AuthHeader: wh.AuthHeader}
	policyInputOf(wh, &in)
	return in
}

func (s *Server) webhookEdit(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	wh, err := s.store.Webhook(r.Context(), c.appID(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.showForm(w, r, c, "Edit "+wh.Name, webhookInputOf(wh), &wh, nil)
}

func (s *Server) webhookUpdate(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	wh, err := s.store.Webhook(r.Context(), c.appID(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	in, textErrs, err := webhookForm(w, r)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	if len(textErrs) > 0 {
		s.showForm(w, r, c, "Edit "+wh.Name, in, &wh, textErrs)
		return
	}
	updated, err := s.store.UpdateWebhook(r.Context(), c.actor(), c.appID(), wh.ID, in, s.targets)
	var fe hook.FieldErrors
	if errors.As(err, &fe) {
		s.showForm(w, r, c, "Edit "+wh.Name, in, &wh, fe)
		return
	}
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.log.Info("webhook updated", "app", c.appID(), "webhook", wh.ID, "user", c.user.ID)
	c.flash("success", "Webhook “"+updated.Name+"” updated.")
	s.redirect(w, r, c, "/apps/"+c.appID()+"/webhooks/"+wh.ID)
}

func (s *Server) webhookDeleteConfirm(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	wh, err := s.store.Webhook(r.Context(), c.appID(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	vm := templates.DeleteWebhook{Page: s.page(r, c, "Delete "+wh.Name, "webhooks"), AppID: c.appID(), ID: wh.ID, Name: wh.Name, URL: wh.URL}
	s.render(w, r, c, http.StatusOK, templates.DeleteWebhookPage(vm))
}

// webhookDelete deletes once confirmed (confirm=yes, from the confirm page or
// the JavaScript dialog); without it, it shows the confirm page.
func (s *Server) webhookDelete(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("confirm") != "yes" {
		s.webhookDeleteConfirm(w, r, c)
		return
	}
	wh, err := s.store.Webhook(r.Context(), c.appID(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	if err := s.store.DeleteWebhook(r.Context(), c.actor(), c.appID(), wh.ID); err != nil {
		s.error(w, r, c, err)
		return
	}
	s.log.Info("webhook deleted", "app", c.appID(), "webhook", wh.ID, "user", c.user.ID)
	c.flash("success", "Webhook “"+wh.Name+"” deleted.")
	s.redirect(w, r, c, "/apps/"+c.appID()+"/webhooks")
}
