package web

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/a-h/templ"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/templates"
)

// page fills the layout's view model: user, app, switcher and the flashes,
// which are consumed here.
func (s *Server) page(r *http.Request, c *reqCtx, title, nav string) templates.Page {
	p := templates.Page{Title: title, Nav: nav, Static: s.static.URL}
	if c == nil {
		return p
	}
	if c.sess != nil {
		for _, f := range c.sess.Flashes() {
			c.changed = true
			if text, ok := f.(string); ok {
				kind, msg, _ := strings.Cut(text, "|")
				p.Flashes = append(p.Flashes, templates.Flash{Kind: kind, Message: msg})
			}
		}
	}
	p.User = c.user.Email
	if c.portal != nil {
		portalPage(&p, c)
		return p
	}
	if c.member.App.ID != "" {
		p.App = &templates.AppRef{ID: c.member.App.ID, Name: c.member.App.Name, Role: string(c.member.Role)}
		p.CanChange = c.canChange()
		if ms, err := s.store.Memberships(r.Context(), c.user.ID); err == nil {
			for _, m := range ms {
				p.Apps = append(p.Apps, templates.AppRef{ID: m.App.ID, Name: m.App.Name, Role: string(m.Role)})
			}
		}
	}
	return p
}

// render writes a component with status. It renders into a buffer first so
// a failed render never sends half a page with 200. A failed render shows
// the error page once; if that fails too, a plain 500 follows: never a
// second attempt at the error page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, comp templ.Component) {
	if s.writePage(w, r, c, status, comp) {
		return
	}
	if clientGone(r) {
		return
	}
	vm := templates.ErrorPage{Page: templates.Page{Title: "Something went wrong", Static: s.static.URL}, Status: http.StatusInternalServerError,
		Heading: "Something went wrong", Message: "The error has been logged. Please try again."}
	if !s.writePage(w, r, nil, http.StatusInternalServerError, templates.ErrorView(vm)) && !clientGone(r) {
		http.Error(w, "Internal error.", http.StatusInternalServerError)
	}
}

// writePage renders comp and writes it; it reports false (having written
// nothing) when the component fails, logging the failure unless the client
// has gone.
func (s *Server) writePage(w http.ResponseWriter, r *http.Request, c *reqCtx, status int, comp templ.Component) bool {
	var buf bytes.Buffer
	if err := comp.Render(r.Context(), &buf); err != nil {
		if !clientGone(r) {
			s.log.Error("render failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		return false
	}
	if c != nil && c.changed && c.sess != nil {
		s.saveSession(w, r, c.sess)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return true
}

// clientGone reports whether the request's context is done: the client
// closed the connection (or the server gave up on it). Nobody will read an
// answer, so handlers write none and log nothing beyond the request line;
// whatever failed did so because the context ended.
func clientGone(r *http.Request) bool { return r.Context().Err() != nil }

// redirect saves the session (for a flash) and sends 303 to target.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, c *reqCtx, target string) {
	if c != nil && c.changed {
		s.saveSession(w, r, c.sess)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// error maps an application error to its status and page; internal errors
// are logged and shown without details.
func (s *Server) error(w http.ResponseWriter, r *http.Request, c *reqCtx, err error) {
	if clientGone(r) {
		return
	}
	status, heading := http.StatusInternalServerError, "Something went wrong"
	msg := "The error has been logged. Please try again."
	switch hook.ErrorCode(err) {
	case hook.ENOTFOUND:
		status, heading, msg = http.StatusNotFound, "Not found", "There is nothing here, or you do not have access to it."
	case hook.EFORBIDDEN:
		status, heading, msg = http.StatusForbidden, "Not allowed", hook.ErrorMessage(err)
	case hook.ECONFLICT:
		status, heading, msg = http.StatusConflict, "Conflict", hook.ErrorMessage(err)
	case hook.EINVALID:
		status, heading, msg = http.StatusUnprocessableEntity, "Invalid input", hook.ErrorMessage(err)
	case hook.EUNAUTHORIZED:
		status, heading, msg = http.StatusUnauthorized, "Please sign in", hook.ErrorMessage(err)
	default:
		s.log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	vm := templates.ErrorPage{Page: s.page(r, c, heading, ""), Status: status, Heading: heading, Message: msg}
	s.render(w, r, c, status, templates.ErrorView(vm))
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.error(w, r, nil, err)
}

// notFound renders the 404 page, with the header when the user is signed in.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.error(w, r, nil, hook.Errorf(hook.ENOTFOUND, "Not found."))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.store.Ping(r.Context()); err != nil {
		if clientGone(r) {
			return
		}
		s.log.Error("readyz: database unreachable", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("database unreachable\n"))
		return
	}
	w.Write([]byte("ok\n"))
}

// serveMetrics serves Prometheus metrics (404 when none are configured).
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if s.metrics == nil {
		http.NotFound(w, r)
		return
	}
	s.metrics.Handler().ServeHTTP(w, r)
}

// confirm shows the confirm step of a destructive POST made without
// JavaScript (with it, a dialog asks and the form carries confirm=yes). The
// page posts back to the same URL with confirm=yes.
func (s *Server) confirm(w http.ResponseWriter, r *http.Request, c *reqCtx, heading, message, button, cancel string) {
	vm := templates.Confirm{Page: s.page(r, c, heading, ""), Heading: heading, Message: message, Action: r.URL.Path, Button: button, Cancel: cancel}
	s.render(w, r, c, http.StatusOK, templates.ConfirmPage(vm))
}
