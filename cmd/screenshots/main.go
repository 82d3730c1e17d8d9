// Command screenshots renders the README's screenshots from the demo data:
// it starts Hookboard in-process on a temporary database with the demo app,
// lets a few events go out, and photographs the pages in headless Chromium.
//
//	go run ./cmd/screenshots [-out docs/screenshots]
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hookboard/hookboard/internal/browser"
	"github.com/hookboard/hookboard/internal/demo"
	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/secretbox"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/web"
)

func main() {
	out := flag.String("out", "docs/screenshots", "folder for the PNG files")
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
	key, _ := secretbox.ParseKey(secretbox.NewKey())
	box, _ := secretbox.New(key)
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(dir, "demo.db"), store.Options{Box: box})
	if err != nil {
		return err
	}
	defer st.Close()
	const email, password = "admin@example.com", "screenshot password"
	if _, err := st.AddUser(ctx, email, password, demo.AppName, hook.RoleAdmin); err != nil {
		return err
	}
	base, err := demo.Receiver(ctx)
	if err != nil {
		return err
	}
	app, err := demo.Setup(ctx, st, email, base)
	if err != nil {
		return err
	}
	snd := sender.New(sender.Options{Store: st, AllowPrivate: true, Timeout: 300 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	for i := range 24 {
		types := []string{"invoice.paid", "customer.created", "invoice.payment_failed", "subscription.canceled"}
		payload := fmt.Sprintf(`{"sequence": %d, "invoiceId": "inv_%04d", "amount": %d, "currency": "EUR"}`, i, 1000+i, 1200+i*37)
		if _, err := st.IngestEvent(ctx, app.ID, types[i%len(types)], []byte(payload), ""); err != nil {
			return err
		}
	}
	// Send what is due once, as the running sender does, then stop it
	// (retries would change the pages between screenshots).
	runCtx, stopSender := context.WithCancel(ctx)
	senderDone := make(chan struct{})
	go func() { defer close(senderDone); snd.Run(runCtx) }()
	snd.Wake()
	for {
		n, err := st.DueCount(ctx)
		if err != nil {
			stopSender()
			return err
		}
		if n == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stopSender()
	<-senderDone

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: web.New(web.Options{Store: st, Sender: snd, SessionKey: key, Targets: hook.TargetPolicy{AllowHTTP: true, AllowPrivate: true}})}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String()

	webhooks, err := st.ListWebhooks(ctx, app.ID)
	if err != nil {
		return err
	}
	byName := map[string]hook.Webhook{}
	for _, wh := range webhooks {
		byName[wh.Name] = wh
	}
	failed, _, err := st.ListDeliveries(ctx, app.ID, store.DeliveryFilter{WebhookID: byName["Data warehouse"].ID, Status: hook.StatusRetrying, Limit: 1})
	if err != nil || len(failed) == 0 {
		return fmt.Errorf("no failed delivery to show: %v", err)
	}

	bctx, closeBrowser, err := browser.New(ctx, 1280, 900)
	if err != nil {
		return err
	}
	defer closeBrowser()
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(url+"/login"),
		chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), password+"\r"),
		chromedp.WaitVisible(chromedp.CSS("[data-testid=current-app]"))); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, shot := range []struct{ file, path string }{
		{"webhooks.png", "/apps/" + app.ID + "/webhooks"},
		{"webhook.png", "/apps/" + app.ID + "/webhooks/" + byName["Billing system"].ID},
		{"delivery-responses.png", "/apps/" + app.ID + "/deliveries/" + failed[0].ID + "?tab=response"},
	} {
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
