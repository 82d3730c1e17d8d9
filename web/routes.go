package web

import "net/http"

// routes lists every route. Handlers under /apps/{appID}/ go through
// s.member (signed-in member of the app) or s.admin (admin of the app).
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /static/", s.static)

	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /apps/{appID}", s.member(s.appHome))

	mux.HandleFunc("GET /apps/{appID}/webhooks", s.member(s.webhookList))
	mux.HandleFunc("GET /apps/{appID}/webhooks/new", s.admin(s.webhookNew))
	mux.HandleFunc("POST /apps/{appID}/webhooks", s.admin(s.webhookCreate))
	mux.HandleFunc("POST /apps/{appID}/webhooks/new", s.admin(s.webhookCreate))
	mux.HandleFunc("GET /apps/{appID}/webhooks/{id}", s.member(s.webhookDetail))
	mux.HandleFunc("GET /apps/{appID}/webhooks/{id}/edit", s.admin(s.webhookEdit))
	mux.HandleFunc("POST /apps/{appID}/webhooks/{id}/edit", s.admin(s.webhookUpdate))
	mux.HandleFunc("POST /apps/{appID}/webhooks/{id}", s.admin(s.webhookUpdate))
	mux.HandleFunc("GET /apps/{appID}/webhooks/{id}/delete", s.admin(s.webhookDeleteConfirm))
	mux.HandleFunc("POST /apps/{appID}/webhooks/{id}/delete", s.admin(s.webhookDelete))
	mux.HandleFunc("POST /apps/{appID}/webhooks/{id}/secret/reveal", s.admin(s.secretReveal))
	mux.HandleFunc("POST /apps/{appID}/webhooks/{id}/secret", s.admin(s.secretCopy))
	mux.HandleFunc("GET /apps/{appID}/webhooks/{id}/secret/rotate", s.admin(s.secretRotateConfirm))
	mux.HandleFunc("POST /apps/{appID}/webhooks/{id}/secret/rotate", s.admin(s.secretRotate))

	mux.HandleFunc("POST /apps/{appID}/webhooks/{id}/test", s.admin(s.webhookTest))
	mux.HandleFunc("GET /apps/{appID}/webhooks/{id}/events", s.member(s.webhookEvents))
	mux.HandleFunc("GET /apps/{appID}/events", s.member(s.appEvents))
	mux.HandleFunc("GET /apps/{appID}/deliveries/{id}", s.member(s.deliveryPage))
	mux.HandleFunc("GET /apps/{appID}/deliveries/{id}/payload.json", s.member(s.payloadDownload))
	// Support agents may resend: it is how they fix a failure.
	mux.HandleFunc("POST /apps/{appID}/deliveries/{id}/resend", s.member(s.resend))

	mux.HandleFunc("GET /apps/{appID}/api-keys", s.admin(s.apiKeyList))
	mux.HandleFunc("POST /apps/{appID}/api-keys", s.admin(s.apiKeyCreate))
	mux.HandleFunc("POST /apps/{appID}/api-keys/{keyID}/revoke", s.admin(s.apiKeyRevoke))

	mux.HandleFunc("GET /apps/{appID}/event-types", s.member(s.eventTypeList))
	mux.HandleFunc("POST /apps/{appID}/event-types", s.admin(s.eventTypeCreate))
	mux.HandleFunc("POST /apps/{appID}/event-types/{name}/archive", s.admin(s.eventTypeArchive))
	mux.HandleFunc("POST /apps/{appID}/event-types/{name}/unarchive", s.admin(s.eventTypeUnarchive))

	// JSON API, authenticated by an API key of the app.
	for _, rt := range s.apiRoutes() {
		mux.HandleFunc(rt.Method+" "+rt.Path, s.api(rt.Handler))
	}
	mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)

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
