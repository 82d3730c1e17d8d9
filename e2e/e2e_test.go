// Package e2e drives the dashboard in headless Chromium for what needs
// JavaScript: copying to the clipboard, confirm dialogs, tabs, refreshing
// deliveries, and layout and focus at phone and desktop widths.
package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/hookboard/hookboard/internal/assembly"
	hbbrowser "github.com/hookboard/hookboard/internal/browser"
	"github.com/hookboard/hookboard/internal/config"
	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/sender/sendertest"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

const password = "correct horse battery"

type env struct {
	t       *testing.T
	st      *store.Store
	drv     *sendertest.Driver
	base    string
	app     hook.App
	webhook hook.Webhook
	secret  string
	ctx     context.Context
	fail    bool
}

// newEnv starts a server with an admin, a webhook pointing at a local
// receiver, and a browser signed in as the admin at width×900.
func newEnv(t *testing.T, width int) *env {
	t.Helper()
	if _, err := hbbrowser.Path(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %v", err)
		}
		t.Skipf("skipping browser test: %v", err)
	}
	e := &env{t: t}
	e.st = storetest.New(t, store.SQLite, storetest.Options{})
	ctx := context.Background()
	res, err := e.st.AddUser(ctx, "admin@acme.test", password, "Acme", hook.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	e.app = res.App
	e.st.CreateEventType(ctx, hook.Actor{}, e.app.ID, hook.EventTypeInput{Name: "invoice.paid", Description: "Paid"})
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.fail {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "maintenance")
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(receiver.Close)
	dev := hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}
	e.webhook, e.secret, err = e.st.CreateWebhook(ctx, hook.Actor{}, e.app.ID, hook.WebhookInput{
		Name: "Billing", URL: receiver.URL + "/hooks", Events: []string{"*"}, Active: true, AuthType: hook.AuthNone,
	}, dev)
	if err != nil {
		t.Fatal(err)
	}
	// The program as serve assembles it; deliveries are sent by hand, so a
	// page can be seen before its delivery goes out.
	e.drv = sendertest.Start(t, e.st, sender.Options{AllowPrivate: true})
	p, err := assembly.Open(ctx, config.Config{SessionKey: make([]byte, 32)},
		assembly.WithStore(e.st), assembly.WithSender(e.drv.Sender), assembly.WithTargets(dev), assembly.WithoutListener())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	srv := httptest.NewServer(p.Handler())
	t.Cleanup(srv.Close)
	e.base = srv.URL

	bctx, cancel, err := hbbrowser.New(context.Background(), width, 900)
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(cancel)
	bctx, cancelT := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(cancelT)
	e.ctx = bctx
	t.Cleanup(func() {
		if t.Failed() {
			e.screenshot("failure")
		}
	})
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(bctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
			Setting:    browser.PermissionSettingGranted, Origin: e.base,
		}); err != nil {
			t.Fatalf("grant %s: %v", name, err)
		}
	}
	e.do(chromedp.EmulateViewport(int64(width), 900),
		chromedp.Navigate(e.base+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), "admin@acme.test"),
		chromedp.SendKeys(chromedp.CSS("#password"), password+"\r"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=current-app]")),
	)
	return e
}

// screenshot writes a PNG of the page to the artifacts folder
// (HOOKBOARD_ARTIFACTS, default e2e/artifacts).
func (e *env) screenshot(label string) {
	dir := os.Getenv("HOOKBOARD_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	png, err := chromedp.Run(e.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		e.t.Logf("screenshot: %v", err)
		return
	}
	os.MkdirAll(dir, 0o755)
	name := filepath.Join(dir, regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(e.t.Name()+"-"+label, "_")+".png")
	if err := os.WriteFile(name, png, 0o644); err == nil {
		e.t.Logf("screenshot of the page: %s", name)
	}
}

func (e *env) do(steps ...chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	if err := chromedp.Do(e.ctx, steps...); err != nil {
		e.t.Fatal(err)
	}
}

