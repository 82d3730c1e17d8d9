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
	"net/url"
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
	{"Old endpoint", "/gone", "Answers 410 Gone: Hookboard stops at once", []string{"invoice.paid"}, nil},
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
	mux.HandleFunc("POST /gone", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "this endpoint was removed", http.StatusGone)
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

// legacy is the demo's webhook that Hookboard turned off: its certificate
// expired days ago. It never gets a live attempt (it is off), so its URL
// is not the receiver's.
var legacy = struct {
	name, url, description string
	events                 []string
}{"Legacy CRM", "https://legacy-crm.example.com/webhooks", "Its TLS certificate expired; Hookboard turned it off", []string{"customer.created", "invoice.paid"}}

// Setup makes sure the demo app exists with its event types and that
// adminEmail is an admin of it. On the first start it creates the webhooks
// and a day of history; on later starts it only re-points the webhooks
// that still point at a demo receiver (whose port changes with every
// start) to base, keeping whatever the user changed, deleted or added.
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
	if len(existing) == 0 {
		return app, firstStart(ctx, st, app.ID, base)
	}
	return app, repoint(ctx, st, app.ID, base)
}

// policy lets the demo's webhooks point at its receiver on loopback.
var policy = hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}

// firstStart creates the demo's webhooks and a day of history.
func firstStart(ctx context.Context, st *store.Store, appID, base string) error {
	actor := hook.Actor{Label: "demo"}
	var hooks []historyHook
	for _, e := range endpoints {
		in := hook.WebhookInput{Name: e.name, URL: base + e.path, Description: e.description, Events: e.events, Active: true, AuthType: hook.AuthNone}
		if e.auth != nil {
			e.auth(&in)
		}
		wh, _, err := st.CreateWebhook(ctx, actor, appID, in, policy)
		if err != nil {
			return err
		}
		hooks = append(hooks, historyHook{id: wh.ID, url: wh.URL, path: e.path, events: e.events})
	}
	in := hook.WebhookInput{Name: legacy.name, URL: legacy.url, Description: legacy.description, Events: legacy.events, Active: true, AuthType: hook.AuthNone}
	wh, _, err := st.CreateWebhook(ctx, actor, appID, in, policy)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	offAt := now.Add(-legacyOffFor)
	hooks = append(hooks, historyHook{id: wh.ID, url: wh.URL, path: "legacy", events: legacy.events, until: offAt})
	if err := st.AddHistory(ctx, appID, history(hooks, now)); err != nil {
		return fmt.Errorf("demo history: %w", err)
	}
	reason := "every delivery failed for 5 days (last error: TLS: certificate expired). Fix the endpoint, then turn the webhook back on."
	return st.MarkDisabled(ctx, wh.ID, reason, offAt.Add(-5*24*time.Hour))
}

// repoint moves the webhooks that point at a demo receiver (http on
// 127.0.0.1, one of the receiver's paths) to this start's receiver,
// changing nothing else.
func repoint(ctx context.Context, st *store.Store, appID, base string) error {
	webhooks, err := st.ListWebhooks(ctx, appID)
	if err != nil {
		return err
	}
	for _, wh := range webhooks {
		path, ok := receiverPath(wh.URL)
		if !ok || wh.URL == base+path {
			continue
		}
		in := hook.WebhookInput{Name: wh.Name, URL: base + path, Description: wh.Description, Events: wh.Events,
			Active: wh.Active, AuthType: wh.AuthType, AuthUsername: wh.AuthUsername, AuthHeader: wh.AuthHeader}
		if _, err := st.UpdateWebhook(ctx, hook.Actor{Label: "demo"}, appID, wh.ID, in, policy); err != nil {
			return fmt.Errorf("demo: re-point %s: %w", wh.Name, err)
		}
	}
	return nil
}

// receiverPath returns the path of a URL on a demo receiver.
func receiverPath(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.RawQuery != "" {
		return "", false
	}
	for _, e := range endpoints {
		if u.Path == e.path {
			return e.path, true
		}
	}
	return "", false
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
