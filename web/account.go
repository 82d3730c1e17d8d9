package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/templates"
)

// mustChangeRedirect sends a user whose password someone else set to the
// Account page, remembering where they were going (next).
func mustChangeRedirect(w http.ResponseWriter, r *http.Request, next string) {
	target := "/account"
	if next != "" && next != "/" {
		target += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (s *Server) accountVM(r *http.Request, c *reqCtx) (templates.Account, error) {
	vm := templates.Account{Page: s.page(r, c, "Account", "account"), MustChange: c.user.MustChangePassword, Errors: map[string]string{}}
	if vm.MustChange {
		if next := safeNext(r.FormValue("next")); next != "/" {
			vm.Next = next
		}
		return vm, nil
	}
	token, _ := c.sess.Values["token"].(string)
	list, err := s.store.ListSessions(r.Context(), c.user.ID, token)
	if err != nil {
		return vm, err
	}
	for _, se := range list {
		row := templates.SessionRow{CreatedAt: se.CreatedAt, UserAgent: se.UserAgent, Address: se.ClientIP, Current: se.Current}
		if se.LastSeenAt.Valid {
			row.LastSeenAt = se.LastSeenAt.Time
		}
		vm.Sessions = append(vm.Sessions, row)
	}
	return vm, nil
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
	c := s.signedInAny(w, r)
	if c == nil {
		return
	}
	vm, err := s.accountVM(r, c)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.render(w, r, c, http.StatusOK, templates.AccountPage(vm))
}

// changePassword sets the user's own password. Every session of the user
// ends and this browser gets a fresh one (a new id, per OWASP). A wrong
// current password counts as a failed sign-in, so the form cannot be used
// to guess it faster than the sign-in page.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	c := s.signedInAny(w, r)
	if c == nil {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.error(w, r, c, hook.Errorf(hook.EINVALID, "The form could not be read."))
		return
	}
	pc := store.PasswordChange{Current: r.PostForm.Get("current_password"), New: r.PostForm.Get("new_password"), Confirm: r.PostForm.Get("confirm_password")}
	invalid := func(status int, fe hook.FieldErrors) {
		vm, err := s.accountVM(r, c)
		if err != nil {
			s.error(w, r, c, err)
			return
		}
		for _, e := range fe {
			vm.Errors[e.Field] = e.Message
		}
		s.render(w, r, c, status, templates.AccountPage(vm))
	}
	ip := s.clientIP(r)
	now := s.now()
	state, err := s.store.LoginThrottleState(r.Context(), c.user.Email, ip, now.Add(-accountWindow), now.Add(-addressWindow))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	if wait := throttled(state, now); wait > 0 {
		invalid(http.StatusTooManyRequests, hook.FieldErrors{{Field: "current_password", Message: waitMessage(wait)}})
		return
	}
	token, err := s.store.ChangePassword(r.Context(), c.user.ID, pc, s.lifetime, r.UserAgent(), ip)
	var fe hook.FieldErrors
	if errors.As(err, &fe) {
		if store.IsBadCurrentPassword(err) {
			if err := s.store.RecordLoginFailure(r.Context(), c.user.Email, ip); err != nil {
				s.error(w, r, c, err)
				return
			}
		}
		invalid(http.StatusUnprocessableEntity, fe)
		return
	}
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.log.Info("password changed", "user", c.user.ID)
	next := "/account"
	if c.user.MustChangePassword {
		next = safeNext(r.PostForm.Get("next"))
	}
	c.sess.Values = map[any]any{"token": token}
	c.flash("success", "Your password has been changed. Every other session of yours has been signed out.")
	s.redirect(w, r, c, next)
}

// endOtherSessions signs the user out everywhere but this browser.
func (s *Server) endOtherSessions(w http.ResponseWriter, r *http.Request) {
	c := s.signedInUser(w, r) // a must-change user changes the password first
	if c == nil {
		return
	}
	token, _ := c.sess.Values["token"].(string)
	n, err := s.store.EndOtherSessions(r.Context(), c.user.ID, token)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	s.log.Info("other sessions ended", "user", c.user.ID, "count", n)
	msg := "Signed out of " + strconv.Itoa(n) + " other sessions."
	if n == 1 {
		msg = "Signed out of 1 other session."
	}
	c.flash("success", msg)
	s.redirect(w, r, c, "/account")
}