func run[T any](e *env, a chromedp.Action[T]) T {
	e.t.Helper()
	v, err := chromedp.Run(e.ctx, a)
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

func (e *env) clipboard() string {
	e.t.Helper()
	return run(e, chromedp.Evaluate[string]("navigator.clipboard.readText()", chromedp.EvalAwaitPromise))
}

// waitText waits until the element's text is want.
func (e *env) waitText(sel, want string) {
	e.t.Helper()
	expr := fmt.Sprintf(`(document.querySelector(%q) || {}).textContent === %q`, sel, want)
	if _, err := chromedp.Run(e.ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		got, _ := chromedp.Run(e.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {}).textContent || ""`, sel)))
		e.t.Fatalf("%s: text %q, want %q (%v)", sel, got, want, err)
	}
}

func (e *env) webhookPage() string { return e.base + "/apps/" + e.app.ID + "/webhooks/" + e.webhook.ID }

func TestCopySigningSecret(t *testing.T) {
	e := newEnv(t, 1280)
	e.do(chromedp.Navigate(e.webhookPage()), chromedp.WaitVisible(chromedp.CSS("[data-testid=copy-secret]")))
	html := run(e, chromedp.Evaluate[string]("document.documentElement.outerHTML"))
	if strings.Contains(html, e.secret) {
		t.Fatal("the secret is in the page before Copy")
	}
	e.do(chromedp.Click(chromedp.CSS("[data-testid=copy-secret]")))
	e.waitText("[data-testid=copy-secret]", "Copied")
	if got := e.clipboard(); got != e.secret {
		t.Errorf("clipboard %q, want the signing secret", got)
	}
	if txt := run(e, chromedp.Text(chromedp.CSS("[data-testid=signing-secret]"))); strings.Contains(txt, e.secret) {
		t.Error("copying revealed the secret on the page")
	}
}

func TestCopyAndCloseAfterCreate(t *testing.T) {
	e := newEnv(t, 1280)
	e.do(chromedp.Navigate(e.base+"/apps/"+e.app.ID+"/webhooks/new"),
		chromedp.SendKeys(chromedp.CSS("#name"), "Orders"),
		chromedp.SendKeys(chromedp.CSS("#url"), "https://orders.example.com/hooks"),
		chromedp.Click(chromedp.CSS(`input[name=events][value="*"]`)),
		chromedp.Submit(chromedp.CSS("#name")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=new-secret]")),
	)
	shown := run(e, chromedp.Text(chromedp.CSS("[data-testid=new-secret]")))
	e.do(chromedp.Click(chromedp.CSS("[data-testid=copy-close]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=signing-secret]")))
	if got := e.clipboard(); got != shown || !strings.HasPrefix(got, "whsec_") {
		t.Errorf("clipboard %q, want the new secret %q", got, shown)
	}
	if loc := run(e, chromedp.Location()); !strings.Contains(loc, "/webhooks/") {
		t.Errorf("after Copy & close at %s", loc)
	}
}

// deliveryPage ingests an event, sends it (unless pending) and opens its
// details page.
func (e *env) deliveryPage(send bool) (string, string) {
	e.t.Helper()
	ctx := context.Background()
	payload := `{"invoice":"inv_42","amount":4200}`
	res, err := e.st.IngestEvent(ctx, e.app.ID, "invoice.paid", []byte(payload), "")
	if err != nil {
		e.t.Fatal(err)
	}
	if send {
		e.drv.Step()
	}
	var id string
	e.st.DB().Get(&id, e.st.DB().Rebind(`SELECT id FROM deliveries WHERE event_id = ?`), res.Event.ID)
	e.do(chromedp.Navigate(e.base+"/apps/"+e.app.ID+"/deliveries/"+id), chromedp.WaitVisible(chromedp.CSS("[data-testid=payload]")))
	return id, payload
}

func TestCopyPayload(t *testing.T) {
	e := newEnv(t, 1280)
	e.deliveryPage(true)
	shown := run(e, chromedp.Text(chromedp.CSS("[data-testid=payload]")))
	e.do(chromedp.Click(chromedp.CSS("[data-testid=copy-payload]")))
	e.waitText("[data-testid=copy-payload]", "Copied")
	if got := e.clipboard(); got != shown || !strings.Contains(got, `"amount": 4200`) {
		t.Errorf("clipboard %q, want the payload", got)
	}
}

func TestConfirmDialogs(t *testing.T) {
	e := newEnv(t, 1280)
	e.do(chromedp.Navigate(e.webhookPage()), chromedp.WaitVisible(chromedp.CSS("form[data-testid=rotate]")))

	// Rotate: the dialog asks, Cancel changes nothing, Generate rotates.
	e.do(chromedp.Click(chromedp.CSS("form[data-testid=rotate] button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	if got := run(e, chromedp.Text(chromedp.CSS("dialog[open] p"))); got != "Generate a new secret? The current one keeps working for 24 hours." {
		t.Errorf("rotate dialog says %q", got)
	}
	if got := run(e, chromedp.Text(chromedp.CSS("dialog[open] [data-testid=confirm-ok]"))); got != "Generate" {
		t.Errorf("rotate button says %q", got)
	}
	e.do(chromedp.Click(chromedp.CSS("dialog[open] button:not([data-testid=confirm-ok])")), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	if secrets, _ := e.st.ValidSecrets(context.Background(), e.webhook.ID); len(secrets) != 1 {
		t.Fatal("Cancel rotated the secret")
	}
	e.do(chromedp.Click(chromedp.CSS("form[data-testid=rotate] button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("dialog[open]")),
		chromedp.Click(chromedp.CSS("dialog[open] [data-testid=confirm-ok]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=new-secret]")))
	if secrets, _ := e.st.ValidSecrets(context.Background(), e.webhook.ID); len(secrets) != 2 {
		t.Errorf("after Generate: %d valid secrets", len(secrets))
	}

	// With "stop at once" ticked, the dialog says so.
	e.do(chromedp.Navigate(e.webhookPage()), chromedp.Click(chromedp.CSS("form[data-testid=rotate] input[name=expire_old]")),
		chromedp.Click(chromedp.CSS("form[data-testid=rotate] button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	if got := run(e, chromedp.Text(chromedp.CSS("dialog[open] p"))); !strings.Contains(got, "stops working at once") {
		t.Errorf("expire-now dialog says %q", got)
	}

	// Delete: the dialog says it is permanent; confirming deletes.
	e.do(chromedp.Navigate(e.webhookPage()), chromedp.Click(chromedp.CSS("form[data-testid=delete] button")), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	if got := run(e, chromedp.Text(chromedp.CSS("dialog[open] p"))); !strings.Contains(got, "This is permanent") {
		t.Errorf("delete dialog says %q", got)
	}
	e.do(chromedp.Click(chromedp.CSS("dialog[open] [data-testid=confirm-ok]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=flash]")))
	if _, err := e.st.Webhook(context.Background(), e.app.ID, e.webhook.ID); hook.ErrorCode(err) != hook.ENOTFOUND {
		t.Errorf("webhook not deleted: %v", err)
	}
}

func TestConfirmPagesWithoutJavaScript(t *testing.T) {
	e := newEnv(t, 1280)
	e.do(chromedp.Navigate(e.webhookPage()),
		chromedp.Evaluate[chromedp.Void]("document.querySelectorAll('form[data-confirm]').forEach(f => f.replaceWith(f.cloneNode(true)))"),
		chromedp.Click(chromedp.CSS("form[data-testid=delete] button")),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=confirm-delete]")))
	if got := run(e, chromedp.Text(chromedp.CSS("[data-testid=confirm-delete]"))); !strings.Contains(got, "This is permanent") {
		t.Errorf("confirm page says %q", got)
	}
}

func TestTabsSwitchWithoutReload(t *testing.T) {
	e := newEnv(t, 1280)
	e.deliveryPage(true)
	e.do(chromedp.Evaluate[chromedp.Void]("window.__noReload = true"),
		chromedp.Click(chromedp.CSS("[data-tab=response]")),
		chromedp.WaitVisible(chromedp.CSS("#tab-response [data-testid=attempt]")))
	if hidden := run(e, chromedp.Evaluate[bool]("document.getElementById('tab-request').hidden")); !hidden {
		t.Error("request panel still shown")
	}
	if still := run(e, chromedp.Evaluate[bool]("window.__noReload === true")); !still {
		t.Error("the page reloaded")
	}
	if loc := run(e, chromedp.Location()); !strings.HasSuffix(loc, "?tab=response") {
		t.Errorf("location %s does not name the tab", loc)
	}
	e.do(chromedp.Click(chromedp.CSS("[data-tab=request]")), chromedp.WaitVisible(chromedp.CSS("[data-testid=request-headers]")))
}

func TestPendingDeliveryRefreshes(t *testing.T) {
	e := newEnv(t, 1280)
	e.deliveryPage(false)
	if st := run(e, chromedp.AttributeValue(chromedp.CSS("[data-field=status]"), "data-status")); st.Value != "pending" {
		t.Fatalf("status %q", st.Value)
	}
	e.do(chromedp.Evaluate[chromedp.Void]("window.__noReload = true"))
	e.drv.Step()
	_, err := chromedp.Run(e.ctx, chromedp.Poll[bool](`document.querySelector("[data-field=status]").dataset.status === "succeeded"`, chromedp.WithPollingTimeout(15*time.Second)))
	if err != nil {
		t.Fatalf("the page did not update: %v", err)
	}
	if still := run(e, chromedp.Evaluate[bool]("window.__noReload === true")); !still {
		t.Error("the page reloaded instead of updating in place")
	}
}

// At phone and desktop widths the page body never scrolls sideways, and
// Tab reaches the controls with a visible focus ring.
func TestLayoutAndKeyboard(t *testing.T) {
	for _, width := range []int{390, 1280} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			e := newEnv(t, width)
			id, _ := e.deliveryPage(true)
			pages := []string{
				"/webhooks", "/webhooks/new", "/webhooks/" + e.webhook.ID, "/webhooks/" + e.webhook.ID + "/edit",
				"/webhooks/" + e.webhook.ID + "/events", "/events", "/deliveries/" + id, "/deliveries/" + id + "?tab=response",
				"/event-types", "/api-keys", "/members", "/audit",
			}
			for _, p := range pages {
				e.do(chromedp.Navigate(e.base + "/apps/" + e.app.ID + p))
				over := run(e, chromedp.Evaluate[int]("document.documentElement.scrollWidth - document.documentElement.clientWidth"))
				if over > 0 {
					e.screenshot(fmt.Sprintf("overflow-%d", width))
					t.Errorf("%s at %d px: the page scrolls sideways by %d px", p, width, over)
				}
				// Tab through the first controls: each shows a focus ring.
				for i := range 12 {
					e.do(chromedp.KeyEvent("\t"))
					focus := run(e, chromedp.Evaluate[string](`(() => { const a = document.activeElement; if (!a || a === document.body) return "body";
						const s = getComputedStyle(a); return a.tagName + "|" + s.outlineStyle + "|" + s.outlineWidth; })()`))
					if focus == "body" {
						break
					}
					parts := strings.Split(focus, "|")
					if parts[1] == "none" || parts[2] == "0px" {
						t.Errorf("%s: focus %d on %s has no visible outline (%s)", p, i, parts[0], focus)
						break
					}
				}
			}
		})
	}
}

// Keyboard alone: sign in, open the create form, fill it and submit with
// Tab, Space and Enter.
func TestCreateWebhookWithKeyboardOnly(t *testing.T) {
	e := newEnv(t, 390)
	e.do(chromedp.Navigate(e.base+"/apps/"+e.app.ID+"/webhooks/new"), chromedp.Focus(chromedp.CSS("#name")),
		chromedp.KeyEvent("Keyboard"), chromedp.KeyEvent("\t"), chromedp.KeyEvent("https://kb.example.com/hook"),
		chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"), chromedp.KeyEvent(" "), // description, then the * checkbox
		chromedp.Focus(chromedp.CSS("#name")), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=new-secret]")))
	list, _ := e.st.ListWebhooks(context.Background(), e.app.ID)
	for _, wh := range list {
		if wh.Name == "Keyboard" && wh.URL == "https://kb.example.com/hook" {
			return
		}
	}
	t.Errorf("no webhook created by keyboard: %+v", list)
}
