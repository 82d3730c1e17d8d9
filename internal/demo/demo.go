// Package demo fills a demo app and keeps events flowing to a receiver built
// into the process, some of whose endpoints fail or time out, so every page
// of the dashboard has something to show.
package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

// AppName is the demo app's name.
const AppName = "Demo"

var eventTypes = []hook.EventTypeInput{
	{Name: "invoice.paid", Description: "An invoice was paid in full", Example: `{"invoiceId": "inv_123", "amount": 4200, "currency": "EUR"}`},
	{Name: "invoice.payment_failed", Description: "A payment attempt failed", Example: `{"invoiceId": "inv_123", "reason": "card_declined"}`},
	{Name: "customer.created", Description: "A customer signed up", Example: `{"customerId": "cus_123", "email": "ann@example.com"}`},
	{Name: "subscription.canceled", Description: "A subscription was canceled", Example: `{"subscriptionId": "sub_123", "atPeriodEnd": true}`},
}

// endpoints of the built-in receiver, with what they do.
var endpoints = []struct {
	name, path, description string
	events                  []string
	auth                    func(*hook.WebhookInput)
}{
	{"Billing system", "/ok", "Always answers 200", []string{"invoice.paid", "invoice.payment_failed"}, func(in *hook.WebhookInput) {
		in.AuthType, in.AuthUsername, in.AuthPassword = hook.AuthBasic, "hookboard", "demo-password"
	}},
	{"CRM sync", "/flaky", "Fails about one request in four with 503", []string{"customer.created", "subscription.canceled"}, func(in *hook.WebhookInput) {
		in.AuthType, in.AuthHeader, in.AuthValue = hook.AuthAPIKey, "X-Api-Key", "demo-key"
	}},
	{"Analytics (slow)", "/slow", "Takes 3 s to answer: every request times out", []string{"*"}, nil},
	{"Old endpoint", "/missing", "Answers 404: the URL is wrong", []string{"invoice.paid"}, nil},
	{"Data warehouse", "/error", "Answers 500 with a stack trace", []string{"customer.created"}, nil},
}

// Receiver starts the demo's receiving endpoints on a loopback port and
// returns its base URL. It stops with ctx.
func Receiver(ctx context.Context) (string, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"received":true,"id":%q}`, r.Header.Get("webhook-id"))
	})
	mux.HandleFunc("POST /flaky", func(w http.ResponseWriter, r *http.Request) {
		if rand.IntN(4) == 0 {
			w.Header().Set("Retry-After", "10")
			http.Error(w, "service temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("POST /error", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Traceback (most recent call last):\n  File \"handler.py\", line 42, in receive\nKeyError: 'customer'", http.StatusInternalServerError)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	return "http://" + ln.Addr().String(), nil
}

// Setup makes sure the demo app exists with its event types and webhooks
// pointing at base, and that adminEmail is an admin of it. It returns the
// app.
func Setup(ctx context.Context, st *store.Store, adminEmail, base string) (hook.App, error) {
	res, err := st.AddUser(ctx, adminEmail, "", AppName, hook.RoleAdmin)
	if hook.ErrorCode(err) == hook.EINVALID {
		return hook.App{}, fmt.Errorf("demo: %s has no account in this database, so it cannot be made admin of the demo app; "+
			"set HOOKBOARD_ADMIN_EMAIL to an existing user's e-mail, or point DATABASE_URL at a new database", adminEmail)
	}
	if err != nil {
		return hook.App{}, fmt.Errorf("demo app: %w", err)
	}
	app := res.App
	actor := hook.Actor{Label: "demo"}
	existing, err := st.ListEventTypes(ctx, app.ID, true)
	if err != nil {
		return app, err
	}
	have := map[string]bool{}
	for _, et := range existing {
		have[et.Name] = true
	}
	for _, et := range eventTypes {
		if !have[et.Name] {
			if _, err := st.CreateEventType(ctx, actor, app.ID, et); err != nil {
				return app, err
			}
		}
	}
	webhooks, err := st.ListWebhooks(ctx, app.ID)
	if err != nil {
		return app, err
	}
	byName := map[string]hook.Webhook{}
	for _, wh := range webhooks {
		byName[wh.Name] = wh
	}
	policy := hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}
	for _, e := range endpoints {
		in := hook.WebhookInput{Name: e.name, URL: base + e.path, Description: e.description, Events: e.events, Active: true, AuthType: hook.AuthNone}
		if e.auth != nil {
			e.auth(&in)
		}
		if wh, ok := byName[e.name]; ok {
			// The receiver's port changes with every start.
			if _, err := st.UpdateWebhook(ctx, actor, app.ID, wh.ID, in, policy); err != nil {
				return app, err
			}
			continue
		}
		if _, _, err := st.CreateWebhook(ctx, actor, app.ID, in, policy); err != nil {
			return app, err
		}
	}
	return app, nil
}

// Ingester is how Stream ingests (sender.Ingester).
type Ingester interface {
	IngestEvent(ctx context.Context, appID, eventType string, payload []byte, idemKey string) (store.IngestResult, error)
}

// Stream ingests a random event every interval until ctx ends.
func Stream(ctx context.Context, st Ingester, appID string, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n++
		et := eventTypes[rand.IntN(len(eventTypes))]
		var payload map[string]any
		json.Unmarshal([]byte(et.Example), &payload)
		payload["sequence"] = n
		payload["occurredAt"] = time.Now().UTC().Format(time.RFC3339)
		body, _ := json.Marshal(payload)
		if _, err := st.IngestEvent(ctx, appID, et.Name, body, ""); err != nil && ctx.Err() == nil {
			log.Error("demo event", "err", err)
		}
	}
}
