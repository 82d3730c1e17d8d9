package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one line per request: never the query string or a body,
// so no secret reaches the log.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		var body *bodyWatch
		if r.Body != nil && r.Body != http.NoBody {
			body = &bodyWatch{ReadCloser: r.Body}
			r.Body = body
		}
		next.ServeHTTP(sw, r)
		timedOut := body != nil && body.timedOut
		if timedOut && sw.status == 0 {
			// The body stopped arriving past the read timeout. net/http
			// cancels the request's context on that read error, so the
			// handler took the client for gone and wrote nothing, and
			// net/http would send an empty 200. The client is still there:
			// tell it the request was not taken.
			s.requestTimeout(sw, r)
		} else if sw.status == 0 && clientGone(r) {
			// Nothing was sent. A client that only closed its sending side
			// (shutdown(SHUT_WR)) is still reading, and net/http would send
			// it an empty 200 for a request that was not carried out:
			// close the connection without an answer instead. (Not
			// possible on HTTP/2 or in tests, where nothing changes.)
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
		}
		s.metrics.Request(r.Pattern, sw.status, time.Since(start))
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		status := sw.status
		attrs := []any{"method", r.Method, "path", logPath(r), "route", r.Pattern}
		if clientGone(r) && !timedOut {
			// The client went away: this line is all it costs. 499 is
			// nginx's "client closed request"; nothing was sent.
			level = slog.LevelInfo
			if status == 0 {
				status = 499
			}
			attrs = append(attrs, "client_gone", true)
		}
		attrs = append(attrs, "status", status, "bytes", sw.bytes, "duration_ms", float64(time.Since(start).Microseconds())/1000)
		s.log.Log(context.WithoutCancel(r.Context()), level, "request", attrs...)
	})
}

// bodyWatch notes whether reading the request body hit the server's read
// timeout.
type bodyWatch struct {
	io.ReadCloser
	timedOut bool
}

func (b *bodyWatch) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		b.timedOut = true
	}
	return n, err
}

// requestTimeout answers 408 to a request whose body did not arrive within
// the read timeout, and closes the connection.
func (s *Server) requestTimeout(w http.ResponseWriter, r *http.Request) {
	const msg = "The request body did not arrive in time; send the request again."
	w.Header().Set("Connection", "close")
	if strings.HasPrefix(r.URL.Path, "/api/") {
		s.problem(w, r, http.StatusRequestTimeout, msg, nil)
		return
	}
	http.Error(w, msg, http.StatusRequestTimeout)
}

// recoverer turns a panic into a logged 500.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "path", logPath(r), "panic", v, "stack", string(debug.Stack()))
				if strings.HasPrefix(r.URL.Path, "/api/") {
					s.problem(w, r, http.StatusInternalServerError, "Something went wrong on our side; it has been logged.", nil)
					return
				}
				http.Error(w, "Internal error.", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows only our own scripts and styles: no inline
// script can run even if something slipped through escaping.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// noRoute is the catch-all route ("/"): a request reaches it only when no
// other pattern matches, so matched requests are routed once. It answers
// 405 with Allow when the path exists for other methods, otherwise our 404
// (problem details under /api/).
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	api := strings.HasPrefix(r.URL.Path, "/api/")
	switch {
	case len(allow) > 0:
		w.Header().Set("Allow", strings.Join(allow, ", "))
		if api {
			s.problem(w, r, http.StatusMethodNotAllowed, r.Method+" is not allowed here; allowed: "+strings.Join(allow, ", ")+".", nil)
			return
		}
		http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
	case api:
		s.problem(w, r, http.StatusNotFound, "There is no API route "+r.URL.Path+"; see /api/v1/openapi.json.", nil)
	default:
		s.notFound(w, r)
	}
}
