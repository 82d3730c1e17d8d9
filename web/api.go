package web

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

// maxAPIBody is the largest request body the JSON API reads.
const maxAPIBody = 256 << 10

// apiCtx is what a JSON API handler knows: the app its key belongs to.
type apiCtx struct {
	appID string
	key   store.APIKey
}

func (c *apiCtx) actor() hook.Actor {
	return hook.Actor{Label: "api key " + c.key.Prefix + "… (" + c.key.Name + ")"}
}

type apiHandler func(http.ResponseWriter, *http.Request, *apiCtx)

// api authenticates the Bearer key; a key of another app is refused like a
// bad one, so ids of other apps reveal nothing.
func (s *Server) api(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		appID := r.PathValue("appID")
		scope := "app:" + appID
		scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			s.problem(w, r, http.StatusUnauthorized, "Send an API key of this app as Authorization: Bearer <key>.", map[string]any{"realm": "hookboard", "scope": scope})
			return
		}
		key, err := s.store.AuthenticateAPIKey(r.Context(), strings.TrimSpace(token))
		if err == nil && key.AppID != appID {
			err = hook.Errorf(hook.EUNAUTHORIZED, "The API key is not valid for this app.")
		}
		if err != nil {
			if hook.ErrorCode(err) != hook.EUNAUTHORIZED {
				s.apiError(w, r, err)
				return
			}
			s.problem(w, r, http.StatusUnauthorized, hook.ErrorMessage(err), map[string]any{"realm": "hookboard", "scope": scope})
			return
		}
		h(w, r, &apiCtx{appID: appID, key: key})
	}
}

// problem writes an RFC 7807 problem details body.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, status int, detail string, extra map[string]any) {
	body := map[string]any{
		"type":     "about:blank",
		"title":    http.StatusText(status),
		"status":   status,
		"detail":   detail,
		"instance": r.URL.Path,
	}
	for k, v := range extra {
		body[k] = v
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hookboard"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

// apiError maps an error to its problem; internals are logged, not sent.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	if clientGone(r) {
		return // nobody reads the answer; the request line is the one log line
	}
	var fe hook.FieldErrors
	switch {
	case errors.As(err, &fe):
		s.problem(w, r, http.StatusUnprocessableEntity, "The request has invalid fields.", map[string]any{"errors": fe})
	case hook.ErrorCode(err) == hook.ENOTFOUND:
		resourceType, resourceID := resourceOf(r)
		s.problem(w, r, http.StatusNotFound, hook.ErrorMessage(err), map[string]any{"resourceType": resourceType, "resourceId": resourceID})
	case hook.ErrorCode(err) == hook.ECONFLICT:
		s.problem(w, r, http.StatusConflict, hook.ErrorMessage(err), nil)
	case hook.ErrorCode(err) == hook.EINVALID:
		s.problem(w, r, http.StatusBadRequest, hook.ErrorMessage(err), nil)
	case hook.ErrorCode(err) == hook.EUNAUTHORIZED:
		s.problem(w, r, http.StatusUnauthorized, hook.ErrorMessage(err), map[string]any{"realm": "hookboard", "scope": "app:" + r.PathValue("appID")})
	default:
		s.log.Error("api internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		s.problem(w, r, http.StatusInternalServerError, "Something went wrong on our side; it has been logged.", nil)
	}
}

// resourceOf names the resource a 404 is about, from the route.
func resourceOf(r *http.Request) (string, string) {
	switch {
	case r.PathValue("recoveryID") != "":
		return "recovery", r.PathValue("recoveryID")
	case r.PathValue("deliveryID") != "":
		return "delivery", r.PathValue("deliveryID")
	case r.PathValue("id") != "":
		return "webhook", r.PathValue("id")
	case r.PathValue("eventID") != "":
		return "event", r.PathValue("eventID")
	}
	return "app", r.PathValue("appID")
}

// decodeJSON reads a JSON body into dst: at most 256 KiB (413), a JSON
// object (400) with no unknown fields and nothing after it (400), whose
// strings are valid text (422 naming the field).
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	return s.decodeJSONBody(w, r, dst, false)
}

