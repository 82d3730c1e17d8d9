package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/templates"
)

// maskSecret shows whsec_, bullets and the last four characters.
func maskSecret(last4 string) string {
	return "whsec_" + strings.Repeat("•", 12) + last4
}

// secretReveal shows the webhook page with the secret in full (POST, so the
// reveal is a deliberate, audited act and never a cached page).
func (s *Server) secretReveal(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	secret, err := s.store.RevealSecret(r.Context(), c.actor(), c.appID(), r.PathValue("id"), "secret.reveal")
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.log.Info("signing secret revealed", "app", c.appID(), "webhook", r.PathValue("id"), "user", c.user.ID)
	s.renderWebhookDetail(w, r, c, secret)
}

// secretCopy answers the Copy button's fetch with the secret as JSON.
func (s *Server) secretCopy(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	secret, err := s.store.RevealSecret(r.Context(), c.actor(), c.appID(), r.PathValue("id"), "secret.copy")
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.log.Info("signing secret copied", "app", c.appID(), "webhook", r.PathValue("id"), "user", c.user.ID)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]string{"secret": secret})
}

func (s *Server) secretRotateConfirm(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	wh, err := s.store.Webhook(r.Context(), c.appID(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	// The confirm page is a GET (values in the query) or the answer to an
	// unconfirmed POST (values in the body, read with the 256 KiB cap);
	// never r.FormValue, which would parse a multipart body of any size.
	vals := r.URL.Query()
	if r.Method == http.MethodPost {
		vals = r.PostForm
	}
	current := vals.Get("current")
	if current == "" {
		info, err := s.store.SecretInfo(r.Context(), c.appID(), wh.ID)
		if err != nil {
			s.error(w, r, c, err)
			return
		}
		current = info.ID
	}
	vm := templates.RotateSecret{Page: s.page(r, c, "Rotate secret", "webhooks"), AppID: c.appID(), WebhookID: wh.ID, Name: wh.Name,
		SecretID: current, ExpireOldNow: vals.Get("expire_old") == "now"}
	s.render(w, r, c, http.StatusOK, templates.RotateSecretPage(vm))
}

// secretRotate rotates once confirmed (confirm=yes, from the confirm page or
// the JavaScript dialog); without it, it shows the confirm page.
func (s *Server) secretRotate(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil || r.PostForm.Get("confirm") != "yes" {
		s.secretRotateConfirm(w, r, c)
		return
	}
	wh, err := s.store.Webhook(r.Context(), c.appID(), r.PathValue("id"))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	expireNow := r.PostForm.Get("expire_old") == "now"
	secret, err := s.store.RotateSecret(r.Context(), c.actor(), c.appID(), wh.ID, expireNow, "", r.PostForm.Get("current"))
	if err == store.ErrAlreadyRotated {
		// The form was sent again (a reload): the secret shown the first
		// time is the current one; do not replace it.
		c.flash("info", "The signing secret was already rotated from this form, so nothing changed. Reveal it below if you did not copy it.")
		s.redirect(w, r, c, "/apps/"+c.appID()+"/webhooks/"+wh.ID)
		return
	}
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.log.Info("signing secret rotated", "app", c.appID(), "webhook", wh.ID, "user", c.user.ID, "expire_old_now", expireNow)
	vm := templates.NewSecret{Page: s.page(r, c, "New signing secret", "webhooks"), AppID: c.appID(), WebhookID: wh.ID, Name: wh.Name, Secret: secret, Rotated: true}
	if !expireNow {
		until := s.now().Add(store.RotationGrace).UTC().Truncate(time.Second)
		vm.OldExpiry = &until
	}
	s.render(w, r, c, http.StatusOK, templates.NewSecretPage(vm))
}
