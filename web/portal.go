package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/gorilla/sessions"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/templates"
)

// Portal sessions (issue 17). A product mints a single-use link with its
// API key; GET /portal/{token} turns it into a portal session held in its
// own cookie, so a Hookboard sign-in in the same browser is left alone.
// While the portal cookie names a session, it is the request's principal:
// one app, the link's role, no Members, API keys, Settings, Account or
// sign-out.

// portalCookie holds a portal session's token.
const portalCookie = "hookboard_portal"

// portalConfig is the portal's part of the server's settings.
type portalConfig struct {
	publicURL      string // base of portal links; "" for the request's
	frameAncestors string // CSP source list; "" when no page may be framed
}

func newPortalConfig(publicURL string, ancestors []string) portalConfig {
	return portalConfig{publicURL: strings.TrimRight(publicURL, "/"), frameAncestors: strings.Join(ancestors, " ")}
}

// cspOrigin is an origin safe to put in a CSP source list.
var cspOrigin = regexp.MustCompile(`^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?$`)

// portalHeaders lets portal pages be framed by the configured ancestors
// (without X-Frame-Options there) and show the app's logo.
func (s *Server) portalHeaders(w http.ResponseWriter, logoURL string) {
	csp := contentSecurityPolicy
	if s.portal.frameAncestors != "" {
		csp = strings.Replace(csp, "frame-ancestors 'none'", "frame-ancestors "+s.portal.frameAncestors, 1)
		w.Header().Del("X-Frame-Options")
	}
	if u, err := url.Parse(logoURL); err == nil && logoURL != "" {
		if origin := u.Scheme + "://" + u.Host; cspOrigin.MatchString(origin) {
			csp = strings.Replace(csp, "img-src 'self' data:", "img-src 'self' data: "+origin, 1)
		}
	}
	w.Header().Set("Content-Security-Policy", csp)
}

// portalCookieSession returns the portal cookie's session, with the cookie
// attributes portal cookies need: in a frame on another site only
// SameSite=None; Secure; Partitioned (CHIPS) cookies are kept and sent.
func (s *Server) portalCookieSession(r *http.Request) *sessions.Session {
	sess, _ := s.cookies.Get(r, portalCookie)
	sess.Options.MaxAge = 0 // ends with the browser; the server ends it sooner
	if s.portal.frameAncestors != "" {
		sess.Options.SameSite = http.SameSiteNoneMode
		sess.Options.Secure = true
		sess.Options.Partitioned = true
	}
	return sess
}

// dropPortalCookie deletes the portal cookie when the request has one.
func (s *Server) dropPortalCookie(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie(portalCookie); err != nil {
		return
	}
	sess := s.portalCookieSession(r)
	sess.Values = map[any]any{}
	sess.Options.MaxAge = -1
	s.saveSession(w, r, sess)
}

// portalPrincipal reports whether the request is a portal session's. When
// it is, the context is returned, or nil when the session has ended (the
// answer, 401 with one message, is then written and the cookie dropped).
func (s *Server) portalPrincipal(w http.ResponseWriter, r *http.Request) (*reqCtx, bool) {
	if ck, err := r.Cookie(portalCookie); err != nil || ck.Value == "" {
		return nil, false
	}
	sess := s.portalCookieSession(r)
	token, _ := sess.Values["portal"].(string)
	if token == "" {
		return nil, false // unreadable (another key): as if there were none
	}
	s.portalHeaders(w, "")
	ps, err := s.store.PortalSessionByToken(r.Context(), token)
	if err != nil {
		if hook.ErrorCode(err) != hook.EUNAUTHORIZED {
			s.serverError(w, r, err)
			return nil, true
		}
		s.dropPortalCookie(w, r)
		s.portalMessage(w, r, http.StatusUnauthorized, "Session ended", hook.ErrorMessage(err))
		return nil, true
	}
	return &reqCtx{portal: &ps, sess: sess}, true
}

// portalMember is member for a portal session: its own app only (any other
// is 404, as for a user who is not a member), in the link's role.
func (s *Server) portalMember(w http.ResponseWriter, r *http.Request, c *reqCtx, h appHandler) {
	if r.PathValue("appID") != c.portal.AppID {
		s.error(w, r, c, hook.Errorf(hook.ENOTFOUND, "App not found."))
		return
	}
	app, err := s.store.App(r.Context(), c.portal.AppID)
	if err == nil {
		c.brand, err = s.store.AppBranding(r.Context(), app.ID)
	}
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	c.member = hook.Membership{App: app, Role: c.portal.Role}
	s.portalHeaders(w, c.brand.LogoURL)
	h(w, r, c)
}

