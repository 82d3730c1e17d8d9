// Command screenshots renders the README's screenshots from the demo data:
// it starts Hookboard in-process on a temporary database with the demo app,
// lets a few events go out, and photographs the pages in headless Chromium.
//
//	go run ./cmd/screenshots [-out docs/screenshots] [-width 1280] [-dark]
//
// -width and -dark take the same pages at another width or in dark mode,
// to look at them (the README uses the default, light, 1280 px).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/hookboard/hookboard/internal/assembly"
	"github.com/hookboard/hookboard/internal/browser"
	"github.com/hookboard/hookboard/internal/config"
	"github.com/hookboard/hookboard/internal/demo"
	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

func main() {
	out := flag.String("out", "docs/screenshots", "folder for the PNG files")
	flag.IntVar(&look.width, "width", 1280, "viewport width in CSS pixels")
	flag.BoolVar(&look.dark, "dark", false, "emulate prefers-color-scheme: dark")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "screenshots:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "hookboard-screenshots")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, app, err := startDemo(ctx, dir)
	if err != nil {
		return err
	}
	defer p.Close()
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- p.Run(runCtx) }()
	defer func() { stop(); <-ran }()
	if err := waitSent(ctx, p.Store()); err != nil {
		return err
	}
	pages, err := demoPages(ctx, p.Store(), app)
	if err != nil {
		return err
	}
	return photograph(ctx, p.URL(), out, pages)
}

const email, password = "admin@example.com", "screenshot password"

// look is how the pages are taken: width and colour scheme.
var look struct {
	width int
	dark  bool
}

// startDemo opens Hookboard on a fresh SQLite database in dir with the demo
// app (and its day of history), its receiver and 8 events waiting to go
// out. The receiver stops with ctx.
func startDemo(ctx context.Context, dir string) (*assembly.Program, hook.App, error) {
	cfg, err := config.Load([]string{"-database-url", "sqlite:" + filepath.Join(dir, "demo.db"), "-addr", "127.0.0.1:0",
		"-delivery-timeout", "300ms", "-allow-private-targets", "true", "-allow-http-targets", "true"},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		return nil, hook.App{}, err
	}
	p, err := assembly.Open(ctx, cfg)
	if err != nil {
		return nil, hook.App{}, err
	}
	app, err := seedDemo(ctx, p.Store())
	if err != nil {
		p.Close()
		return nil, hook.App{}, err
	}
	return p, app, nil
}

func seedDemo(ctx context.Context, st *store.Store) (hook.App, error) {
	if _, err := st.AddUser(ctx, email, password, demo.AppName, hook.RoleAdmin); err != nil {
		return hook.App{}, err
	}
	base, err := demo.Receiver(ctx)
	if err != nil {
		return hook.App{}, err
	}
	app, err := demo.Setup(ctx, st, email, base)
	if err != nil {
		return app, err
	}
	for i := range 8 {
		types := []string{"invoice.paid", "customer.created", "invoice.payment_failed", "subscription.canceled"}
		payload := fmt.Sprintf(`{"sequence": %d, "invoiceId": "inv_%04d", "amount": %d, "currency": "EUR"}`, i, 1000+i, 1200+i*37)
		if _, err := st.IngestEvent(ctx, app.ID, types[i%len(types)], []byte(payload), ""); err != nil {
			return app, err
		}
	}
	return app, nil
}

// waitSent waits until no delivery is due: each has been sent at least
// once, and what is retrying waits for a later attempt.
func waitSent(ctx context.Context, st *store.Store) error {
	for {
		n, err := st.DueCount(ctx)
		if err != nil || n == 0 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

type shot struct{ file, path string }

// demoPages are the pages photographed: the app's overview, the webhooks,
// one webhook, a failed delivery with its diagnosing hint, and the
// responses of a retrying one.
func demoPages(ctx context.Context, st *store.Store, app hook.App) ([]shot, error) {
	webhooks, err := st.ListWebhooks(ctx, app.ID)
	if err != nil {
		return nil, err
	}
	byName := map[string]hook.Webhook{}
	for _, wh := range webhooks {
		byName[wh.Name] = wh
	}
	failed, _, err := st.ListDeliveries(ctx, app.ID, store.DeliveryFilter{WebhookID: byName["Data warehouse"].ID, Status: hook.StatusRetrying, Limit: 1})
	if err != nil || len(failed) == 0 {
		return nil, fmt.Errorf("no retrying delivery to show: %v", err)
	}
	tls, _, err := st.ListDeliveries(ctx, app.ID, store.DeliveryFilter{WebhookID: byName["Legacy CRM"].ID, Status: hook.StatusFailed, Limit: 1})
	if err != nil || len(tls) == 0 {
		return nil, fmt.Errorf("no failed delivery to show: %v", err)
	}
	return []shot{
		{"overview.png", "/apps/" + app.ID},
		{"webhooks.png", "/apps/" + app.ID + "/webhooks"},
		{"webhook.png", "/apps/" + app.ID + "/webhooks/" + byName["CRM sync"].ID},
		{"delivery-failed.png", "/apps/" + app.ID + "/deliveries/" + tls[0].ID + "?tab=response"},
		{"delivery-responses.png", "/apps/" + app.ID + "/deliveries/" + failed[0].ID + "?tab=response"},
	}, nil
}

// photograph signs in at url in headless Chromium and writes a PNG of each
// page to out.
func photograph(ctx context.Context, url, out string, pages []shot) error {
	bctx, closeBrowser, err := browser.New(ctx, look.width, 900)
	if err != nil {
		return err
	}
	defer closeBrowser()
	scheme := "light"
	if look.dark {
		scheme = "dark"
	}
	if _, err := chromedp.Call(bctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	}); err != nil {
		return err
	}
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(int64(look.width), 900), chromedp.Navigate(url+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), password+"\r"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=current-app]"))); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, shot := range pages {
		png, err := chromedp.Run(bctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
			if err := chromedp.Do(ctx, chromedp.Navigate(url+shot.path), chromedp.Sleep(200*time.Millisecond)); err != nil {
				return nil, err
			}
			return chromedp.Run(ctx, chromedp.FullScreenshot(100))
		})
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, shot.file), png, 0o644); err != nil {
			return err
		}
		fmt.Println("wrote", filepath.Join(out, shot.file))
	}
	return nil
}
