package web_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/store/storetest"
)

// The webhook pages' and the overview's charts show the same bars once
// the closed hours are rolled up (read from attempt_hours) as when every
// hour is counted from attempts.
func TestChartSameAfterRollUp(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			now := time.Date(2026, 11, 26, 15, 20, 0, 0, time.UTC)
			clock := storetest.NewClock(now.Add(-72 * time.Hour))
			h := newHarnessOnWith(t, dialect, storetest.Options{Now: clock.Now}, nil)
			old := h.mustWebhook(h.acme.ID, "old")
			clock.Advance(72*time.Hour - 20*time.Minute)
			young := h.mustWebhook(h.acme.ID, "young")
			imported := h.mustWebhook(h.acme.ID, "imported")
			clock.Advance(20 * time.Minute) // now
			h.mustAttemptsAt(old.ID, 200, "", 10, true, now.Add(-3*time.Hour), now.Add(-150*time.Minute), now.Add(-30*time.Hour), now.Add(-23*time.Hour))
			h.mustAttemptsAt(old.ID, 500, "", 10, false, now.Add(-time.Minute), now.Add(-80*time.Minute), now.Add(-5*time.Hour))
			h.mustAttemptsAt(young.ID, 200, "", 10, true, now.Add(-2*time.Minute), now.Add(-7*time.Minute))
			h.mustAttemptsAt(imported.ID, 500, "", 10, false, now.Add(-3*time.Hour), now.Add(-time.Minute))
			pages := []string{"/apps/" + h.acme.ID, "/apps/" + h.acme.ID + "/webhooks/" + old.ID,
				"/apps/" + h.acme.ID + "/webhooks/" + young.ID, "/apps/" + h.acme.ID + "/webhooks/" + imported.ID}
			charts := func() []string {
				var out []string
				for _, p := range pages {
					resp, doc := h.support().get(p)
					wantStatus(t, resp, 200)
					out = append(out, doc.Find("svg[data-testid=chart] desc").Text()+" | "+doc.Find("[data-testid=chart-table]").Text())
				}
				return out
			}
			before := charts()
			if err := h.store.RollUpAttemptHours(context.Background(), now.Add(-2*time.Minute)); err != nil {
				t.Fatal(err)
			}
			var rolled int
			if err := h.store.DB().Get(&rolled, `SELECT COUNT(*) FROM attempt_hours`); err != nil || rolled == 0 {
				t.Fatalf("%d hours rolled up, %v", rolled, err)
			}
			for i, got := range charts() {
				if got != before[i] {
					t.Errorf("%s after the roll-up:\n%s\nbefore:\n%s", pages[i], got, before[i])
				}
			}
		})
	}
}
