package web_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// mustAttempts records attempts of webhook wh (of Acme) directly: ok says
// which succeeded, the i-th one ago[i] before now.
func (h *harness) mustAttempts(wh string, status int, errText string, ms int, ok bool, ago ...time.Duration) {
	h.t.Helper()
	var at []time.Time
	for _, d := range ago {
		at = append(at, time.Now().UTC().Add(-d))
	}
	h.mustAttemptsAt(wh, status, errText, ms, ok, at...)
}

// mustAttemptsAt records attempts of webhook wh at the given times.
func (h *harness) mustAttemptsAt(wh string, status int, errText string, ms int, ok bool, at ...time.Time) {
	h.t.Helper()
	ctx := context.Background()
	db := h.store.DB()
	var delivery string
	if err := db.GetContext(ctx, &delivery, db.Rebind(`SELECT id FROM deliveries WHERE webhook_id = ? LIMIT 1`), wh); err != nil {
		h.store.CreateEventType(ctx, hook.Actor{Label: "test"}, h.acme.ID, hook.EventTypeInput{Name: "health.check"}) // once
		if _, err := h.store.IngestEvent(ctx, h.acme.ID, "health.check", []byte(`{}`), ""); err != nil {
			h.t.Fatal(err)
		}
		if err := db.GetContext(ctx, &delivery, db.Rebind(`SELECT id FROM deliveries WHERE webhook_id = ? LIMIT 1`), wh); err != nil {
			h.t.Fatal(err)
		}
	}
	var st any
	if status != 0 {
		st = status
	}
	for _, when := range at {
		if _, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO attempts (id, delivery_id, webhook_id, trigger_type, succeeded,
			request_url, request_headers, response_status, duration_ms, error, created_at) VALUES (?, ?, ?, 'automatic', ?, '', '{}', ?, ?, ?, ?)`),
			uuid.NewString(), delivery, wh, ok, st, ms, errText, when.UTC()); err != nil {
			h.t.Fatal(err)
		}
	}
	// Written around the store's recording: count them for the chart.
	if len(at) > 0 {
		if err := h.store.RecountAttemptMinutes(ctx, slices.MinFunc(at, time.Time.Compare)); err != nil {
			h.t.Fatal(err)
		}
	}
}

func minutes(n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(n-i) * time.Minute
	}
	return out
}

// The webhook list and a webhook's page show the endpoint's health, its
// latest delivery and its median latency, apart from the Active switch:
// failing, degraded, healthy, disabled, and "no deliveries yet".
func TestWebhookHealthOnListAndPage(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			h := newHarnessOn(t, dialect)
			down := h.mustWebhook(h.acme.ID, "down")
			shaky := h.mustWebhook(h.acme.ID, "shaky")
			fine := h.mustWebhook(h.acme.ID, "fine")
			fresh := h.mustWebhook(h.acme.ID, "fresh")
			off := h.mustWebhook(h.acme.ID, "off")
			h.mustAttempts(down.ID, 0, "TLS: certificate expired", 30, false, minutes(10)...)
			h.mustAttempts(shaky.ID, 200, "", 40, true, minutes(18)...)
			h.mustAttempts(shaky.ID, 500, "", 40, false, 30*time.Second, 20*time.Second)
			h.mustAttempts(fine.ID, 204, "", 12, true, 3*time.Hour, 2*time.Hour, 5*time.Minute)
			h.mustAttempts(off.ID, 200, "", 12, true, time.Hour)
			if _, err := h.store.DB().ExecContext(context.Background(), h.store.DB().Rebind(`UPDATE webhooks SET active = ?, disabled_reason = ? WHERE id = ?`),
				false, "the endpoint failed for 5 days", off.ID); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{down.ID: "failing", shaky.ID: "degraded", fine.ID: "healthy", fresh.ID: "unknown", off.ID: "disabled"}

			for _, c := range []*client{h.admin(), h.support()} {
				resp, doc := c.get("/apps/" + h.acme.ID + "/webhooks")
				wantStatus(t, resp, 200)
				for id, state := range want {
					row := doc.Find(`tr[data-webhook-id="` + id + `"]`)
					if got, _ := row.Find("[data-field=health]").Attr("data-health"); got != state {
						t.Errorf("list: %s health = %q, want %q", id, got, state)
					}
				}
				row := doc.Find(`tr[data-webhook-id="` + down.ID + `"]`)
				last := row.Find("[data-field=last-delivery]")
				if dt, ok := last.Find("time").Attr("datetime"); !ok || dt == "" {
					t.Errorf("last delivery has no <time datetime>: %q", last.Text())
				}
				if title, _ := last.Find("time").Attr("title"); !strings.HasSuffix(title, "UTC") {
					t.Errorf("last delivery's title = %q, want the exact UTC time", title)
				}
				if got := strings.Join(strings.Fields(last.Text()), " "); !strings.Contains(got, "1 min ago") || !strings.Contains(got, "tls") {
					t.Errorf("down's last delivery = %q, want 1 min ago, tls", got)
				}
				if got := strings.TrimSpace(row.Find("[data-field=latency]").Text()); got != "30 ms" {
					t.Errorf("down's latency = %q, want 30 ms", got)
				}
				freshRow := doc.Find(`tr[data-webhook-id="` + fresh.ID + `"]`)
				if got := freshRow.Find("[data-field=last-delivery]").Text(); !strings.Contains(got, "No deliveries yet") {
					t.Errorf("fresh's last delivery = %q", got)
				}
				if got := strings.TrimSpace(freshRow.Find("[data-field=health]").Text()); got != "No deliveries yet" {
					t.Errorf("fresh's health = %q, want No deliveries yet (not healthy)", got)
				}
			}

			resp, doc := h.support().get("/apps/" + h.acme.ID + "/webhooks/" + shaky.ID)
			wantStatus(t, resp, 200)
			if got, _ := doc.Find("[data-field=health]").Attr("data-health"); got != "degraded" {
				t.Errorf("page: health = %q, want degraded", got)
			}
			if got := text(doc, "[data-field=latency]"); got != "40 ms" {
				t.Errorf("page: latency = %q", got)
			}
			if got := strings.Join(strings.Fields(text(doc, "[data-field=last-delivery]")), " "); !strings.Contains(got, "just now") || !strings.Contains(got, "500") {
				t.Errorf("page: last delivery = %q, want just now ✗ 500", got)
			}
			if got := text(doc, "[data-field=status]"); got != "Active" {
				t.Errorf("page: status = %q: the admin's switch stays Active", got)
			}
		})
	}
}
