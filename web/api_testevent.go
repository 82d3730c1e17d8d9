package web

import "net/http"

// apiTestPing delivers a webhook.ping event to one webhook now.
func (s *Server) apiTestPing(w http.ResponseWriter, r *http.Request, c *apiCtx) {
	d, attempts, err := s.sendTestEvent(r, c.actor(), c.appID, r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeData(w, http.StatusOK, deliveryJSON(d, attempts))
}
