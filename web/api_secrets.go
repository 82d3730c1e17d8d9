package web

import "net/http"

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
