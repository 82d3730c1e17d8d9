package web

import "net/http"

// routes lists every route. Handlers under /apps/{appID}/ go through
// s.member (signed-in member of the app) or s.admin (admin of the app).
func (s *Server) routes(mux *http.ServeMux) {
	handle := func(pattern string, h http.HandlerFunc) {
		s.patterns = append(s.patterns, pattern)
		mux.HandleFunc(pattern, s.checkInput(pattern, h))
	}
	handle("GET /healthz", s.healthz)
	handle("GET /readyz", s.readyz)
	handle("GET /metrics", s.serveMetrics)
	handle("GET /static/", s.static.ServeHTTP)
	handle("GET /favicon.ico", s.static.favicon)

	handle("GET /login", s.loginPage)
	handle("POST /login", s.login)
	handle("POST /logout", s.logout)
	handle("GET /account", s.accountPage)
	handle("POST /account/password", s.changePassword)
	handle("POST /account/sessions/end-others", s.endOtherSessions)
	handle("GET /{$}", s.home)
	handle("GET /apps/{appID}", s.member(s.appHome))

	handle("GET /apps/{appID}/webhooks", s.member(s.webhookList))
	handle("GET /apps/{appID}/webhooks/new", s.admin(s.webhookNew))
	handle("POST /apps/{appID}/webhooks", s.admin(s.webhookCreate))
	handle("POST /apps/{appID}/webhooks/new", s.admin(s.webhookCreate))
	handle("GET /apps/{appID}/webhooks/{id}", s.member(s.webhookDetail))
	handle("GET /apps/{appID}/webhooks/{id}/edit", s.admin(s.webhookEdit))
	handle("POST /apps/{appID}/webhooks/{id}/edit", s.admin(s.webhookUpdate))
	handle("POST /apps/{appID}/webhooks/{id}", s.admin(s.webhookUpdate))
	handle("GET /apps/{appID}/webhooks/{id}/delete", s.admin(s.webhookDeleteConfirm))
	handle("POST /apps/{appID}/webhooks/{id}/delete", s.admin(s.webhookDelete))
	handle("POST /apps/{appID}/webhooks/{id}/secret/reveal", s.admin(s.secretReveal))
	handle("POST /apps/{appID}/webhooks/{id}/secret", s.admin(s.secretCopy))
	handle("GET /apps/{appID}/webhooks/{id}/secret/rotate", s.admin(s.secretRotateConfirm))
	handle("POST /apps/{appID}/webhooks/{id}/secret/rotate", s.admin(s.secretRotate))

	handle("POST /apps/{appID}/webhooks/{id}/test", s.admin(s.webhookTest))
	handle("GET /apps/{appID}/webhooks/{id}/events", s.member(s.webhookEvents))
	handle("GET /apps/{appID}/events", s.member(s.appEvents))
	handle("GET /apps/{appID}/events/{eventID}", s.member(s.eventPage))
	handle("GET /apps/{appID}/deliveries/{id}", s.member(s.deliveryPage))
	handle("GET /apps/{appID}/deliveries/{id}/payload.json", s.member(s.payloadDownload))
	// Support agents may resend: it is how they fix a failure.
	handle("POST /apps/{appID}/deliveries/{id}/resend", s.member(s.resend))

	s.recoveryRoutes(handle)

	// s.team: admins of the app's own team; 404 for a portal session.
	handle("GET /apps/{appID}/api-keys", s.team(s.apiKeyList))
	handle("POST /apps/{appID}/api-keys", s.team(s.apiKeyCreate))
	handle("POST /apps/{appID}/api-keys/{keyID}/revoke", s.team(s.apiKeyRevoke))

	handle("GET /apps/{appID}/members", s.team(s.memberList))
	handle("POST /apps/{appID}/members", s.team(s.memberAdd))
	handle("POST /apps/{appID}/members/{userID}/role", s.team(s.memberRole))
	handle("POST /apps/{appID}/members/{userID}/remove", s.team(s.memberRemove))
	handle("GET /apps/{appID}/audit", s.member(s.auditLog))

	handle("GET /apps/{appID}/event-types", s.member(s.eventTypeList))
	handle("POST /apps/{appID}/event-types", s.admin(s.eventTypeCreate))
	handle("POST /apps/{appID}/event-types/{name}/archive", s.admin(s.eventTypeArchive))
	handle("POST /apps/{appID}/event-types/{name}/unarchive", s.admin(s.eventTypeUnarchive))

	handle("GET /apps/{appID}/settings", s.team(s.settingsPage))
	handle("POST /apps/{appID}/settings", s.team(s.settingsSave))
	handle("GET /apps/{appID}/brand.css", s.member(s.brandCSS))
	handle("GET /portal/{token}", s.portalOpen)

	// JSON API, authenticated by an API key of the app.
	for _, rt := range s.apiRoutes() {
		handle(rt.Method+" "+rt.Path, s.api(rt.Handler))
	}
	handle("GET /api/v1/openapi.json", s.openAPI)

	// Everything else: our 404, or 405 with Allow.
	handle("/", s.noRoute)
}

