package web

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/templates"
)

// chartWindow fits the chart to what there can be: the last hour in
// 5-minute bars while the thing charted is younger than an hour (and has no
// older attempts), else one bar an hour since it began, up to 24.
func chartWindow(created, now time.Time) (start time.Time, step time.Duration, n int, label string) {
	if !created.IsZero() && now.Sub(created) < time.Hour {
		step = 5 * time.Minute
		end := now.Truncate(step).Add(step)
		return end.Add(-time.Hour), step, 12, "the last hour"
	}
	end := now.Truncate(time.Hour).Add(time.Hour)
	n = 24
	if !created.IsZero() {
		n = min(24, max(2, int((end.Sub(created)+time.Hour-1)/time.Hour)))
	}
	label = "the last 24 hours"
	if n < 24 {
		label = "the last " + strconv.Itoa(n) + " hours"
	}
	return end.Add(-time.Duration(n) * time.Hour), time.Hour, n, label
}

// fineStep is the bar of the shortest window.
const fineStep = 5 * time.Minute

// dayStart is where "the last 24 hours" of a page begins, for every figure
// that says so: the health text, the chart's bars and the status counts. It
// is taken to the minute, as the chart's counts are kept per minute, so
// the chart and the health text count the same attempts.
func dayStart(now time.Time) time.Time {
	return now.UTC().Truncate(time.Minute).Add(-24 * time.Hour)
}

// chartData asks the store for the last day in hours (closed hours come
// from the roll-up), and for the last two hours in 5-minute bars only when
// the short window may be the one: then they place the first attempt to
// five minutes. It fits the window to the older of the creation time and
// the first attempt in that day (imported or backdated history counts),
// and sums the buckets into the window's bars. A full day's 24 hourly bars
// begin at the next whole hour after dayStart: the part-hour before it is
// a bar of its own, first, so the chart counts the same 24 hours as the
// health text beside it.
func (s *Server) chartData(r *http.Request, appID, webhookID string, created time.Time) (templates.Chart, error) {
	now := s.now()
	lead, hourly, err := s.dayBuckets(r, appID, webhookID, now)
	if err != nil {
		return templates.Chart{}, err
	}
	first := firstBusy(append([]store.Bucket{lead}, hourly...))
	recent := now.Truncate(time.Hour).Add(-time.Hour)
	var fine []store.Bucket
	if (!first.IsZero() && !first.Before(recent)) || (!created.IsZero() && now.Sub(created) < time.Hour) {
		if fine, err = s.store.AttemptBuckets(r.Context(), appID, webhookID, recent, fineStep, int(2*time.Hour/fineStep)); err != nil {
			return templates.Chart{}, err
		}
		if f := firstBusy(fine); !f.IsZero() && !first.Before(recent) {
			first = f
		}
	}
	begin := created
	if !first.IsZero() && (begin.IsZero() || first.Before(begin)) {
		begin = first
	}
	start, step, n, window := chartWindow(begin, now)
	if step < time.Hour {
		return buildChart(nil, intoBars(fine, start, step, n), step, window), nil
	}
	var leadBar *store.Bucket
	if n == len(hourly) && (begin.IsZero() || begin.Before(start)) {
		leadBar = &lead // the whole day: the part-hour before its first hour
	}
	return buildChart(leadBar, intoBars(hourly, start, step, n), step, window), nil
}

// dayBuckets reads the attempts of the last 24 hours: the whole hours of
// the day's chart (the last one still running), and lead, the part-hour
// from dayStart to the first of them.
func (s *Server) dayBuckets(r *http.Request, appID, webhookID string, now time.Time) (lead store.Bucket, hourly []store.Bucket, err error) {
	hoursStart, _, hours, _ := chartWindow(time.Time{}, now)
	if hourly, err = s.store.AttemptBuckets(r.Context(), appID, webhookID, hoursStart, time.Hour, hours); err != nil {
		return lead, nil, err
	}
	from := dayStart(now) // always before hoursStart: the next whole hour after it
	part, err := s.store.AttemptBuckets(r.Context(), appID, webhookID, from, hoursStart.Sub(from), 1)
	if err != nil {
		return lead, nil, err
	}
	return part[0], hourly, nil
}