// portalOpen is GET /portal/{token}: the link is used up, a portal session
// starts in its cookie, and the browser goes to the app's overview. An
// unknown, used or expired link gets 410 with one message for all three.
func (s *Server) portalOpen(w http.ResponseWriter, r *http.Request) {
	s.portalHeaders(w, "")
	w.Header().Set("Cache-Control", "no-store")
	ps, token, err := s.store.OpenPortalLink(r.Context(), r.PathValue("token"))
	if err != nil {
		if hook.ErrorCode(err) == hook.EUNAUTHORIZED {
			s.portalMessage(w, r, http.StatusGone, "Link expired", hook.ErrorMessage(err))
			return
		}
		s.serverError(w, r, err)
		return
	}
	sess := s.portalCookieSession(r)
	sess.Values = map[any]any{"portal": token}
	s.saveSession(w, r, sess)
	s.log.Info("portal session started", "app", ps.AppID, "role", ps.Role)
	http.Redirect(w, r, "/apps/"+ps.AppID, http.StatusSeeOther)
}

// portalMessage is the page a portal visitor sees when there is nothing
// to show: no header links, since none would work.
func (s *Server) portalMessage(w http.ResponseWriter, r *http.Request, status int, heading, msg string) {
	if clientGone(r) {
		return
	}
	vm := templates.ErrorPage{Page: templates.Page{Title: heading, Static: s.static.URL, Portal: true}, Status: status, Heading: heading, Message: msg}
	s.render(w, r, nil, status, templates.ErrorView(vm))
}

// brandCSS serves the app's accent colour as a style sheet: the CSP allows
// no inline style. The colour was checked to be #rrggbb when it was saved.
func (s *Server) brandCSS(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	b := c.brand
	if c.portal == nil {
		var err error
		if b, err = s.store.AppBranding(r.Context(), c.appID()); err != nil {
			s.error(w, r, c, err)
			return
		}
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "private, no-cache")
	if b.AccentColor == "" || !accentColor.MatchString(b.AccentColor) {
		// An answer all the same (200, a comment): an empty one could not
		// be told from a request that was never answered.
		w.Write([]byte("/* no accent colour set */\n"))
		return
	}
	a := b.AccentColor
	w.Write([]byte(":root { --accent: " + a + "; --accent-dark: " + a + "; --brand-accent: " + a + "; }\n"))
}

var accentColor = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// portalLinkRequest is the body of POST …/portal-links.
type portalLinkRequest struct {
	User       *string `json:"user"`
	Role       string  `json:"role"`
	ReturnURL  string  `json:"returnUrl"`
	SessionTTL *int    `json:"sessionTtl"`
}

func (s *Server) apiPortalLinkCreate(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	var req portalLinkRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	in := store.PortalLinkInput{Role: hook.Role(req.Role), ReturnURL: req.ReturnURL}
	if req.User != nil {
		in.User = *req.User
	}
	if req.SessionTTL != nil {
		in.SessionTTL = *req.SessionTTL
		if in.SessionTTL == 0 {
			in.SessionTTL = -1 // 0 sent is out of bounds, not "the default"
		}
	}
	link, err := s.store.CreatePortalLink(r.Context(), c.actor(), c.appID, in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeData(w, http.StatusCreated, map[string]any{"url": s.portalBase(r) + "/portal/" + link.Token, "expiresAt": isoTime(link.ExpiresAt)})
}

// portalBase is HOOKBOARD_PUBLIC_URL, or the request's scheme and host.
func (s *Server) portalBase(r *http.Request) string {
	if s.portal.publicURL != "" {
		return s.portal.publicURL
	}
	scheme := "http"
	if r.TLS != nil || s.forwardedHTTPS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) apiPortalSessionsEnd(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	n, err := s.store.EndPortalSessions(r.Context(), c.actor(), c.appID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	s.log.Info("portal sessions ended", "app", c.appID, "count", n)
	writeData(w, http.StatusOK, map[string]any{"ended": n})
}

// portalPage fills the layout for a portal session: its app alone, its
// user and way back, the app's branding.
func portalPage(p *templates.Page, c *reqCtx) {
	p.Portal = true
	p.User = c.portal.User
	p.ReturnURL = c.portal.ReturnURL
	p.Brand = templates.Brand{Name: c.brand.DisplayName, Accent: c.brand.AccentColor, LogoURL: c.brand.LogoURL}
	if c.member.App.ID != "" {
		p.App = &templates.AppRef{ID: c.member.App.ID, Name: c.member.App.Name, Role: string(c.member.Role)}
		p.CanChange = c.canChange()
	}
}

// logPath is the request's path for the log: a portal link's token is a
// credential until it is used, so it never reaches the log.
func logPath(r *http.Request) string {
	if strings.HasPrefix(r.URL.Path, "/portal/") {
		return "/portal/{token}"
	}
	return r.URL.Path
}