// recoveryRoutes are the outage recovery pages (recoveries*.go): support
// agents may Recover and Bulk resend (they are resends); Replay missing is
// for admins. Cancel follows the job's kind (checked in the handler).
func (s *Server) recoveryRoutes(handle func(string, http.HandlerFunc)) {
	handle("GET /apps/{appID}/webhooks/{id}/recover", s.member(s.recoverPreview))
	handle("POST /apps/{appID}/webhooks/{id}/recover", s.member(s.recoverStart))
	handle("GET /apps/{appID}/webhooks/{id}/replay", s.admin(s.replayPreview))
	handle("POST /apps/{appID}/webhooks/{id}/replay", s.admin(s.replayStart))
	handle("GET /apps/{appID}/deliveries/bulk-resend", s.member(s.bulkResendPreview))
	handle("POST /apps/{appID}/deliveries/bulk-resend", s.member(s.bulkResendStart))
	handle("GET /apps/{appID}/recoveries", s.member(s.recoveryList))
	handle("GET /apps/{appID}/recoveries/{recoveryID}", s.member(s.recoveryPage))
	handle("POST /apps/{appID}/recoveries/{recoveryID}/cancel", s.member(s.recoveryCancel))
}

// APIRoute is one route of the JSON API; the OpenAPI document must list
// exactly these (a test checks both ways).
type APIRoute struct {
	Method  string
	Path    string
	Handler apiHandler
}

const apiBase = "/api/v1/apps/{appID}"

func (s *Server) apiRoutes() []APIRoute {
	return []APIRoute{
		{"POST", apiBase + "/webhooks", s.apiWebhookCreate},
		{"GET", apiBase + "/webhooks", s.apiWebhookList},
		{"GET", apiBase + "/webhooks/{id}", s.apiWebhookGet},
		{"PUT", apiBase + "/webhooks/{id}", s.apiWebhookUpdate},
		{"DELETE", apiBase + "/webhooks/{id}", s.apiWebhookDelete},
		{"POST", apiBase + "/webhooks/{id}/rotate-secret", s.apiRotateSecret},
		{"POST", apiBase + "/webhooks/{id}/test-ping", s.apiTestPing},
		{"GET", apiBase + "/webhooks/{id}/deliveries", s.apiWebhookDeliveries},
		{"GET", apiBase + "/deliveries/{deliveryID}", s.apiDeliveryGet},
		{"POST", apiBase + "/deliveries/{deliveryID}/resend", s.apiResend},
		{"POST", apiBase + "/events", s.apiIngest},
		{"GET", apiBase + "/events", s.apiEventList},
		{"GET", apiBase + "/event-types", s.apiEventTypeList},
		{"POST", apiBase + "/event-types", s.apiEventTypeCreate},
		{"POST", apiBase + "/webhooks/{id}/recover", s.apiRecover},
		{"POST", apiBase + "/webhooks/{id}/replay-missing", s.apiReplayMissing},
		{"POST", apiBase + "/deliveries/bulk-resend", s.apiBulkResend},
		{"GET", apiBase + "/recoveries", s.apiRecoveryList},
		{"GET", apiBase + "/recoveries/{recoveryID}", s.apiRecoveryGet},
		{"POST", apiBase + "/recoveries/{recoveryID}/cancel", s.apiRecoveryCancel},
		{"POST", apiBase + "/portal-links", s.apiPortalLinkCreate},
		{"DELETE", apiBase + "/portal-sessions", s.apiPortalSessionsEnd},
	}
}

// APIRoutes lists the JSON API's method and path patterns.
func APIRoutes() [][2]string {
	var out [][2]string
	for _, r := range (&Server{}).apiRoutes() {
		out = append(out, [2]string{r.Method, r.Path})
	}
	return out
}

// Routes lists every registered method and path pattern, for the
// authorization matrix test.
func (s *Server) Routes() []string { return append([]string(nil), s.patterns...) }
