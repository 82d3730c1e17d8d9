package demo

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

func TestSetupIsRepeatableAndRepointsWebhooks(t *testing.T) {
	st := storetest.New(t, store.SQLite, storetest.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := st.AddUser(ctx, "admin@example.com", "long enough pw", "Default", hook.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	base, err := Receiver(ctx)
	if err != nil {
		t.Fatal(err)
	}
	app, err := Setup(ctx, st, "admin@example.com", base)
	if err != nil {
		t.Fatal(err)
	}
	// A restart gets a new receiver port: the same webhooks, re-pointed.
	app2, err := Setup(ctx, st, "admin@example.com", "http://127.0.0.1:1")
	if err != nil || app2.ID != app.ID {
		t.Fatalf("second setup: %v", err)
	}
	whs, _ := st.ListWebhooks(ctx, app.ID)
	if len(whs) != len(endpoints)+1 {
		t.Fatalf("%d webhooks, want %d and Legacy CRM", len(whs), len(endpoints))
	}
	for _, wh := range whs {
		if wh.Name != legacy.name && !strings.HasPrefix(wh.URL, "http://127.0.0.1:1/") {
			t.Errorf("%s still points at %s", wh.Name, wh.URL)
		}
	}
	types, _ := st.ListEventTypes(ctx, app.ID, false)
	if len(types) != len(eventTypes) {
		t.Errorf("%d event types", len(types))
	}
	// The receiver answers as its endpoints promise.
	for path, want := range map[string]int{"/ok": 200, "/error": 500, "/missing": 404} {
		resp, err := http.Post(base+path, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	// An admin e-mail without an account is explained.
	if _, err := Setup(ctx, st, "nobody@example.com", base); err == nil || !strings.Contains(err.Error(), "HOOKBOARD_ADMIN_EMAIL") {
		t.Errorf("unknown admin: %v", err)
	}
}
