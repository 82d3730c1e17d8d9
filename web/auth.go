package web

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/sessions"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/templates"
)

const cookieName = "hookboard"

// Sign-in throttling: this many failures in the window stop further tries.
// An account is slowed down per client address (5), so a stranger cannot
// lock its owner out from elsewhere; a higher limit for the account from
// anywhere (50) bounds guessing spread over many addresses; and one address
// guessing many accounts is stopped too (20).
const (
	throttleWindow     = 15 * time.Minute
	maxFailuresEmailIP = 5
	maxFailuresEmail   = 50
	maxFailuresIP      = 20
)

// reqCtx is what a handler under /apps/{appID}/ knows about the request.
type reqCtx struct {
	user    hook.User
	member  hook.Membership // the app of the URL and the user's role in it
	sess    *sessions.Session
	changed bool // the session needs saving (flashes read or added)
}

func (c *reqCtx) appID() string          { return c.member.App.ID }
func (c *reqCtx) canChange() bool        { return c.member.Role.CanChange() }
func (c *reqCtx) actor() hook.Actor      { return hook.Actor{UserID: c.user.ID, Label: c.user.Email} }
func (c *reqCtx) flash(kind, msg string) { c.sess.AddFlash(kind + "|" + msg); c.changed = true }

// session returns the request's cookie session (a new one when the cookie is
// missing or cannot be read).
func (s *Server) session(r *http.Request) *sessions.Session {
	sess, _ := s.cookies.Get(r, cookieName)
	return sess
}

// signedIn returns the signed-in user's context, or redirects to the sign-in
// page and returns nil.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request) *reqCtx {
	sess := s.session(r)
	token, _ := sess.Values["token"].(string)
	user, err := s.store.SessionUser(r.Context(), token)
	if err != nil {
		if hook.ErrorCode(err) != hook.EUNAUTHORIZED {
			s.serverError(w, r, err)
			return nil
		}
		target := "/login"
		if r.Method == http.MethodGet && r.URL.RequestURI() != "/" {
			target += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil
	}
	return &reqCtx{user: user, sess: sess}
}

type appHandler func(http.ResponseWriter, *http.Request, *reqCtx)

// member lets signed-in members of the app through. Anyone else signed in
// gets 404, so another app's ids reveal nothing.
func (s *Server) member(h appHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := s.signedIn(w, r)
		if c == nil {
			return
		}
		m, err := s.store.Membership(r.Context(), r.PathValue("appID"), c.user.ID)
		if err != nil {
			s.error(w, r, c, err)
			return
		}
		c.member = m
		h(w, r, c)
	}
}

// admin is member, and then 403 for support agents.
func (s *Server) admin(h appHandler) http.HandlerFunc {
	return s.member(func(w http.ResponseWriter, r *http.Request, c *reqCtx) {
		if !c.canChange() {
			s.error(w, r, c, hook.Errorf(hook.EFORBIDDEN, "Support agents can read this app but not change it. Ask an administrator."))
			return
		}
		h(w, r, c)
	})
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	c := s.signedIn(w, r)
	if c == nil {
		return
	}
	ms, err := s.store.Memberships(r.Context(), c.user.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if len(ms) == 0 {
		p := s.page(r, c, "No apps", "")
		s.render(w, r, c, http.StatusOK, templates.NoAppsPage(templates.NoApps{Page: p}))
		return
	}
	http.Redirect(w, r, "/apps/"+ms[0].App.ID+"/webhooks", http.StatusSeeOther)
}

func (s *Server) appHome(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	http.Redirect(w, r, "/apps/"+c.appID()+"/webhooks", http.StatusSeeOther)
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	if token, _ := sess.Values["token"].(string); token != "" {
		if _, err := s.store.SessionUser(r.Context(), token); err == nil {
			http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
	}
	c := &reqCtx{sess: sess}
	vm := templates.Login{Page: s.page(r, c, "Sign in", ""), Next: safeNext(r.URL.Query().Get("next"))}
	s.render(w, r, c, http.StatusOK, templates.LoginPage(vm))
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Bad form.", http.StatusBadRequest)
		return
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	password := r.PostForm.Get("password")
	next := safeNext(r.PostForm.Get("next"))
	sess := s.session(r)
	c := &reqCtx{sess: sess}
	fail := func(status int, msg string) {
		vm := templates.Login{Page: s.page(r, c, "Sign in", ""), Email: email, Next: next, Error: msg}
		s.render(w, r, c, status, templates.LoginPage(vm))
	}
	ip := clientIP(r)
	byEmailIP, byEmail, byIP, err := s.store.LoginFailures(r.Context(), email, ip, s.now().Add(-throttleWindow))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if byEmailIP >= maxFailuresEmailIP || byEmail >= maxFailuresEmail || byIP >= maxFailuresIP {
		// The same answer whether or not the account exists.
		fail(http.StatusTooManyRequests, "Too many failed sign-in attempts. Wait 15 minutes and try again.")
		return
	}
	user, err := s.store.Authenticate(r.Context(), email, password)
	if err != nil {
		if hook.ErrorCode(err) != hook.EUNAUTHORIZED {
			s.serverError(w, r, err)
			return
		}
		if err := s.store.RecordLoginFailure(r.Context(), email, ip); err != nil {
			s.serverError(w, r, err)
			return
		}
		s.log.Info("sign-in failed", "ip", ip)
		fail(http.StatusUnauthorized, "The e-mail or password is not right.")
		return
	}
	if err := s.store.ClearLoginFailures(r.Context(), email); err != nil {
		s.serverError(w, r, err)
		return
	}
	// A new server-side session on every sign-in: a token planted before
	// sign-in (session fixation) is never promoted.
	if old, _ := sess.Values["token"].(string); old != "" {
		s.store.DeleteSession(r.Context(), old)
	}
	token, err := s.store.CreateSession(r.Context(), user.ID, s.lifetime)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	sess.Values = map[any]any{"token": token}
	s.saveSession(w, r, sess)
	if err := s.store.AuditSignIn(r.Context(), user, ip); err != nil && !clientGone(r) {
		s.log.Error("audit sign-in", "err", err)
	}
	s.log.Info("signed in", "user", user.ID)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	if token, _ := sess.Values["token"].(string); token != "" {
		if err := s.store.DeleteSession(r.Context(), token); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	sess.Values = map[any]any{}
	sess.AddFlash("info|You have signed out.")
	s.saveSession(w, r, sess)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) saveSession(w http.ResponseWriter, r *http.Request, sess *sessions.Session) {
	sess.Options.Secure = s.secure || r.TLS != nil
	if err := sess.Save(r, w); err != nil {
		s.log.Error("save session", "err", err)
	}
}

// safeNext keeps redirects after sign-in on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
