package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestOverviewLooks: the app overview (the landing page) and the webhook
// list with their health, chart and relative times keep every text at
// 4.5:1 in light and dark mode and never scroll sideways, at 1200 and
// 320 px; the chart's labels are drawn in the text colour of the scheme.
func TestOverviewLooks(t *testing.T) {
	for _, width := range []int{1200, 320} {
		for _, scheme := range []string{"light", "dark"} {
			t.Run(fmt.Sprintf("%s-%d", scheme, width), func(t *testing.T) {
				e := newEnv(t, width)
				e.lookPages() // a failed delivery, so health and chart have data
				e.colorScheme(scheme)
				for _, p := range []string{"", "/webhooks", "/webhooks/" + e.webhook.ID} {
					e.do(chromedp.Navigate(e.base + "/apps/" + e.app.ID + p))
					if low := run(e, chromedp.Evaluate[string](lowContrast)); low != "" {
						t.Errorf("%q in %s mode: low contrast:\n%s", p, scheme, low)
					}
					if w := run(e, chromedp.Evaluate[int]("document.documentElement.scrollWidth")); w > width {
						e.screenshot("overview-overflow")
						t.Errorf("%q at %d px: document %d px wide", p, width, w)
					}
					if n := run(e, chromedp.Evaluate[int](`document.querySelectorAll("[data-field=health]").length`)); n == 0 {
						t.Errorf("%q: no health", p)
					}
					title := run(e, chromedp.Evaluate[string](`(document.querySelector("[data-field=last-delivery] time") || {}).title || ""`))
					if !strings.HasSuffix(title, "UTC") {
						t.Errorf("%q: last delivery's time has title %q, want the exact UTC time", p, title)
					}
				}
				e.do(chromedp.Navigate(e.base + "/apps/" + e.app.ID))
				if n := run(e, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=overview] svg[data-testid=chart] text").length`)); n < 4 {
					t.Errorf("the overview's chart has %d axis labels", n)
				}
				// Axis labels take the muted text colour of the scheme, not black.
				fill := run(e, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("svg[data-testid=chart] text")).fill`))
				var r, g, b int
				fmt.Sscanf(fill, "rgb(%d, %d, %d)", &r, &g, &b)
				if light := r+g+b > 3*128; light != (scheme == "dark") {
					t.Errorf("axis labels %s in %s mode", fill, scheme)
				}
				e.screenshot("overview-" + scheme + fmt.Sprint(width))
			})
		}
	}
}
