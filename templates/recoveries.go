package templates

import (
	"slices"

	"github.com/a-h/templ"
)

// kindLabel names a recovery job's kind in words.
func kindLabel(kind string) string {
	switch kind {
	case "recover":
		return "Recovery"
	case "bulk-resend":
		return "Bulk resend"
	case "replay":
		return "Replay"
	}
	return kind
}

// KindLabel is kindLabel for the handlers.
func KindLabel(kind string) string { return kindLabel(kind) }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// formTestID is the data-testid of a kind's form: recover or replay.
func formTestID(kind string) string {
	if kind == "replay" {
		return "replay"
	}
	return "recover"
}

func verb(kind string) string {
	if kind == "replay" {
		return "replay"
	}
	return "resend"
}

func nothingText(kind string) string {
	switch kind {
	case "replay":
		return "this webhook has a delivery for every event since then that it subscribes to."
	case "bulk-resend":
		return "no failed delivery matches this filter."
	}
	return "no delivery to this webhook failed in that time (failed, or retrying after a failed attempt)."
}

func countText(kind string, n int) string {
	switch kind {
	case "replay":
		return plural(n, "event has", "events have") + " no delivery to this webhook: the job creates and sends " + plural(n, "it", "them") + "."
	case "bulk-resend":
		return plural(n, "failed delivery matches", "failed deliveries match") + " the filter: the job sends " + plural(n, "it", "each") + " again, like Resend."
	}
	return plural(n, "failed delivery", "failed deliveries") + " (failed, or retrying after a failed attempt): the job sends " + plural(n, "it", "each") + " again, like Resend."
}

func recoveryStatusClass(status string) string {
	switch status {
	case "done":
		return "status-ok"
	case "failed":
		return "status-bad"
	case "running":
		return "status-warn"
	}
	return "status-wait"
}

// sortedErrors lists field errors by field name (as Fact: Label is the
// field, Value the message).
func sortedErrors(errors map[string]string) []Fact {
	out := make([]Fact, 0, len(errors))
	for k, v := range errors {
		out = append(out, Fact{Label: k, Value: v})
	}
	slices.SortFunc(out, func(a, b Fact) int {
		if a.Label < b.Label {
			return -1
		}
		if a.Label > b.Label {
			return 1
		}
		return 0
	})
	return out
}

// windowAttrs are a date-time input's min and max, those that are set.
func windowAttrs(w TimeWindow) templ.Attributes {
	a := templ.Attributes{}
	if w.Min != "" {
		a["min"] = w.Min
	}
	if w.Max != "" {
		a["max"] = w.Max
	}
	return a
}

// offText follows a count of deliveries to turned-off webhooks in a bulk
// resend's preview: all of them (the job would send nothing), or some.
// spread: a preview's items go to more than one webhook, or may (a bulk
// resend counted only in part).
func spread(vm RecoveryPreview) bool {
	return vm.Webhooks > 1 || (vm.More && vm.Kind == "bulk-resend")
}

// about qualifies a preview's ETA: a lower bound when it counted only part.
func about(vm RecoveryPreview) string {
	if vm.More {
		return "at least"
	}
	return "about"
}

// atLeast qualifies a preview's number of webhooks counted only in part.
func atLeast(vm RecoveryPreview) string {
	if vm.More {
		return "at least "
	}
	return ""
}

// moreThan qualifies a count that stopped at its cap.
func moreThan(more bool) string {
	if more {
		return "more than "
	}
	return ""
}

func offText(n int, all bool) string {
	if all {
		return plural(n, "matching delivery belongs", "matching deliveries belong") + " to turned-off webhooks: a job would skip every one. Turn the webhook on first."
	}
	return plural(n, "belongs", "belong") + " to turned-off webhooks and will be skipped."
}
