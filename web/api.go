package web

import (
	_ "embed"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

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
	case r.PathValue("deliveryID") != "":
		return "delivery", r.PathValue("deliveryID")
	case r.PathValue("id") != "":
		return "webhook", r.PathValue("id")
	case r.PathValue("eventID") != "":
		return "event", r.PathValue("eventID")
	}
	return "app", r.PathValue("appID")
}

// decodeJSON reads a JSON body into dst: at most 256 KiB (413), no unknown
// fields and nothing after the value (400).
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxAPIBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("unexpected data after the JSON value")
		}
	}
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooBig):
		s.problem(w, r, http.StatusRequestEntityTooLarge, "The body is larger than 256 KiB.", nil)
	case errors.As(err, &syntax):
		s.problem(w, r, http.StatusBadRequest, "The body is not valid JSON: "+syntax.Error()+".", nil)
	case errors.As(err, &typeErr):
		s.problem(w, r, http.StatusBadRequest, "Field "+typeErr.Field+" has the wrong type: expected "+typeErr.Type.String()+".", nil)
	case errors.Is(err, io.EOF):
		s.problem(w, r, http.StatusBadRequest, "The body is empty; send a JSON object.", nil)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		s.problem(w, r, http.StatusBadRequest, "Unknown field "+strings.TrimPrefix(err.Error(), "json: unknown field ")+".", nil)
	default:
		s.problem(w, r, http.StatusBadRequest, "The body could not be read as JSON.", nil)
	}
	return false
}

// writeData writes the success envelope.
func writeData(w http.ResponseWriter, status int, data any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"success": true, "data": data})
}

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

type ingestRequest struct {
	EventType string          `json:"eventType"`
	Payload   json.RawMessage `json:"payload"`
}

// apiIngest takes an event from the product and queues its deliveries.
func (s *Server) apiIngest(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	var req ingestRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	var fe hook.FieldErrors
	if strings.TrimSpace(req.EventType) == "" {
		fe.Add("eventType", "eventType is required, for example \"invoice.paid\".")
	} else if msg := hook.ValidateEventTypeName(req.EventType); msg != "" {
		fe.Add("eventType", msg)
	}
	payload := []byte(req.Payload)
	if trimmed := strings.TrimSpace(string(payload)); trimmed == "" || trimmed == "null" {
		fe.Add("payload", "payload is required: a JSON object.")
	} else if trimmed[0] != '{' {
		fe.Add("payload", "payload must be a JSON object ({…}).")
	}
	if len(fe) > 0 {
		s.apiError(w, r, fe)
		return
	}
	res, err := s.store.IngestEvent(r.Context(), c.appID, req.EventType, payload, strings.TrimSpace(r.Header.Get("Idempotency-Key")))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	status := http.StatusAccepted
	if res.Replayed {
		status = http.StatusOK
	} else {
		s.metrics.Ingested()
	}
	writeData(w, status, map[string]any{
		"id": res.Event.ID, "eventType": res.Event.EventType, "createdAt": isoTime(res.Event.CreatedAt), "deliveries": res.Deliveries,
	})
}

// deliveryJSON is a delivery in API answers.
func deliveryJSON(d hook.Delivery, attempts []hook.Attempt) map[string]any {
	out := map[string]any{
		"id": d.ID, "webhookId": d.WebhookID, "eventId": d.EventID, "eventType": d.EventType,
		"status": d.Status, "attemptCount": d.Attempts, "createdAt": isoTime(d.CreatedAt),
		"nextAttemptAt": nil, "lastAttemptAt": nil,
	}
	if d.NextAttemptAt != nil {
		out["nextAttemptAt"] = isoTime(*d.NextAttemptAt)
	}
	if d.LastAttemptAt != nil {
		out["lastAttemptAt"] = isoTime(*d.LastAttemptAt)
	}
	if attempts != nil {
		list := make([]map[string]any, len(attempts))
		for i, a := range attempts {
			list[i] = attemptJSON(a)
		}
		out["attempts"] = list
	}
	return out
}

func attemptJSON(a hook.Attempt) map[string]any {
	out := map[string]any{
		"id": a.ID, "trigger": a.Trigger, "succeeded": a.Succeeded, "requestUrl": a.RequestURL,
		"requestHeaders": a.RequestHeaders, "responseStatus": nil, "responseHeaders": a.ResponseHeaders,
		"responseBody": string(a.ResponseBody), "responseTruncated": a.ResponseTruncated,
		"durationMs": a.Duration.Milliseconds(), "error": a.Error, "createdAt": isoTime(a.CreatedAt),
	}
	if a.ResponseStatus != 0 {
		out["responseStatus"] = a.ResponseStatus
	}
	return out
}

// apiTestPing delivers a webhook.ping event to one webhook now.
func (s *Server) apiTestPing(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	d, attempts, err := s.sendTestEvent(r, c.actor(), c.appID, r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeData(w, http.StatusOK, deliveryJSON(d, attempts))
}

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

var errNoSender = errors.New("no sender configured")

//go:embed openapi.json
var openAPIDoc []byte

// openAPI serves the API's OpenAPI 3.1 document.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(openAPIDoc)
}
