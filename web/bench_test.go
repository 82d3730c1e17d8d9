package web_test

import (
	"net/http"
	"testing"

	"github.com/hookboard/hookboard/web"
)

// BenchmarkPages renders the pages support agents use most, on SQLite with
// 10,000 deliveries, through the whole handler stack (session, role check,
// query, templ, middleware) but without a network.
func BenchmarkPages(b *testing.B) {
	st, app, last := acmeWithEvents(b, 10000/3)
	var deliveryID, webhookID string
	st.DB().Get(&deliveryID, st.DB().Rebind(`SELECT id FROM deliveries WHERE event_id = ? LIMIT 1`), last.Event.ID)
	st.DB().Get(&webhookID, `SELECT id FROM webhooks LIMIT 1`)
	h := web.New(web.Options{Store: st, SessionKey: make([]byte, 32)})
	cookie := signInCookie(b, h)
	base := "/apps/" + app.ID
	for name, path := range map[string]string{
		"webhook list":    base + "/webhooks",
		"webhook page":    base + "/webhooks/" + webhookID,
		"event log":       base + "/events",
		"filtered log":    base + "/events?status=pending&event_type=invoice.paid&webhook=" + webhookID,
		"delivery detail": base + "/deliveries/" + deliveryID,
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest("GET", path, nil)
				req.Header.Set("Cookie", cookie)
				rec := newRecorder()
				h.ServeHTTP(rec, req)
				if rec.code != http.StatusOK {
					b.Fatalf("%s: %d", path, rec.code)
				}
			}
		})
	}
}
