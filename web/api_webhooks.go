package web

import (
	"net/http"
	"strings"

	"github.com/hookboard/hookboard/internal/hook"
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
	// Endpoint policies (policies.go).
	RateLimit apiRateLimit       `json:"rateLimit"`
	Headers   *map[string]string `json:"headers"`
	Ordering  *string            `json:"ordering"`
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
	// Endpoint policies (policies.go).
	RateLimit apiRateLimit       `json:"rateLimit"`
	Headers   *map[string]string `json:"headers"`
	Ordering  *string            `json:"ordering"`
}

// apiFieldNames maps the shared validation's form field names to the API's.
var apiFieldNames = map[string]string{
	"auth_type": "auth.type", "auth_username": "auth.username", "auth_password": "auth.password",
	"auth_header": "auth.header", "auth_value": "auth.value", "rate_limit": "rateLimit",
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
	policyJSON(wh, out)
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
	applyPolicies(&in, req.RateLimit, req.Headers, req.Ordering)
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
	applyPolicies(&in, req.RateLimit, req.Headers, req.Ordering)
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
