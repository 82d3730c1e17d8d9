package web

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/templates"
)

// inlineTextErrors lists the routes whose handlers show a text-input error
// beside the field, and the fields their form shows (the handlers read the
// errors with formTextErrors and store nothing when there are any). Any
// other route, or a field the form does not show, gets a 422 page or
// problem naming the fields before the handler runs.
var inlineTextErrors = func() map[string]map[string]bool {
	fields := func(names ...string) map[string]bool {
		m := map[string]bool{}
		for _, n := range names {
			m[n] = true
		}
		return m
	}
	webhookForm := fields("name", "url", "description", "events", "auth_type", "auth_username", "auth_password", "auth_header", "auth_value", "secret", "rate_limit", "headers", "ordering")
	return map[string]map[string]bool{
		"POST /apps/{appID}/webhooks":           webhookForm,
		"POST /apps/{appID}/webhooks/new":       webhookForm,
		"POST /apps/{appID}/webhooks/{id}/edit": webhookForm,
		"POST /apps/{appID}/webhooks/{id}":      webhookForm,
		"POST /apps/{appID}/members":            fields("email", "role"),
		"POST /apps/{appID}/api-keys":           fields("name"),
		"POST /apps/{appID}/event-types":        fields("name", "description", "example"),
		"POST /apps/{appID}/settings":           fields("display_name", "accent_color", "logo_url"),
	}
}()

// uncheckedParams are query and form fields that are neither stored nor
// looked up as text: next= after sign-in is judged by safeNext, which falls
// back to the default page instead of refusing; the sign-in password and
// the Account page's current password are only compared with a hash, and
// refusing them would lock out an account whose password (set from the
// command line) holds a tab. A new password is checked like any text.
var uncheckedParams = map[string]bool{"next": true, "password": true, "current_password": true}

type formErrorsKey struct{}

// checkInput wraps every route (routes.go) so no handler sees text input
// that the databases would treat differently: path values must be valid
// text (else 400), and query values, the Idempotency-Key header and form
// fields must be valid UTF-8 without control characters (tabs and line
// breaks only in multi-line fields), else 422 naming the field. Dashboard
// forms are read here, at most 256 KiB (else 413).
func (s *Server) checkInput(pattern string, h http.HandlerFunc) http.HandlerFunc {
	if pattern == "/" || strings.HasPrefix(pattern, "GET /static/") {
		return h // the catch-all answers 404 or 405; static files read no input
	}
	names := pathNames(pattern)
	api := strings.Contains(pattern, "/api/")
	return func(w http.ResponseWriter, r *http.Request) {
		for _, n := range names {
			if msg := hook.CheckText(n, r.PathValue(n), false); msg != "" {
				s.inputProblem(w, r, http.StatusBadRequest, "This address is not usable: "+msg, nil)
				return
			}
		}
		var fe hook.FieldErrors
		checkValues(&fe, r.URL.Query())
		for _, v := range r.Header.Values("Idempotency-Key") {
			if msg := hook.CheckText("Idempotency-Key", v, false); msg != "" {
				fe.Add("Idempotency-Key", msg)
			}
		}
		var formFE hook.FieldErrors
		if !api && hasFormBody(r) {
			r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
			if err := r.ParseForm(); err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					s.inputProblem(w, r, http.StatusRequestEntityTooLarge, "The form is larger than 256 KiB.", nil)
					return
				}
				s.inputProblem(w, r, http.StatusBadRequest, "The form could not be read (it is malformed).", nil)
				return
			}
			checkValues(&formFE, r.PostForm)
		}
		if len(fe) > 0 || (len(formFE) > 0 && !shownBeside(pattern, formFE)) {
			fe = append(fe, formFE...)
			msg := "The request has invalid fields."
			if !api {
				msg = "Some of what was sent is not valid text. Go back, correct it and try again."
			}
			s.inputProblem(w, r, http.StatusUnprocessableEntity, msg, fe)
			return
		}
		if len(formFE) > 0 {
			// The handler shows the form again with the errors; the values
			// it echoes are made safe to show, and it stores nothing.
			for _, vals := range []url.Values{r.PostForm, r.Form} {
				for k, vs := range vals {
					for i, v := range vs {
						vs[i] = cleanText(v, hook.MultiLineFields[k])
					}
				}
			}
			r = r.WithContext(context.WithValue(r.Context(), formErrorsKey{}, formFE))
		}
		h(w, r)
	}
}

