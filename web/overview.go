package web

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/templates"
)

// healthOrder puts the webhooks that need a look first on the overview.
var healthOrder = map[string]int{
	string(hook.HealthFailing): 0, string(hook.HealthDegraded): 1, string(hook.HealthUnknown): 2,
	string(hook.HealthHealthy): 3, string(hook.HealthDisabled): 4,
}

// overview is an app's landing page: its deliveries per hour, its webhooks
// with the failing ones first, and its deliveries by status over 24 hours.
func (s *Server) overview(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	webhooks, err := s.store.ListWebhooks(r.Context(), c.appID())
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	now := s.now()
	var oldest time.Time
	for _, wh := range webhooks {
		if oldest.IsZero() || wh.CreatedAt.Before(oldest) {
			oldest = wh.CreatedAt
		}
	}
	// Its three reads are independent: run at once, the page takes as long
	// as the slowest (on PostgreSQL each has its own connection and core),
	// not their sum. Each ends with the request.
	var (
		rows   []templates.WebhookRow
		chart  templates.Chart
		counts map[string]int
		errs   [3]error
		reads  sync.WaitGroup
	)
	reads.Go(func() { rows, errs[0] = s.webhookRows(r, c, webhooks) })
	reads.Go(func() { chart, errs[1] = s.chartData(r, c.appID(), "", oldest) })
	reads.Go(func() { counts, errs[2] = s.store.StatusCounts(r.Context(), c.appID(), dayStart(now)) })
	reads.Wait()
	for _, err := range errs {
		if err != nil {
			s.error(w, r, c, err)
			return
		}
	}
	slices.SortStableFunc(rows, func(a, b templates.WebhookRow) int {
		return healthOrder[a.Health.State] - healthOrder[b.Health.State]
	})
	vm := templates.Overview{Page: s.page(r, c, "Overview", "overview"), AppID: c.appID(), Chart: chart,
		Succeeded: countText(counts[hook.StatusSucceeded]), Failed: countText(counts[hook.StatusFailed]),
		Retrying: countText(counts[hook.StatusRetrying]), Pending: countText(counts[hook.StatusPending]), Rows: rows}
	if vm.Page.App != nil {
		vm.AppName = vm.Page.App.Name
	}
	s.render(w, r, c, http.StatusOK, templates.OverviewPage(vm))
}

// countText shows a count, "10,000+" once it reaches the store's cap.
func countText(n int) string {
	if n >= store.StatusCap {
		return groupThousands(store.StatusCap) + "+"
	}
	return groupThousands(n)
}

// groupThousands writes 12345 as "12,345".
func groupThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
