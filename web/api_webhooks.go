package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

// apiAuth is a webhook's outbound authentication in API bodies.
type apiAuth struct {
	Type     string `json:"type"`
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Header   string `json:"header,omitempty"`
	Value    string `json:"value,omitempty"`
}

type createWebhookRequest struct {
	Name        string   `json:"name"`
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
	Active      *bool    `json:"active"`
	Auth        *apiAuth `json:"auth"`
}

// updateWebhookRequest: every field is optional; what is absent is kept.
type updateWebhookRequest struct {
	Name        *string   `json:"name"`
	URL         *string   `json:"url"`
	Events      *[]string `json:"events"`
	Description *string   `json:"description"`
	Active      *bool     `json:"active"`
	Auth        *apiAuth  `json:"auth"`
	Secret      *string   `json:"secret"`
}

// apiFieldNames maps the shared validation's form field names to the API's.
var apiFieldNames = map[string]string{
	"auth_type": "auth.type", "auth_username": "auth.username", "auth_password": "auth.password",
	"auth_header": "auth.header", "auth_value": "auth.value",
}

func apiFieldErrors(err error) error {
	fe, ok := err.(hook.FieldErrors)
	if !ok {
		return err
	}
	out := make(hook.FieldErrors, len(fe))
	for i, e := range fe {
		if n, ok := apiFieldNames[e.Field]; ok {
			e.Field = n
		}
		out[i] = e
	}
	return out
}

func applyAuth(in *hook.WebhookInput, a *apiAuth) {
	if a == nil {
		return
	}
	in.AuthType = a.Type
	in.AuthUsername, in.AuthPassword = a.Username, a.Password
	in.AuthHeader, in.AuthValue = a.Header, a.Value
}

// webhookJSON builds a webhook's API shape with exactly the fields the call
// returns: create adds createdAt and secret; list/get add createdAt and
// updatedAt; update adds updatedAt.
func webhookJSON(wh hook.Webhook, withCreated, withUpdated bool) map[string]any {
	events := wh.Events
	if events == nil {
		events = []string{}
	}
	out := map[string]any{"id": wh.ID, "name": wh.Name, "url": wh.URL, "events": events, "active": wh.Active}
	if withCreated {
		out["createdAt"] = isoTime(wh.CreatedAt)
	}
	if withUpdated {
		out["updatedAt"] = isoTime(wh.UpdatedAt)
	}
	return out
}

