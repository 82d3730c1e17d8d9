package web_test

import (
	"net/http"
	"testing"

	"github.com/hookboard/hookboard/web"
)

// BenchmarkBulkResendOffer is what the all-events page's "Resend all N
// matching failed deliveries" costs, on SQLite with 30,000 failed
// deliveries: the page with the offer (counted up to its cap), beside pages
// that make no count (a search; a filter that cannot match failed ones).
func BenchmarkBulkResendOffer(b *testing.B) {
	st, app, _ := acmeWithEvents(b, 30000/3)
	if _, err := st.DB().Exec(`UPDATE deliveries SET status = 'failed', attempts = 1`); err != nil {
		b.Fatal(err)
	}
	h := web.New(web.Options{Store: st, SessionKey: make([]byte, 32)})
	cookie := signInCookie(b, h)
	base := "/apps/" + app.ID + "/events"
	for _, c := range []struct{ name, path string }{
		{"no offer (a search)", base + "?q=" + app.ID},
		{"with offer (30,000 failed, counted to 1,000)", base},
		{"no offer (status=succeeded)", base + "?status=succeeded"},
	} {
		path := c.path
		b.Run(c.name, func(b *testing.B) {
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