// shownBeside reports whether the route's form shows every field of fe.
func shownBeside(pattern string, fe hook.FieldErrors) bool {
	shown := inlineTextErrors[pattern]
	for _, e := range fe {
		if !shown[e.Field] {
			return false
		}
	}
	return shown != nil
}

// formTextErrors returns the fields of the request's form that are not
// valid text (only set on the routes of inlineTextErrors).
func formTextErrors(r *http.Request) hook.FieldErrors {
	fe, _ := r.Context().Value(formErrorsKey{}).(hook.FieldErrors)
	return fe
}

func checkValues(fe *hook.FieldErrors, vals url.Values) {
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if uncheckedParams[k] {
			continue
		}
		name := k
		if msg := hook.CheckText("A field name", k, false); msg != "" {
			name = strings.ToValidUTF8(strings.Map(func(r rune) rune {
				if unicode.IsControl(r) {
					return utf8.RuneError
				}
				return r
			}, k), "\uFFFD")
			fe.Add(name, msg)
			continue
		}
		for _, v := range vals[k] {
			if msg := hook.CheckText(k, v, hook.MultiLineFields[k]); msg != "" {
				fe.Add(name, msg)
				break
			}
		}
	}
}

// cleanText replaces invalid UTF-8 and refused control characters with
// U+FFFD, so a value can be shown back beside its error.
func cleanText(s string, multiLine bool) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !(multiLine && (r == '\t' || r == '\n' || r == '\r')) {
			return utf8.RuneError
		}
		return r
	}, s)
}

func hasFormBody(r *http.Request) bool {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return false
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/x-www-form-urlencoded"
}

// pathNames lists the wildcard names of a ServeMux pattern.
func pathNames(pattern string) []string {
	var out []string
	for {
		i := strings.IndexByte(pattern, '{')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(pattern[i:], '}')
		if j < 0 {
			return out
		}
		name := strings.TrimSuffix(pattern[i+1:i+j], "...")
		if name != "$" {
			out = append(out, name)
		}
		pattern = pattern[i+j+1:]
	}
}

// inputProblem answers input refused before any handler ran: problem
// details under /api/, an error page naming the fields elsewhere.
func (s *Server) inputProblem(w http.ResponseWriter, r *http.Request, status int, msg string, fe hook.FieldErrors) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		var extra map[string]any
		if len(fe) > 0 {
			extra = map[string]any{"errors": fe}
		}
		s.problem(w, r, status, msg, extra)
		return
	}
	heading := http.StatusText(status)
	switch status {
	case http.StatusUnprocessableEntity:
		heading = "Invalid input"
	case http.StatusRequestEntityTooLarge:
		heading = "Too large"
	}
	vm := templates.ErrorPage{Page: templates.Page{Title: heading, Static: s.static.URL}, Status: status, Heading: heading, Message: msg}
	for _, e := range fe {
		vm.Fields = append(vm.Fields, templates.FieldErrorVM{Field: e.Field, Message: e.Message})
	}
	s.render(w, r, nil, status, templates.ErrorView(vm))
}

// confirmed reads the POST body (at most 256 KiB; the query string does not
// count) and returns nil when it carries confirm=yes.
func confirmed(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return err
	}
	if r.PostForm.Get("confirm") != "yes" {
		return errors.New("not confirmed")
	}
	return nil
}
