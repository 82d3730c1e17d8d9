package web_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/store/storetest"
)

// The chart fits its window to the webhook's age (the last hour in
// 5-minute bars when younger than an hour, one bar an hour up to 24 after),
// labels both axes (times and counts) and says the same in words.
func TestChartWindowAndAxes(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			now := time.Date(2026, 11, 26, 15, 20, 0, 0, time.UTC)
			clock := storetest.NewClock(now.Add(-72 * time.Hour))
			h := newHarnessOnWith(t, dialect, storetest.Options{Now: clock.Now}, nil)
			old := h.mustWebhook(h.acme.ID, "old")
			clock.Advance(72*time.Hour - 5*time.Hour - 10*time.Minute)
			middle := h.mustWebhook(h.acme.ID, "middle")
			clock.Advance(5*time.Hour - 10*time.Minute)
			young := h.mustWebhook(h.acme.ID, "young")
			imported := h.mustWebhook(h.acme.ID, "imported") // young, with older history
			clock.Advance(20 * time.Minute)                  // now
			h.mustAttemptsAt(old.ID, 200, "", 10, true, now.Add(-3*time.Hour), now.Add(-3*time.Hour), now.Add(-30*time.Hour))
			h.mustAttemptsAt(old.ID, 500, "", 10, false, now.Add(-time.Minute))
			h.mustAttemptsAt(young.ID, 200, "", 10, true, now.Add(-2*time.Minute), now.Add(-7*time.Minute))
			h.mustAttemptsAt(imported.ID, 500, "", 10, false, now.Add(-3*time.Hour), now.Add(-time.Minute))

			for _, c := range []struct {
				id, window string
				rows       int
				succ, fail int
			}{
				{old.ID, "the last 24 hours", 25, 2, 1}, // 15:20 yesterday to 16:00, then 24 hours
				{middle.ID, "the last 6 hours", 6, 0, 0},
				{young.ID, "the last hour", 12, 2, 0},
				{imported.ID, "the last 4 hours", 4, 0, 2}, // 12:20 to 16:00
			} {
				resp, doc := h.support().get("/apps/" + h.acme.ID + "/webhooks/" + c.id)
				wantStatus(t, resp, 200)
				svg := doc.Find("svg[data-testid=chart]")
				if got := strings.TrimSpace(svg.Find("title#chart-title").Text()); got != "Attempts over "+c.window {
					t.Errorf("%s: title %q, want over %s", c.window, got, c.window)
				}
				if got := doc.Find("[data-testid=chart-table] tbody tr").Length(); got != c.rows {
					t.Errorf("%s: %d rows, want %d", c.window, got, c.rows)
				}
				if got := strings.TrimSpace(svg.Find("desc").Text()); !strings.HasPrefix(got, strings.Join([]string{itoa(c.succ), "succeeded and", itoa(c.fail), "failed in", c.window}, " ")) {
					t.Errorf("%s: desc %q", c.window, got)
				}
				xs := svg.Find("[data-testid=chart-x-axis] text")
				if xs.Length() < 2 || xs.Length() > 8 {
					t.Errorf("%s: %d time labels", c.window, xs.Length())
				}
				ys := svg.Find("[data-testid=chart-y-axis] text")
				if ys.Length() != 3 || strings.TrimSpace(ys.First().Text()) != "0" {
					t.Errorf("%s: count labels %q", c.window, ys.Text())
				}
			}
			_, doc := h.support().get("/apps/" + h.acme.ID + "/webhooks/" + young.ID)
			if got := strings.TrimSpace(doc.Find("[data-testid=chart-x-axis] text").First().Text()); got != "14:25" {
				t.Errorf("young: first time label %q, want 14:25 (the hour before 15:25)", got)
			}
			_, doc = h.support().get("/apps/" + h.acme.ID + "/webhooks/" + old.ID)
			if got := strings.TrimSpace(doc.Find("[data-testid=chart-x-axis] text").First().Text()); got != "16:00" {
				t.Errorf("old: first time label %q, want 16:00 (24 h before 16:00)", got)
			}
			if got := strings.TrimSpace(doc.Find("[data-testid=chart-y-axis] text").Last().Text()); got != "2" {
				t.Errorf("old: top count %q, want 2", got)
			}
		})
	}
}

// The chart and the health figures beside it count the same 24 hours: the
// chart's hourly bars begin at a whole hour, so the part-hour before the
// first of them is a bar of its own (drawn as wide as its share of the
// time), and both count from the same minute 24 hours ago.
func TestChartAndHealthCountTheSameDay(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			now := time.Date(2026, 11, 26, 15, 20, 30, 0, time.UTC)
			clock := storetest.NewClock(now.Add(-72 * time.Hour))
			h := newHarnessOnWith(t, dialect, storetest.Options{Now: clock.Now}, nil)
			wh := h.mustWebhook(h.acme.ID, "old")
			clock.Advance(72 * time.Hour)
			day := now.Add(-24 * time.Hour)
			h.mustAttemptsAt(wh.ID, 200, "", 10, true,
				day.Add(-20*time.Second), // 15:20:10 yesterday: in the minute the day starts
				day.Add(5*time.Minute),   // 15:25:30 yesterday: before the first whole hour
				now.Add(-2*time.Hour))
			h.mustAttemptsAt(wh.ID, 500, "", 10, false,
				day.Add(-time.Minute), // 15:19:30 yesterday: before the day
				now.Add(-time.Minute))

			_, doc := h.support().get("/apps/" + h.acme.ID + "/webhooks")
			title, _ := doc.Find(`tr[data-webhook-id="` + wh.ID + `"] [data-field=success-rate]`).Attr("title")
			if title != "3 of 4 attempts succeeded in the last 24 hours" {
				t.Errorf("list: success rate's title %q, want 3 of 4", title)
			}
			resp, doc := h.support().get("/apps/" + h.acme.ID + "/webhooks/" + wh.ID)
			wantStatus(t, resp, 200)
			if got := strings.TrimSpace(doc.Find("svg[data-testid=chart] desc").Text()); got != "3 succeeded and 1 failed in the last 24 hours." {
				t.Errorf("page: chart says %q, want the list's 3 of 4", got)
			}
			rows := doc.Find("[data-testid=chart-table] tbody tr")
			if rows.Length() != 25 {
				t.Fatalf("%d rows, want the part-hour and 24 hours", rows.Length())
			}
			if got := strings.Join(strings.Fields(rows.First().Text()), " "); !strings.HasPrefix(got, "15:20–16:00") {
				t.Errorf("first row %q, want 15:20–16:00 (the part-hour)", got)
			}
			// Succeeded bars: the part-hour's (two attempts) and 13:00's.
			bars := doc.Find("svg[data-testid=chart] rect.bar-succeeded")
			if bars.Length() != 2 {
				t.Fatalf("%d succeeded bars, want 2", bars.Length())
			}
			part, _ := strconv.ParseFloat(bars.First().AttrOr("width", ""), 64)
			hour, _ := strconv.ParseFloat(bars.Last().AttrOr("width", ""), 64)
			if part <= 0 || hour <= 0 || part >= hour/1.4 { // 40 minutes of 60: two thirds, less the gap
				t.Errorf("bar widths %v and %v: the part-hour's bar should be about two thirds as wide", part, hour)
			}
			_, doc = h.support().get("/apps/" + h.acme.ID)
			if got := strings.TrimSpace(doc.Find("svg[data-testid=chart] desc").Text()); got != "3 succeeded and 1 failed in the last 24 hours." {
				t.Errorf("overview: chart says %q", got)
			}
		})
	}
}
