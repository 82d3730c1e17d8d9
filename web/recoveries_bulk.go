package web

import (
	"net/http"
	"net/url"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/templates"
)

// bulkFilterNames are the all-events page's filter fields a bulk resend
// covers: the same names, so the job covers exactly that filter.
var bulkFilterNames = []string{"status", "event_type", "webhook", "from", "to"}

// bulkResendable reports whether deliveries of a status filter may be
// resent: all (""), failed, or retrying (after a failed attempt).
func bulkResendable(status string) bool {
	return status == "" || status == hook.StatusFailed || status == hook.StatusRetrying
}

// bulkSpec reads a bulk resend's filter as the all-events page writes it
// (dates are whole UTC days, "to" inclusive; RFC 3339 is accepted too),
// noting dates it cannot read in errs; the spec's Validate checks the rest.
func bulkSpec(vals url.Values, errs map[string]string) hook.RecoverySpec {
	spec := hook.RecoverySpec{Kind: hook.BulkResend, Status: vals.Get("status"), EventType: vals.Get("event_type"), WebhookID: vals.Get("webhook")}
	var ok bool
	if spec.From, ok = parseDay(vals.Get("from"), false); !ok {
		errs["from"] = "Enter a date as YYYY-MM-DD."
	}
	if spec.To, ok = parseDay(vals.Get("to"), true); !ok {
		errs["to"] = "Enter a date as YYYY-MM-DD."
	}
	return spec
}

func (s *Server) bulkResendPreview(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	s.bulkResend(w, r, c, false)
}

func (s *Server) bulkResendStart(w http.ResponseWriter, r *http.Request, c *reqCtx) {
	s.bulkResend(w, r, c, true)
}

func (s *Server) bulkResend(w http.ResponseWriter, r *http.Request, c *reqCtx, start bool) {
	vals := r.URL.Query()
	if start {
		vals = r.PostForm
	}
	filter := keepFilled(vals, bulkFilterNames...)
	vm := templates.RecoveryPreview{
		Page: s.page(r, c, "Bulk resend", "events"), AppID: c.appID(), Kind: string(hook.BulkResend),
		Heading: "Resend all matching failed deliveries", Action: "/apps/" + c.appID() + "/deliveries/bulk-resend",
		Back: "/apps/" + c.appID() + "/events?" + filter.Encode(), Errors: map[string]string{},
	}
	vm.Filter = bulkHidden(filter)
	spec := bulkSpec(vals, vm.Errors)
	facts, err := s.bulkFacts(r, c, spec, filter, vm.Errors)
	if err != nil {
		s.error(w, r, c, err)
		return
	}
	vm.FilterFacts = facts
	s.previewOrStart(w, r, c, &vm, spec, start)
}

// bulkFacts says in words what a bulk resend's filter covers; a webhook
// that is not the app's is an error beside it.
func (s *Server) bulkFacts(r *http.Request, c *reqCtx, spec hook.RecoverySpec, filter url.Values, errs map[string]string) ([]templates.Fact, error) {
	status := map[string]string{
		"":                  "Failed, or retrying after a failed attempt",
		hook.StatusFailed:   "Failed",
		hook.StatusRetrying: "Retrying, after a failed attempt",
	}[spec.Status]
	if status == "" {
		status = spec.Status
	}
	webhook := "All webhooks"
	if spec.WebhookID != "" {
		wh, err := s.store.Webhook(r.Context(), c.appID(), spec.WebhookID)
		switch {
		case hook.ErrorCode(err) == hook.ENOTFOUND:
			errs["webhook"] = "This app has no such webhook."
			webhook = spec.WebhookID
		case err != nil:
			return nil, err
		default:
			webhook = wh.Name
		}
	}
	orAll := func(v, all string) string {
		if v == "" {
			return all
		}
		return v
	}
	return []templates.Fact{
		{Label: "Status", Value: status, Field: "status"},
		{Label: "Event type", Value: orAll(spec.EventType, "All"), Field: "event-type"},
		{Label: "Webhook", Value: webhook, Field: "webhook"},
		{Label: "From (UTC)", Value: orAll(filter.Get("from"), "—"), Field: "from"},
		{Label: "To (UTC, inclusive)", Value: orAll(filter.Get("to"), "—"), Field: "to"},
	}, nil
}

// bulkOfferCap bounds the events page's count of what a bulk resend would
// cover: past it the offer says "more than" (the preview counts up to
// previewCap). Counted on every load: 1,000 keeps it near 2 ms on SQLite,
// where 10,000 took 20 ms (BenchmarkBulkResendOffer).
const bulkOfferCap = 1_000

// previewCap bounds a recovery preview's counts: past it the preview says
// "more than 2000" and "at least" its ETA, and the job's page shows the
// exact total once it starts. Over 1,000,000 deliveries, counting all
// 60,000 failed deliveries of a webhook took 150–210 ms per preview, and a
// bulk resend's 25,000 400 ms on SQLite (its filter reads four rows per
// match); up to 2,000 they take 14–22 ms (BENCHMARKS.md, issue 19).
const previewCap = 2_000

// bulkResendOffer is the all-events page's "Resend all N matching failed
// deliveries": offered when its filter can match failed deliveries (any
// status, failed or retrying; not a search for one ID) and some match.
func (s *Server) bulkResendOffer(r *http.Request, c *reqCtx, q url.Values, f store.DeliveryFilter) *templates.BulkResendOffer {
	if f.Query != "" || !bulkResendable(f.Status) {
		return nil
	}
	spec := hook.RecoverySpec{Kind: hook.BulkResend, Status: f.Status, EventType: f.EventType, WebhookID: f.WebhookID, From: f.From, To: f.To}
	if spec.Validate(s.now(), s.retention) != nil {
		return nil
	}
	n, more, err := s.store.CountRecovery(r.Context(), c.appID(), spec, bulkOfferCap)
	if err != nil {
		if !clientGone(r) && hook.ErrorCode(err) == hook.EINTERNAL {
			s.log.Error("bulk resend count", "app", c.appID(), "err", err)
		}
		return nil
	}
	return &templates.BulkResendOffer{AppID: c.appID(), Count: n, More: more, Filter: bulkHidden(keepFilled(q, bulkFilterNames...))}
}

// bulkHidden carries a bulk resend's filter as hidden inputs, in form order.
func bulkHidden(filter url.Values) []templates.Hidden {
	var out []templates.Hidden
	for _, n := range bulkFilterNames {
		if v := filter.Get(n); v != "" {
			out = append(out, templates.Hidden{Name: n, Value: v})
		}
	}
	return out
}
