package web

import (
	"errors"
	"net/http"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/templates"
)

// The Settings page (issue 17): the app's branding for its portal. Admins of
// the app's team only; a portal session does not see it.

func (s *Server) settingsVM(r *http.Request, c *reqCtx, b store.Branding, fe hook.FieldErrors) templates.Settings {
	vm := templates.Settings{Page: s.page(r, c, "Settings", "settings"), AppID: c.appID(),
		DisplayName: b.DisplayName, AccentColor: b.AccentColor, LogoURL: b.LogoURL, Errors: map[string]string{}}
	for _, e := range fe {
		vm.Errors[e.Field] = e.Message
	}
	return vm
}

func (s *Server) settingsPage(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	b, err := s.store.AppBranding(r.Context(), c.appID())
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.render(w, r, c, http.StatusOK, templates.SettingsPage(s.settingsVM(r, c, b, nil)))
}

func (s *Server) settingsSave(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.error(w, r, c, hook.Errorf(hook.EINVALID, "The form could not be read (too large or malformed)."))
		return
	}
	in := store.Branding{DisplayName: r.PostForm.Get("display_name"), AccentColor: r.PostForm.Get("accent_color"), LogoURL: r.PostForm.Get("logo_url")}
	fe := formTextErrors(r)
	var err error
	if fe == nil {
		_, err = s.store.SetAppBranding(r.Context(), c.actor(), c.appID(), in)
	}
	if fe != nil || errors.As(err, &fe) {
		s.render(w, r, c, http.StatusUnprocessableEntity, templates.SettingsPage(s.settingsVM(r, c, in, fe)))
		return
	}
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.log.Info("app branding saved", "app", c.appID(), "user", c.user.ID)
	c.flash("success", "Settings saved. Portal pages show them from the next page they open.")
	s.redirect(w, r, c, "/apps/"+c.appID()+"/settings")
}
