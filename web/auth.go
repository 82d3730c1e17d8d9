package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gorilla/sessions"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/templates"
)

const cookieName = "hookboard"

// Sign-in throttling (OWASP: slow guessing down without letting one client
// lock everybody out).
//
// Per account, from anywhere: the first 5 failures are free; after that
// each try must wait for a back-off that doubles with every further
// failure (1 min, 2, 4, 8, then 15 min at most), counted over a day and
// reset by a good sign-in. It is the same for e-mails that have no
// account, so the answer reveals nothing.
//
// Per client address: after 20 failures in 15 minutes, the address may no
// longer try the accounts it failed on in that time. Accounts it did not
// fail on stay open to it, so a proxy's shared address (or a stranger
// guessing made-up e-mails) never stops a correct password for them.
const (
	accountWindow      = 24 * time.Hour
	freeFailures       = 5
	firstBackoff       = time.Minute
	maxBackoff         = 15 * time.Minute
	addressWindow      = 15 * time.Minute
	maxFailuresAddress = 20
)

// accountBackoff is how long after its latest failure an account may be
// tried again, given its failures.
func accountBackoff(failures int) time.Duration {
	if failures < freeFailures {
		return 0
	}
	d := firstBackoff
	for i := freeFailures; i < failures && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// throttled returns how long the sign-in must wait, or 0 when it may be tried.
func throttled(t store.LoginThrottle, now time.Time) time.Duration {
	var wait time.Duration
	if t.AccountFailures >= freeFailures {
		wait = t.LastAccountFailure.Add(accountBackoff(t.AccountFailures)).Sub(now)
	}
	if t.AddressFailures >= maxFailuresAddress && t.AddressFailedHere {
		wait = max(wait, addressWindow)
	}
	return max(wait, 0)
}

// waitMessage is the same whether or not the account exists.
func waitMessage(wait time.Duration) string {
	mins := int((wait + time.Minute - 1) / time.Minute)
	if mins <= 1 {
		return "Too many failed sign-in attempts. Wait a minute and try again."
	}
	return "Too many failed sign-in attempts. Wait " + strconv.Itoa(mins) + " minutes and try again."
}

// reqCtx is what a handler under /apps/{appID}/ knows about the request.
type reqCtx struct {
	user    hook.User
	member  hook.Membership // the app of the URL and the user's role in it
	sess    *sessions.Session
	changed bool // the session needs saving (flashes read or added)
	// portal is set for a portal session (issue 17): no user, one app,
	// the role the link gave; sess is then the portal cookie's session.
	portal *store.PortalSession
	brand  store.Branding // the portal app's branding
}

func (c *reqCtx) appID() string   { return c.member.App.ID }
func (c *reqCtx) canChange() bool { return c.member.Role.CanChange() }
func (c *reqCtx) actor() hook.Actor {
	if c.portal != nil {
		return hook.Actor{Label: c.portal.ActorLabel()}
	}
	return hook.Actor{UserID: c.user.ID, Label: c.user.Email}
}
func (c *reqCtx) flash(kind, msg string) { c.sess.AddFlash(kind + "|" + msg); c.changed = true }

// session returns the request's cookie session (a new one when the cookie is
// missing or cannot be read).
func (s *Server) session(r *http.Request) *sessions.Session {
	sess, _ := s.cookies.Get(r, cookieName)
	return sess
}

// signedIn returns the signed-in user's context, or redirects and returns
// nil: to the sign-in page, or to the Account page while the user must
// replace a password someone else set.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request) *reqCtx {
	if c, ok := s.portalPrincipal(w, r); ok {
		return c
	}
	c := s.userSession(w, r)
	if c != nil && c.user.MustChangePassword {
		next := ""
		if r.Method == http.MethodGet {
			next = r.URL.RequestURI()
		}
		mustChangeRedirect(w, r, next)
		return nil
	}
	return c
}

// signedInUser is signedIn for a user's own pages: 404 for a portal session.
func (s *Server) signedInUser(w http.ResponseWriter, r *http.Request) *reqCtx {
	c := s.signedIn(w, r)
	if c != nil && c.portal != nil {
		s.error(w, r, c, hook.Errorf(hook.ENOTFOUND, "Not found."))
		return nil
	}
	return c
}

// signedInAny is signedIn that lets a must-change user through: only the
// Account page's own routes use it, so a portal session gets 404 there.
func (s *Server) signedInAny(w http.ResponseWriter, r *http.Request) *reqCtx {
	if c, ok := s.portalPrincipal(w, r); ok {
		if c != nil {
			s.error(w, r, c, hook.Errorf(hook.ENOTFOUND, "Not found."))
		}
		return nil
	}
	return s.userSession(w, r)
}

