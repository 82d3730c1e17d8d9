package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/hookboard/hookboard/internal/hook"
)

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
	res, err := s.ingester.IngestEvent(r.Context(), c.appID, req.EventType, payload, strings.TrimSpace(r.Header.Get("Idempotency-Key")))
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
	writeData(w, status, ingested{
		ID: res.Event.ID, EventType: res.Event.EventType, CreatedAt: isoTime(res.Event.CreatedAt), Deliveries: res.Deliveries,
	})
}

// ingested is the answer to an ingested event. A struct, not a map: it is
// the API's busiest answer, and encoding a map sorts its keys by
// reflection on every call. The fields are in the order a map's keys were.
type ingested struct {
	CreatedAt  string `json:"createdAt"`
	Deliveries int    `json:"deliveries"`
	EventType  string `json:"eventType"`
	ID         string `json:"id"`
}

func eventJSON(ev hook.Event) map[string]any {
	return map[string]any{"id": ev.ID, "eventType": ev.EventType, "createdAt": isoTime(ev.CreatedAt), "payload": rawJSON(ev.Payload)}
}

func (s *Server) apiEventList(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	cursor, limit, ok := s.pageParams(w, r)
	if !ok {
		return
	}
	qs := r.URL.Query()
	var events []hook.Event
	var next string
	var err error
	if q := strings.TrimSpace(qs.Get("q")); q != "" {
		// A search names one event: it is the whole answer.
		events, err = s.store.SearchEvents(r.Context(), c.appID, q, qs.Get("eventType"))
	} else {
		events, next, err = s.store.ListEvents(r.Context(), c.appID, qs.Get("eventType"), cursor, limit)
	}
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