func (s *Server) apiWebhookCreate(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	var req createWebhookRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	in := hook.WebhookInput{Name: req.Name, URL: req.URL, Events: req.Events, Description: req.Description, Active: true, AuthType: hook.AuthNone}
	if req.Active != nil {
		in.Active = *req.Active
	}
	applyAuth(&in, req.Auth)
	wh, secret, err := s.store.CreateWebhook(r.Context(), c.actor(), c.appID, in, s.targets)
	if err != nil {
		s.apiError(w, r, apiFieldErrors(err))
		return
	}
	out := webhookJSON(wh, true, false)
	out["secret"] = secret
	w.Header().Set("Location", "/api/v1/apps/"+c.appID+"/webhooks/"+wh.ID)
	writeData(w, http.StatusCreated, out)
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

func (s *Server) apiWebhookList(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	cursor, limit, ok := s.pageParams(w, r)
	if !ok {
		return
	}
	page, next, err := s.store.ListWebhooksPage(r.Context(), c.appID, cursor, limit)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	items := make([]map[string]any, len(page))
	for i, wh := range page {
		items[i] = webhookJSON(wh, true, true)
	}
	writePage(w, items, next)
}

func (s *Server) apiWebhookGet(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	wh, err := s.store.Webhook(r.Context(), c.appID, r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeData(w, http.StatusOK, webhookJSON(wh, true, true))
}

func (s *Server) apiWebhookUpdate(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	wh, err := s.store.Webhook(r.Context(), c.appID, r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	var req updateWebhookRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	in := webhookInputOf(wh)
	if req.Name != nil {
		in.Name = *req.Name
	}
	if req.URL != nil {
		in.URL = *req.URL
	}
	if req.Events != nil {
		in.Events = *req.Events
	}
	if req.Description != nil {
		in.Description = *req.Description
	}
	if req.Active != nil {
		in.Active = *req.Active
	}
	applyAuth(&in, req.Auth)
	if req.Secret != nil {
		if strings.TrimSpace(*req.Secret) == "" {
			s.apiError(w, r, hook.FieldErrors{{Field: "secret", Message: "secret may not be empty; leave it out to keep the current one."}})
			return
		}
		in.Secret = *req.Secret
	}
	updated, err := s.store.UpdateWebhook(r.Context(), c.actor(), c.appID, wh.ID, in, s.targets)
	if err != nil {
		s.apiError(w, r, apiFieldErrors(err))
		return
	}
	writeData(w, http.StatusOK, webhookJSON(updated, false, true))
}

func (s *Server) apiWebhookDelete(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	if err := s.store.DeleteWebhook(r.Context(), c.actor(), c.appID, r.PathValue("id")); err != nil {
		s.apiError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type rotateRequest struct {
	ExpireOldNow bool `json:"expireOldNow"`
}

func (s *Server) apiRotateSecret(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	var req rotateRequest
	if !s.decodeOptionalJSON(w, r, &req) { // an empty body, chunked or not: no options
		return
	}
	secret, err := s.store.RotateSecret(r.Context(), c.actor(), c.appID, r.PathValue("id"), req.ExpireOldNow, "", "")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeData(w, http.StatusOK, map[string]any{"secret": secret})
}

func (s *Server) apiWebhookDeliveries(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	wh, err := s.store.Webhook(r.Context(), c.appID, r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	cursor, limit, ok := s.pageParams(w, r)
	if !ok {
		return
	}
	status := r.URL.Query().Get("status")
	switch status {
	case "", hook.StatusPending, hook.StatusRetrying, hook.StatusSucceeded, hook.StatusFailed:
	default:
		s.problem(w, r, http.StatusBadRequest, "status must be one of pending, retrying, succeeded, failed.", nil)
		return
	}
	rows, next, err := s.store.ListDeliveries(r.Context(), c.appID, store.DeliveryFilter{WebhookID: wh.ID, Status: status, Cursor: cursor, Limit: limit})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	items := make([]map[string]any, len(rows))
	for i, d := range rows {
		items[i] = deliveryJSON(d.Delivery, nil)
	}
	writePage(w, items, next)
}

func (s *Server) apiDeliveryGet(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	d, err := s.store.DeliveryDetail(r.Context(), c.appID, r.PathValue("deliveryID"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	attempts := d.Attempts
	if attempts == nil {
		attempts = []hook.Attempt{}
	}
	writeData(w, http.StatusOK, deliveryJSON(d.Delivery, attempts))
}

func (s *Server) apiResend(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	if s.sender == nil {
		s.apiError(w, r, errNoSender)
		return
	}
	job, err := s.store.ClaimForResend(r.Context(), c.actor(), c.appID, r.PathValue("deliveryID"), s.sender.Owner(), s.sender.Lease())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if _, _, err := s.sender.Deliver(r.Context(), job, hook.TriggerManual); err != nil {
		s.apiError(w, r, err)
		return
	}
	d, err := s.store.DeliveryDetail(r.Context(), c.appID, job.ID)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeData(w, http.StatusAccepted, deliveryJSON(d.Delivery, d.Attempts))
}

func eventJSON(ev hook.Event) map[string]any {
	return map[string]any{"id": ev.ID, "eventType": ev.EventType, "createdAt": isoTime(ev.CreatedAt), "payload": rawJSON(ev.Payload)}
}

func (s *Server) apiEventList(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	cursor, limit, ok := s.pageParams(w, r)
	if !ok {
		return
	}
	events, next, err := s.store.ListEvents(r.Context(), c.appID, r.URL.Query().Get("eventType"), cursor, limit)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	items := make([]map[string]any, len(events))
	for i, ev := range events {
		items[i] = eventJSON(ev)
	}
	writePage(w, items, next)
}

func eventTypeJSON(et hook.EventType) map[string]any {
	out := map[string]any{"name": et.Name, "description": et.Description, "archived": et.Archived(), "createdAt": isoTime(et.CreatedAt), "example": nil}
	if et.Example != "" {
		out["example"] = rawJSON([]byte(et.Example))
	}
	return out
}

func (s *Server) apiEventTypeList(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	types, err := s.store.ListEventTypes(r.Context(), c.appID, true)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	items := make([]map[string]any, len(types))
	for i, et := range types {
		items[i] = eventTypeJSON(et)
	}
	writePage(w, items, "")
}

type eventTypeRequest struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Example     *rawJSON `json:"example"`
}

func (s *Server) apiEventTypeCreate(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	var req eventTypeRequest
	if !s.decodeJSON(w, r, &req) {
		return
	}
	in := hook.EventTypeInput{Name: req.Name, Description: req.Description}
	if req.Example != nil && string(*req.Example) != "null" {
		in.Example = string(*req.Example)
	}
	et, err := s.store.CreateEventType(r.Context(), c.actor(), c.appID, in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeData(w, http.StatusCreated, eventTypeJSON(et))
}
