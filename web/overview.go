package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
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
	rows, err := s.webhookRows(r, c, webhooks)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	slices.SortStableFunc(rows, func(a, b templates.WebhookRow) int {
		return healthOrder[a.Health.State] - healthOrder[b.Health.State]
	})
	now := s.now()
	var oldest time.Time
	for _, wh := range webhooks {
		if oldest.IsZero() || wh.CreatedAt.Before(oldest) {
			oldest = wh.CreatedAt
		}
	}
	chart, err := s.chartData(r, c.appID(), "", oldest)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	counts, err := s.store.StatusCounts(r.Context(), c.appID(), now.Add(-24*time.Hour))
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	vm := templates.Overview{Page: s.page(r, c, "Overview", "overview"), AppID: c.appID(), Chart: chart,
		Succeeded: counts[hook.StatusSucceeded], Failed: counts[hook.StatusFailed], Retrying: counts[hook.StatusRetrying],
		Pending: counts[hook.StatusPending], Rows: rows}
	if vm.Page.App != nil {
		vm.AppName = vm.Page.App.Name
	}
	s.render(w, r, c, http.StatusOK, templates.OverviewPage(vm))
}
