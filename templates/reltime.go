package templates

import (
	"fmt"
	"time"

	"github.com/a-h/templ"
)

// RelativeTime says how long before or after now t is, as a person would
// ("3 min ago", "in 5 s"), or the date past a month. static/js/app.js keeps
// it fresh in the browser with the same wording (relativeTime there).
func RelativeTime(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < 5*time.Second:
		if future {
			return "in a moment"
		}
		return "just now"
	case d < time.Minute:
		s = fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		s = fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 24*time.Hour:
		s = fmt.Sprintf("%d h", int(d/time.Hour))
	case d < 30*24*time.Hour:
		n := int(d / (24 * time.Hour))
		s = fmt.Sprintf("%d days", n)
		if n == 1 {
			s = "1 day"
		}
	default:
		return t.UTC().Format("2006-01-02")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// exactUTC is the exact time shown in a relative time's title.
func exactUTC(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// nextAt marks a retrying delivery's status with its next attempt, so
// app.js refreshes the page only while one is due within a minute.
func nextAt(status string, at *time.Time) templ.Attributes {
	if status != "retrying" || at == nil {
		return templ.Attributes{}
	}
	return templ.Attributes{"data-next-at": at.UTC().Format(time.RFC3339)}
}