// decodeOptionalJSON is decodeJSON for bodies that only carry options: an
// empty body (of any length header, chunked included) means none.
func (s *Server) decodeOptionalJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	return s.decodeJSONBody(w, r, dst, true)
}

func (s *Server) decodeJSONBody(w http.ResponseWriter, r *http.Request, dst any, optional bool) bool {
	var buf bytes.Buffer
	if r.ContentLength > 0 && r.ContentLength <= maxAPIBody {
		buf.Grow(int(r.ContentLength) + bytes.MinRead) // one allocation
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, maxAPIBody))
	body := buf.Bytes()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.problem(w, r, http.StatusRequestEntityTooLarge, "The body is larger than 256 KiB.", nil)
		} else if !clientGone(r) {
			s.problem(w, r, http.StatusBadRequest, "The body could not be read.", nil)
		}
		return false
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(trimmed) == 0 && optional:
		return true
	case len(trimmed) == 0:
		s.problem(w, r, http.StatusBadRequest, "The body is empty; send a JSON object.", nil)
		return false
	case trimmed[0] != '{':
		s.problem(w, r, http.StatusBadRequest, "The body must be a JSON object.", nil)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(dst)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("unexpected data after the JSON value")
		}
	}
	if err == nil {
		if fe := jsonTextErrors(body, dst); len(fe) > 0 {
			s.apiError(w, r, fe)
			return false
		}
		return true
	}
	s.problem(w, r, http.StatusBadRequest, jsonDecodeDetail(err), nil)
	return false
}

// jsonDecodeDetail says what is wrong with a body encoding/json refused.
func jsonDecodeDetail(err error) string {
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return "The body is not valid JSON: " + syntax.Error() + "."
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return "The body must be a JSON object."
	case errors.As(err, &typeErr):
		return "Field " + typeErr.Field + " has the wrong type: expected " + jsonKind(typeErr.Type.Kind()) + "."
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "The body is not valid JSON: it ends too early."
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return "Unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ") + "."
	}
	return "The body could not be read as JSON."
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8,
		reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number" // 2.5 is a number, but not one of these
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return k.String()
}

// structTextErrors checks the strings of a decoded request (fields by
// their json names); raw JSON fields ([]byte) are data and not checked.
func structTextErrors(v reflect.Value, path string, fe *hook.FieldErrors) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			structTextErrors(v.Elem(), path, fe)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if path != "" {
				name = path + "." + name
			}
			structTextErrors(v.Field(i), name, fe)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // raw JSON kept as sent
		}
		for i := range v.Len() {
			structTextErrors(v.Index(i), path, fe)
		}
	case reflect.String:
		last := path[strings.LastIndexByte(path, '.')+1:]
		if msg := hook.CheckText(path, v.String(), hook.MultiLineFields[last]); msg != "" {
			fe.Add(path, msg)
		}
	}
}

// rawJSONFields hold JSON kept as sent (an event's payload, an example): the
// bytes must be UTF-8, but their strings are data, not text input, and may
// hold any escaped character (\u0000 included): they are stored as bytes and
// delivered byte for byte.
var rawJSONFields = map[string]bool{"payload": true, "example": true}

// jsonTextErrors checks every string of a valid JSON object body, decoded
// into dst: valid UTF-8 and no control characters (tabs and line breaks
// only in multi-line fields), naming the field as a dotted path. When the
// body is valid UTF-8 the decoded strings are exactly what was sent and are
// checked in dst; otherwise (encoding/json replaced the bad bytes) the body
// is walked token by token to find the field.
func jsonTextErrors(body []byte, dst any) hook.FieldErrors {
	if utf8.Valid(body) {
		var fe hook.FieldErrors
		structTextErrors(reflect.ValueOf(dst), "", &fe)
		return fe
	}
	var walk jsonTextWalk
	dec := json.NewDecoder(bytes.NewReader(body))
	prev := dec.InputOffset()
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		off := dec.InputOffset()
		walk.token(tok, body[prev:off])
		prev = off
	}
	return walk.fe
}

// jsonTextWalk follows a body that is not valid UTF-8 token by token, to
// name the fields whose bytes are bad.
type jsonTextWalk struct {
	// stack holds, per open container, the key (objects) or "" (arrays).
	stack []jsonLevel
	fe    hook.FieldErrors
}