// userSession is the signed-in user of the hookboard cookie, or redirects
// to the sign-in page and returns nil.
func (s *Server) userSession(w http.ResponseWriter, r *http.Request) *reqCtx {
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
		if c.portal != nil {
			s.portalMember(w, r, c, h)
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

// team is admin for the app's own team only: Members, API keys and
// Settings do not exist for a portal session (404, whatever its role).
func (s *Server) team(h appHandler) http.HandlerFunc {
	return s.member(func(w http.ResponseWriter, r *http.Request, c *reqCtx) {
		if c.portal != nil {
			s.error(w, r, c, hook.Errorf(hook.ENOTFOUND, "Not found."))
			return
		}
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
	if c.portal != nil {
		http.Redirect(w, r, "/apps/"+c.portal.AppID, http.StatusSeeOther)
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
	land := ms[0]
	for _, m := range ms {
		if s.landing != "" && m.App.Name == s.landing {
			land = m
		}
	}
	http.Redirect(w, r, "/apps/"+land.App.ID, http.StatusSeeOther)
}

// appHome is the app's overview, the landing page.
func (s *Server) appHome(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	s.overview(w, r, c)
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	sess := s.session(r)
	// A portal session in this browser (a team member who opened a
	// portal link) takes precedence over the user's own session, so the
	// sign-in page is the way back: it says so, and signing in ends the
	// portal session here.
	_, err := r.Cookie(portalCookie)
	inPortal := err == nil
	if token, _ := sess.Values["token"].(string); token != "" && !inPortal {
		if _, err := s.store.SessionUser(r.Context(), token); err == nil {
			http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
	}
	c := &reqCtx{sess: sess}
	vm := templates.Login{Page: s.page(r, c, "Sign in", ""), Next: safeNext(r.URL.Query().Get("next")), PortalOpen: inPortal}
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
	ip := s.clientIP(r)
	now := s.now()
	state, err := s.store.LoginThrottleState(r.Context(), email, ip, now.Add(-accountWindow), now.Add(-addressWindow))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if wait := throttled(state, now); wait > 0 {
		s.log.Info("sign-in throttled", "ip", ip)
		fail(http.StatusTooManyRequests, waitMessage(wait))
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
	token, err := s.store.CreateSessionFrom(r.Context(), user.ID, s.lifetime, r.UserAgent(), ip)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	sess.Values = map[any]any{"token": token}
	s.saveSession(w, r, sess)
	s.dropPortalCookie(w, r) // a sign-in replaces a portal session in this browser
	if err := s.store.AuditSignIn(r.Context(), user, ip); err != nil && !clientGone(r) {
		s.log.Error("audit sign-in", "err", err)
	}
	s.log.Info("signed in", "user", user.ID)
	if user.MustChangePassword {
		// Nothing else until the user has chosen their own password.
		mustChangeRedirect(w, r, next)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, ok := s.portalPrincipal(w, r); ok {
		// A portal session has no sign-out: it ends with its TTL or when
		// the product ends it.
		if c != nil {
			s.error(w, r, c, hook.Errorf(hook.ENOTFOUND, "Not found."))
		}
		return
	}
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
	sess.Options.Secure = sess.Options.Secure || s.secure || r.TLS != nil || s.forwardedHTTPS(r)
	if err := sess.Save(r, w); err != nil {
		s.log.Error("save session", "err", err)
	}
}

// safeNext keeps redirects after sign-in on this site: only a path that
// starts with "/" followed by neither "/" nor "\\", with no control
// character, whitespace or backslash anywhere, checked both as sent and
// percent-decoded (browsers drop tabs and newlines inside URLs and treat
// "\\" as "/", which turns "/<TAB>/evil.example" into "//evil.example").
// Anything else goes to the default page.
func safeNext(next string) string {
	if !sameSitePath(next) {
		return "/"
	}
	if dec, err := url.PathUnescape(next); err != nil || !sameSitePath(dec) {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

func sameSitePath(p string) bool {
	if len(p) == 0 || len(p) > 2048 || p[0] != '/' || !utf8.ValidString(p) {
		return false
	}
	if len(p) > 1 && (p[1] == '/' || p[1] == '\\') {
		return false
	}
	for _, r := range p {
		if r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) || r == '\uFFFD' {
			return false
		}
	}
	return true
}
