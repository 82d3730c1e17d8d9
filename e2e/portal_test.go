package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/hookboard/hookboard/internal/assembly"
	hbbrowser "github.com/hookboard/hookboard/internal/browser"
	"github.com/hookboard/hookboard/internal/config"
	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// The product's settings page: its backend mints a portal link with the
// API key and puts it in an iframe.
var shopPage = template.Must(template.New("shop").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Shop · Settings</title>
<style>body{font:16px system-ui,sans-serif;margin:0;background:#fbf7f2}header{background:#aa3300;color:#fff;padding:14px 24px;font-weight:700}
main{padding:16px 24px}iframe{width:100%;height:760px;border:1px solid #d8cfc4;border-radius:8px;background:#fff}</style></head>
<body><header>Shop — Settings</header><main><h2>Settings › Webhooks</h2>
<iframe id="portal" title="Webhooks" src="{{.}}"></iframe></main></body></html>`))

const shopLogo = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#aa3300"/><path d="M18 40c4 6 24 6 28-2-4-8-24-4-24-14 4-6 18-6 22 0" stroke="#fff" stroke-width="6" fill="none" stroke-linecap="round"/></svg>`

// portalSite is Hookboard served over TLS at https://hooks.test:<port>,
// framed by frameAncestors.
func portalSite(t *testing.T, st *store.Store, frameAncestors []string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("https://hooks.test:%d", ln.Addr().(*net.TCPAddr).Port)
	p, err := assembly.Open(context.Background(), config.Config{SessionKey: make([]byte, 32), PublicURL: base, FrameAncestors: frameAncestors},
		assembly.WithStore(st), assembly.WithoutListener())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	srv := httptest.NewUnstartedServer(p.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return base
}

// mintPortalLink is what the product's backend does: POST …/portal-links
// with its API key.
func mintPortalLink(base, appID, key, body string) (string, error) {
	// hooks.test is the browser's name for 127.0.0.1; the backend dials it
	// directly and trusts the test certificate.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, _ := net.SplitHostPort(addr)
			return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+port)
		},
	}}
	req, _ := http.NewRequest("POST", base+"/api/v1/apps/"+appID+"/portal-links", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			URL string `json:"url"`
		} `json:"data"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil || resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("mint: %d %s", resp.StatusCode, raw)
	}
	return out.Data.URL, nil
}

// TestPortalInIframe: a page of another site (the product, over TLS)
// embeds a portal link in an iframe; with HOOKBOARD_FRAME_ANCESTORS set to
// its origin the frame signs in through the link, shows the app's
// branding, and a form submitted inside the frame is carried out (its
// cookie is SameSite=None; Secure; Partitioned). The same page embedding
// a Hookboard without the setting is refused by the browser.
func TestPortalInIframe(t *testing.T) {
	if _, err := hbbrowser.Path(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %v", err)
		}
		t.Skipf("skipping browser test: %v", err)
	}
	ctx := context.Background()
	st := storetest.New(t, store.SQLite, storetest.Options{})
	res, err := st.AddUser(ctx, "admin@acme.test", password, "Acme", hook.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	app := res.App
	_, key, _ := st.CreateAPIKey(ctx, hook.Actor{}, app.ID, "shop backend")

	var allowed, refused string // Hookboard's bases, with and without the setting
	shop := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/logo.svg":
			w.Header().Set("Content-Type", "image/svg+xml")
			io.WriteString(w, shopLogo)
			return
		case "/settings", "/refused":
		default:
			http.NotFound(w, r)
			return
		}
		base := allowed
		if r.URL.Path == "/refused" {
			base = refused
		}
		link, err := mintPortalLink(base, app.ID, key, `{"user": "ana@shop.test", "returnUrl": "https://`+r.Host+`/settings"}`)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		shopPage.Execute(w, link)
	}))
	shop.StartTLS()
	t.Cleanup(shop.Close)
	shopOrigin := fmt.Sprintf("https://shop.test:%d", shop.Listener.Addr().(*net.TCPAddr).Port)
	allowed = portalSite(t, st, []string{shopOrigin})
	refused = portalSite(t, st, nil)
	if _, err := st.SetAppBranding(ctx, hook.Actor{}, app.ID, store.Branding{DisplayName: "Shop Webhooks", AccentColor: "#aa3300", LogoURL: shopOrigin + "/logo.svg"}); err != nil {
		t.Fatal(err)
	}

	bctx, cancel, err := hbbrowser.New(ctx, 1280, 1000,
		chromedp.Flag("host-resolver-rules", "MAP shop.test 127.0.0.1, MAP hooks.test 127.0.0.1"),
		chromedp.Flag("ignore-certificate-errors", true))
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(cancel)
	bctx, cancelT := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(cancelT)

	// Allowed: the frame signs in and shows the branded portal.
	if err := chromedp.Do(bctx, chromedp.Navigate(shopOrigin+"/settings")); err != nil {
		t.Fatal(err)
	}
	if url := frameDocumentURL(t, bctx, allowed+"/apps/"+app.ID); url != allowed+"/apps/"+app.ID {
		t.Fatalf("the frame shows %q, want the portal", url)
	}
	frame := frameContext(t, bctx, allowed+"/apps/"+app.ID)
	if err := chromedp.Do(frame, chromedp.WaitVisible(chromedp.CSS("[data-testid=portal-name]"))); err != nil {
		t.Fatal(err)
	}
	name, _ := chromedp.Run(frame, chromedp.Text(chromedp.CSS("[data-testid=portal-name]")))
	ret, _ := chromedp.Run(frame, chromedp.AttributeValue(chromedp.CSS("a[data-testid=portal-return]"), "href"))
	if name != "Shop Webhooks" || ret.Value != shopOrigin+"/settings" {
		t.Errorf("portal header: name %q, return %q", name, ret.Value)
	}
	logoWidth, err := chromedp.Run(frame, chromedp.Evaluate[int](`document.querySelector("[data-testid=portal-logo]").naturalWidth`))
	if err != nil || logoWidth == 0 {
		t.Errorf("the logo did not load (width %d, %v)", logoWidth, err)
	}
	if png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot()); err == nil {
		writeShot(t, "portal-embedded.png", png)
	}

	// A form inside the frame: add an event type, as the portal's admin.
	err = chromedp.Do(frame,
		chromedp.Click(chromedp.CSS("nav a[href$='/event-types']")),
		chromedp.WaitVisible(chromedp.CSS("#et-name")),
		chromedp.SendKeys(chromedp.CSS("#et-name"), "order.shipped"),
		chromedp.Submit(chromedp.CSS("#et-name")),
		chromedp.WaitVisible(chromedp.CSS("[data-event-type='order.shipped']")),
	)
	if err != nil {
		t.Fatalf("submit a form in the frame: %v", err)
	}
	if types, _ := st.ListEventTypes(ctx, app.ID, true); len(types) != 1 || types[0].Name != "order.shipped" {
		t.Errorf("event types stored: %+v, want order.shipped", types)
	}
	entries, _ := st.ListAudit(ctx, app.ID, "", 20)
	if len(entries) == 0 || !strings.HasPrefix(entries[0].Actor, "portal: ana@shop.test") {
		t.Errorf("audit: %+v, want the portal user", entries)
	}

	// Refused: the same page, embedding a Hookboard without the setting.
	if err := chromedp.Do(bctx, chromedp.Navigate(shopOrigin+"/refused")); err != nil {
		t.Fatal(err)
	}
	if url := frameDocumentURL(t, bctx, refused+"/apps/"+app.ID); !strings.HasPrefix(url, "chrome-error://") {
		t.Errorf("the frame shows %q: want the browser to refuse it", url)
	}
	if png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot()); err == nil {
		writeShot(t, "portal-refused.png", png)
	}
}

// frameContext waits for the page's cross-site iframe to reach urlPrefix
// and returns a context attached to it (Chrome runs it as its own target).
func frameContext(t *testing.T, ctx context.Context, urlPrefix string) context.Context {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.HasPrefix(info.URL, urlPrefix) {
				fctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(target.ID(info.TargetID)))
				t.Cleanup(cancel)
				return fctx
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("no iframe at %s: the browser did not show the portal in the frame", urlPrefix)
	return nil
}

// frameDocumentURL is the URL of the document the iframe at urlPrefix
// shows: its own, or chrome-error://… when the browser refused to show it
// there (the target keeps the URL that was asked for).
func frameDocumentURL(t *testing.T, ctx context.Context, urlPrefix string) string {
	t.Helper()
	frame := frameContext(t, ctx, urlPrefix)
	var url string
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		u, err := chromedp.Run(frame, chromedp.Evaluate[string]("document.URL"))
		if err == nil && u != "" && u != "about:blank" {
			return u
		}
		url = u
		time.Sleep(100 * time.Millisecond)
	}
	return url
}

// writeShot keeps a screenshot in HOOKBOARD_ARTIFACTS when it is set (how
// docs/screenshots/portal-embedded.png was made), or under artifacts/ when
// the test failed.
func writeShot(t *testing.T, name string, png []byte) {
	dir := os.Getenv("HOOKBOARD_ARTIFACTS")
	if dir == "" && !t.Failed() {
		return
	}
	if dir == "" {
		dir = "artifacts"
	}
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(dir+"/"+name, png, 0o644); err == nil {
		t.Logf("screenshot: %s/%s", dir, name)
	}
}