type jsonLevel struct {
	key    string
	object bool
	// expectKey: in an object, the next string token is a key.
	expectKey bool
}

// token takes the next token and rawTok, its bytes as sent.
func (w *jsonTextWalk) token(tok json.Token, rawTok []byte) {
	top := len(w.stack) - 1
	switch v := tok.(type) {
	case json.Delim:
		w.delim(v)
		return
	case string:
		if top >= 0 && w.stack[top].object && w.stack[top].expectKey {
			w.key(v, rawTok)
			return
		}
		w.value(v, rawTok)
	}
	if top >= 0 && w.stack[top].object {
		w.stack[top].expectKey = true
	}
}

func (w *jsonTextWalk) delim(d json.Delim) {
	switch d {
	case '{':
		w.stack = append(w.stack, jsonLevel{object: true, expectKey: true})
	case '[':
		w.stack = append(w.stack, jsonLevel{})
	default:
		top := len(w.stack) - 1
		w.stack = w.stack[:top]
		if top > 0 && w.stack[top-1].object {
			w.stack[top-1].expectKey = true
		}
	}
}

func (w *jsonTextWalk) key(k string, rawTok []byte) {
	top := len(w.stack) - 1
	w.stack[top].key, w.stack[top].expectKey = k, false
	if utf8.Valid(rawTok) {
		return
	}
	if name, raw := w.fieldName(); raw {
		w.fe.Add(name, name+" must be valid UTF-8.")
	} else {
		w.fe.Add("body", "Field names must be valid UTF-8 text.")
	}
}

func (w *jsonTextWalk) value(v string, rawTok []byte) {
	name, raw := w.fieldName()
	if name == "" {
		name = "body"
	}
	last := name[strings.LastIndexByte(name, '.')+1:]
	switch {
	case raw && !utf8.Valid(rawTok):
		w.fe.Add(name, name+" must be valid UTF-8.")
	case raw:
	case !utf8.Valid(rawTok):
		w.fe.Add(name, name+" must be valid UTF-8 text.")
	default:
		if msg := hook.CheckText(name, v, hook.MultiLineFields[last]); msg != "" {
			w.fe.Add(name, msg)
		}
	}
}

// fieldName is the dotted path of the current field; raw when it is in a
// field kept as sent, named as a whole.
func (w *jsonTextWalk) fieldName() (string, bool) {
	var parts []string
	for _, l := range w.stack {
		if l.object && l.key != "" {
			if len(parts) == 0 && rawJSONFields[l.key] {
				return l.key, true // kept as sent: named as a whole
			}
			parts = append(parts, l.key)
		}
	}
	return strings.Join(parts, "."), false
}

// writeData writes the success envelope.
func writeData(w http.ResponseWriter, status int, data any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(envelope{Data: data, Success: true})
}

// envelope is every successful answer's outer object, {"data":…,"success":true}.
type envelope struct {
	Data    any  `json:"data"`
	Success bool `json:"success"`
}

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// rawJSON is JSON kept as its bytes (a payload, an example).
type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

func (r *rawJSON) UnmarshalJSON(b []byte) error {
	*r = append((*r)[:0], b...)
	return nil
}

func writeJSONBody(w http.ResponseWriter, v any) { json.NewEncoder(w).Encode(v) }

//go:embed openapi.json
var openAPIDoc []byte

// openAPI serves the API's OpenAPI 3.1 document.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(openAPIDoc)
}

// pageParams reads cursor and limit (1–100, default 50).
func (s *Server) pageParams(w http.ResponseWriter, r *http.Request) (string, int, bool) {
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			s.problem(w, r, http.StatusBadRequest, "limit must be a whole number from 1 to 100.", nil)
			return "", 0, false
		}
		limit = n
	}
	cursor := q.Get("cursor")
	if cursor != "" && !store.ValidCursor(cursor) {
		s.problem(w, r, http.StatusBadRequest, "cursor is not valid: pass the nextCursor of the previous page.", nil)
		return "", 0, false
	}
	return cursor, limit, true
}

func writePage(w http.ResponseWriter, items any, next string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	writeJSONBody(w, map[string]any{
		"success":    true,
		"data":       items,
		"pagination": map[string]any{"nextCursor": next, "hasMore": next != ""},
	})
}
