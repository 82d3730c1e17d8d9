package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/metrics"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/sender/sendertest"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
	"github.com/hookboard/hookboard/web"
)

func TestMetrics(t *testing.T) {
	st := storetest.New(t, store.SQLite, storetest.Options{})
	ctx := context.Background()
	app, _ := st.CreateApp(ctx, "Acme")
	_, key, _ := st.CreateAPIKey(ctx, hook.Actor{}, app.ID, "k")
	st.CreateEventType(ctx, hook.Actor{}, app.ID, hook.EventTypeInput{Name: "a.b"})
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer rc.Close()
	st.CreateWebhook(ctx, hook.Actor{}, app.ID, hook.WebhookInput{Name: "A", URL: rc.URL, Events: []string{"*"}, Active: true, AuthType: "none"}, hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true})
	mx := metrics.New(st.DueCount)
	drv := sendertest.Start(t, st, sender.Options{AllowPrivate: true, Metrics: mx})
	snd := drv.Sender
	srv := httptest.NewServer(web.New(web.Options{Store: st, Deliverer: sender.NewService(st, snd), Metrics: mx, SessionKey: make([]byte, 32)}))
	defer srv.Close()
	for range 3 {
		resp, _ := apiCall(t, srv.URL, "POST", "/api/v1/apps/"+app.ID+"/events", key, `{"eventType":"a.b","payload":{}}`)
		wantStatus(t, resp, http.StatusAccepted)
	}
	due := scrape(t, srv.URL)
	if !strings.Contains(due, "hookboard_queue_depth 3") || !strings.Contains(due, "hookboard_events_ingested_total 3") {
		t.Errorf("before sending:\n%s", grepLines(due, "hookboard_"))
	}
	drv.Step()
	out := scrape(t, srv.URL)
	for _, want := range []string{
		`hookboard_deliveries_total{outcome="succeeded"} 3`,
		`hookboard_attempt_duration_seconds_count{trigger="automatic"} 3`,
		"hookboard_queue_depth 0",
		`hookboard_http_request_duration_seconds_count{code="2xx",route="POST /api/v1/apps/{appID}/events"} 3`,
		"process_resident_memory_bytes",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q:\n%s", want, grepLines(out, "hookboard_"))
		}
	}
}

func scrape(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