// intoBars sums buckets into n bars of step from start; buckets outside
// them are left out.
func intoBars(buckets []store.Bucket, start time.Time, step time.Duration, n int) []store.Bucket {
	bars := make([]store.Bucket, n)
	for i := range bars {
		bars[i].Start = start.Add(time.Duration(i) * step)
	}
	for _, b := range buckets {
		if i := int(b.Start.Sub(start) / step); !b.Start.Before(start) && i < n {
			bars[i].Succeeded += b.Succeeded
			bars[i].Failed += b.Failed
		}
	}
	return bars
}

// firstBusy is the start of the first bucket with attempts (zero if none).
func firstBusy(buckets []store.Bucket) time.Time {
	for _, b := range buckets {
		if b.Succeeded+b.Failed > 0 {
			return b.Start
		}
	}
	return time.Time{}
}

// Chart geometry, in SVG units: the plot sits right of the count labels
// and above the hour labels.
const (
	chartW      = 900.0
	chartH      = 200.0
	chartLeft   = 44.0
	chartRight  = 8.0
	chartTop    = 10.0
	chartBottom = 24.0
)

// buildChart lays out the buckets as stacked bars with both axes, after
// lead when there is one: a part of step before the first bucket, drawn as
// wide as its share of the time. Each bar's left edge is where its time
// starts on the axis.
func buildChart(lead *store.Bucket, buckets []store.Bucket, step time.Duration, window string) templates.Chart {
	c := templates.Chart{Width: chartW, Height: chartH, PlotX: chartLeft, PlotY: chartTop,
		PlotW: chartW - chartLeft - chartRight, PlotH: chartH - chartTop - chartBottom, Window: window}
	all := buckets
	var leadSpan time.Duration
	if lead != nil && len(buckets) > 0 {
		all = append([]store.Bucket{*lead}, buckets...)
		leadSpan = buckets[0].Start.Sub(lead.Start)
	}
	for _, b := range all {
		c.Succeeded += b.Succeeded
		c.Failed += b.Failed
		c.Max = max(c.Max, b.Succeeded+b.Failed)
	}
	top := niceCeil(c.Max)
	span := leadSpan + time.Duration(max(len(buckets), 1))*step
	perUnit := c.PlotW / float64(span) // plot width per nanosecond
	scale := c.PlotH / float64(top)
	base := c.PlotY + c.PlotH
	for _, v := range []int{0, top / 2, top} {
		c.YTicks = append(c.YTicks, templates.ChartTick{Pos: base - float64(v)*scale, Label: strconv.Itoa(v)})
	}
	every := max(1, (len(buckets)+5)/6) // at most about 6 time labels
	format := "15:04"
	bar := func(b store.Bucket, x, width float64, end time.Time) {
		cb := templates.ChartBar{X: x + 1, Width: max(width-2, 1), Succeeded: b.Succeeded, Failed: b.Failed,
			Label: b.Start.UTC().Format(format) + "–" + end.UTC().Format(format)}
		cb.SuccH = float64(b.Succeeded) * scale
		cb.SuccY = base - cb.SuccH
		cb.FailH = float64(b.Failed) * scale
		cb.FailY = cb.SuccY - cb.FailH
		c.Bars = append(c.Bars, cb)
	}
	if leadSpan > 0 {
		bar(*lead, c.PlotX, float64(leadSpan)*perUnit, buckets[0].Start)
	}
	slot := float64(step) * perUnit
	for i, b := range buckets {
		x := c.PlotX + float64(leadSpan)*perUnit + float64(i)*slot
		bar(b, x, slot, b.Start.Add(step))
		if i%every == 0 {
			c.XTicks = append(c.XTicks, templates.ChartTick{Pos: x, Label: b.Start.UTC().Format(format)})
		}
	}
	c.Summary = fmt.Sprintf("%d succeeded and %d failed in %s.", c.Succeeded, c.Failed, window)
	return c
}

// niceCeil rounds a bar height up to a round, even axis top (2, 4, 6, 8
// × 10ⁿ), so the middle tick is a whole number too.
func niceCeil(v int) int {
	for p := 1; ; p *= 10 {
		for _, m := range []int{2, 4, 6, 8, 10} {
			if m*p >= v {
				return m * p
			}
		}
	}
}
