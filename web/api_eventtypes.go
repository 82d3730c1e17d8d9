package web

import (
	"net/http"

	"github.com/hookboard/hookboard/internal/hook"
)

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
