package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// colorScheme emulates prefers-color-scheme ("light" or "dark").
func (e *env) colorScheme(scheme string) {
	e.t.Helper()
	if _, err := chromedp.Call(e.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	}); err != nil {
		e.t.Fatal(err)
	}
}

// lookPages are the pages the look tests visit: every screen, with a failed
// delivery (and its hint) among them.
func (e *env) lookPages() []string {
	e.t.Helper()
	e.fail = true
	id, _ := e.deliveryPage(true)
	return []string{
		"/webhooks", "/webhooks/new", "/webhooks/" + e.webhook.ID, "/webhooks/" + e.webhook.ID + "/edit",
		"/webhooks/" + e.webhook.ID + "/events", "/events", "/deliveries/" + id, "/deliveries/" + id + "?tab=response",
		"/event-types", "/api-keys", "/members", "/audit",
	}
}

// lowContrast lists the visible text whose colour against its nearest
// opaque background is below 4.5:1 (WCAG AA for body text).
const lowContrast = `(() => {
  const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bgOf = el => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c; } return [255, 255, 255]; };
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (!el.offsetParent && el.tagName !== "BODY") continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim() !== "");
    if (!own) continue;
    const fg = lum(rgb(getComputedStyle(el).color)), bg = lum(bgOf(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    if (ratio < 4.5) out.push(el.tagName.toLowerCase() + (el.className ? "." + String(el.className).replace(/ /g, ".") : "") + " “" + el.textContent.trim().slice(0, 30) + "” " + ratio.toFixed(2));
  }
  return out.join("\n");
})()`

// TestDarkAndLightMode: with prefers-color-scheme emulated, the page
// background follows it, and on every page each text keeps a contrast of
// at least 4.5:1, at 1200 and 320 px. Screenshots of each go to the
// artifacts folder.
func TestDarkAndLightMode(t *testing.T) {
	for _, width := range []int{1200, 320} {
		for _, scheme := range []string{"light", "dark"} {
			t.Run(fmt.Sprintf("%s-%d", scheme, width), func(t *testing.T) {
				e := newEnv(t, width)
				pages := e.lookPages()
				e.colorScheme(scheme)
				// The check itself finds grey on grey.
				probe := `(() => { const s = document.createElement("span"); s.textContent = "probe"; s.style.cssText = "color:#777;background:#888"; document.querySelector("main").append(s); return 0; })()`
				run(e, chromedp.Evaluate[int](probe))
				if low := run(e, chromedp.Evaluate[string](lowContrast)); !strings.Contains(low, "probe") {
					t.Fatalf("the contrast check missed grey on grey: %q", low)
				}
				for _, p := range pages {
					e.do(chromedp.Navigate(e.base + "/apps/" + e.app.ID + p))
					bg := run(e, chromedp.Evaluate[string](`getComputedStyle(document.documentElement).backgroundColor`))
					var r, g, b int
					fmt.Sscanf(bg, "rgb(%d, %d, %d)", &r, &g, &b)
					dark := r+g+b < 3*60
					if dark != (scheme == "dark") {
						t.Errorf("%s: page background %s in %s mode", p, bg, scheme)
					}
					if low := run(e, chromedp.Evaluate[string](lowContrast)); low != "" {
						t.Errorf("%s in %s mode: low contrast:\n%s", p, scheme, low)
					}
					if strings.HasPrefix(p, "/deliveries/") && strings.HasSuffix(p, "response") {
						e.screenshot("delivery-responses")
					}
					if p == "/webhooks/"+e.webhook.ID {
						e.screenshot("webhook")
					}
				}
			})
		}
	}
}

// TestHeaderAt320: at 320 px no page scrolls sideways, the header included.
func TestHeaderAt320(t *testing.T) {
	e := newEnv(t, 320)
	pages := e.lookPages()
	for _, p := range append(pages, "/account") {
		u := e.base + "/apps/" + e.app.ID + p
		if p == "/account" {
			u = e.base + p
		}
		e.do(chromedp.Navigate(u))
		width := run(e, chromedp.Evaluate[int]("document.documentElement.scrollWidth"))
		header := run(e, chromedp.Evaluate[int]("document.querySelector('.site-header').scrollWidth"))
		if width > 320 || header > 320 {
			e.screenshot("overflow-320")
			t.Errorf("%s at 320 px: document %d px wide, header %d px", p, width, header)
		}
	}
	e.do(chromedp.Navigate(e.base + "/apps/" + e.app.ID + "/webhooks"))
	e.screenshot("header")
}

// TestDestructiveDialogFocusesCancel: the delete dialog is red, Cancel has
// the focus, so Enter cancels and deletes nothing.
func TestDestructiveDialogFocusesCancel(t *testing.T) {
	e := newEnv(t, 1200)
	e.do(chromedp.Navigate(e.webhookPage()), chromedp.Click(chromedp.CSS("form[data-testid=delete] button")), chromedp.WaitVisible(chromedp.CSS("dialog[open]")))
	if got := run(e, chromedp.Evaluate[string]("document.activeElement.textContent")); got != "Cancel" {
		t.Errorf("focus on %q, want Cancel", got)
	}
	bg := run(e, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("dialog[open] [data-testid=confirm-ok]")).backgroundColor`))
	var r, g, b int
	fmt.Sscanf(bg, "rgb(%d, %d, %d)", &r, &g, &b)
	if r < 150 || g > 80 || b > 80 {
		t.Errorf("Delete button background %s, want red", bg)
	}
	e.screenshot("delete-dialog")
	e.do(chromedp.KeyEvent("\r"), chromedp.WaitNotPresent(chromedp.CSS("dialog[open]")))
	time.Sleep(300 * time.Millisecond) // a submit would have navigated by now
	if _, err := e.st.Webhook(context.Background(), e.app.ID, e.webhook.ID); err != nil {
		t.Errorf("Enter in the dialog deleted the webhook: %v", err)
	}
}

// TestAllEventsUnchecksSingleTypes: on the form, ticking "All events"
// unticks the single types, and ticking a single type unticks "All events".
func TestAllEventsUnchecksSingleTypes(t *testing.T) {
	e := newEnv(t, 1200)
	all := chromedp.CSS(`input[name=events][value="*"]`)
	one := chromedp.CSS(`input[name=events][value="invoice.paid"]`)
	checked := func(sel string) bool {
		return run(e, chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q).checked`, sel)))
	}
	e.do(chromedp.Navigate(e.base+"/apps/"+e.app.ID+"/webhooks/new"), chromedp.WaitVisible(one), chromedp.Click(one))
	e.do(chromedp.Click(all))
	if !checked(`input[name=events][value="*"]`) || checked(`input[name=events][value="invoice.paid"]`) {
		t.Error("All events did not untick the single type")
	}
	e.do(chromedp.Click(one))
	if checked(`input[name=events][value="*"]`) || !checked(`input[name=events][value="invoice.paid"]`) {
		t.Error("a single type did not untick All events")
	}
}
