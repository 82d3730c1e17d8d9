package web

import (
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/templates"
)

// buildChart lays out 24 hourly bars in SVG units.
func buildChart(hours []store.HourCount) templates.Chart {
	c := templates.Chart{Width: 480, Height: 120}
	for _, h := range hours {
		c.Succeeded += h.Succeeded
		c.Failed += h.Failed
		c.Max = max(c.Max, h.Succeeded+h.Failed)
	}
	slot := c.Width / float64(max(len(hours), 1))
	scale := 0.0
	if c.Max > 0 {
		scale = c.Height / float64(c.Max)
	}
	for i, h := range hours {
		b := templates.ChartBar{X: float64(i)*slot + 1, Width: slot - 2, Succeeded: h.Succeeded, Failed: h.Failed,
			Label: h.Hour.UTC().Format("15:04")}
		b.SuccH = float64(h.Succeeded) * scale
		b.SuccY = c.Height - b.SuccH
		b.FailH = float64(h.Failed) * scale
		b.FailY = b.SuccY - b.FailH
		c.Bars = append(c.Bars, b)
	}
	return c
}
