package sender_test

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// TestRecordedCausesClassify: what the sender records for a TLS receiver
// whose certificate it does not trust, a closed port, a slow receiver and a
// redirect reads back as the cause the event log and the hints use.
func TestRecordedCausesClassify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		untrusted := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
		untrusted.Config.ErrorLog = log.New(io.Discard, "", 0)
		untrusted.StartTLS()
		defer untrusted.Close()
		release := make(chan struct{})
		slow := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		redirect := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
			http.Redirect(w, r, "https://elsewhere.example/hook", http.StatusFound)
		})
		f.webhook("Untrusted", untrusted.URL+"/hook", []string{"invoice.paid"}, true)
		f.webhook("Slow", slow.URL, []string{"invoice.paid"}, true)
		f.webhook("Redirect", redirect.URL, []string{"invoice.paid"}, true)
		res := f.ingest("invoice.paid", `{}`)
		f.run(sender.Options{Timeout: 2 * time.Second}).Step() // a TLS handshake under -race and load can take 300 ms
		want := map[string]struct{ label, hint string }{
			"Untrusted": {"tls", "self-signed or signed by an unknown authority"},
			"Slow":      {"timeout", "No answer within 2 s: answer first, then do the work"},
			"Redirect":  {"302", "does not follow redirects"},
		}
		for _, d := range f.deliveries(res.Event.ID) {
			atts, _ := s.Attempts(ctx, d.ID)
			wh, _ := s.Webhook(ctx, f.app.ID, d.WebhookID)
			if len(atts) != 1 {
				t.Fatalf("%s: %d attempts", wh.Name, len(atts))
			}
			a, w := atts[0], want[wh.Name]
			if got := hook.ResponseStatusLabel(a.ResponseStatus, a.Error); got != w.label {
				t.Errorf("%s: label %q, want %q (error %q)", wh.Name, got, w.label, a.Error)
			}
			if got := hook.Hint(a); !strings.Contains(got, w.hint) {
				t.Errorf("%s: hint %q, want %q in it (error %q)", wh.Name, got, w.hint, a.Error)
			}
		}
	})
}
