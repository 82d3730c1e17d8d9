package web

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/templates"
)

// Endpoint policies on the webhook form, the webhook page and the JSON API
// (issue 18).

// policyForm reads the form's rate_limit, headers and ordering into in. A
// rate limit that is not a whole number comes back as a field error.
func policyForm(f url.Values, in *hook.WebhookInput) hook.FieldErrors {
	var fe hook.FieldErrors
	if v := strings.TrimSpace(f.Get("rate_limit")); v != "" {
		n, err := strconv.Atoi(strings.ReplaceAll(v, ",", ""))
		if err != nil || n < 1 {
			fe.Add("rate_limit", "The rate limit must be a whole number of requests per second from 1 to 10,000, or empty for none.")
		} else {
			in.RateLimit = n
		}
	}
	in.Headers = hook.ParseHeaderLines(f.Get("headers"))
	in.Ordering = f.Get("ordering")
	return fe
}

// policyFormVM is the form's policy part: the limit and ordering as given,
// the header names without their values.
func policyFormVM(in hook.WebhookInput, existing *hook.Webhook, rawLimit string) templates.PolicyForm {
	p := templates.PolicyForm{RateLimit: rawLimit, Ordering: in.Ordering}
	if p.RateLimit == "" && in.RateLimit > 0 {
		p.RateLimit = strconv.Itoa(in.RateLimit)
	}
	var lines []string
	for _, h := range in.Headers {
		lines = append(lines, h.Name+": ")
	}
	p.HeaderLines = strings.Join(lines, "\n")
	p.HasHeaders = existing != nil && len(existing.HeaderNames) > 0
	return p
}

// policyFacts is the webhook page's policy part.
func (s *Server) policyFacts(ctx context.Context, wh hook.Webhook) (templates.PolicyFacts, error) {
	p := templates.PolicyFacts{RateLimit: wh.RateLimit, HeaderNames: wh.HeaderNames, FIFO: wh.Ordering == hook.OrderingFIFO}
	if p.FIFO {
		n, err := s.store.FIFOWaiting(ctx, wh.ID)
		if err != nil {
			return p, err
		}
		p.Waiting = n
	}
	return p, nil
}

// policyInputOf is a webhook's policies as input: the header names with
// blank values, which keep the stored ones.
func policyInputOf(wh hook.Webhook, in *hook.WebhookInput) {
	in.RateLimit, in.Ordering = wh.RateLimit, wh.Ordering
	for _, n := range wh.HeaderNames {
		in.Headers = append(in.Headers, hook.Header{Name: n})
	}
}

// apiHeaders turns the API's headers object into input headers, sorted by
// name (a JSON object has no order).
func apiHeaders(m map[string]string) []hook.Header {
	out := make([]hook.Header, 0, len(m))
	for n, v := range m {
		if v == hook.MaskedValue {
			v = "" // sent back as read: keep the stored value
		}
		out = append(out, hook.Header{Name: n, Value: v})
	}
	slices.SortFunc(out, func(a, b hook.Header) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// apiRateLimit is rateLimit in a request body: absent (keep), null (no
// limit) or a number.
type apiRateLimit struct {
	set bool
	v   *int
}

func (a *apiRateLimit) UnmarshalJSON(b []byte) error {
	a.set = true
	return json.Unmarshal(b, &a.v)
}

// applyPolicies puts the API's policy fields on in, when given.
func applyPolicies(in *hook.WebhookInput, limit apiRateLimit, headers *map[string]string, ordering *string) {
	if limit.set {
		in.RateLimit = 0
		if limit.v != nil {
			in.RateLimit = max(*limit.v, -1)
			if *limit.v == 0 {
				in.RateLimit = -1 // 1–10,000 or null
			}
		}
	}
	if headers != nil {
		in.Headers = apiHeaders(*headers)
	}
	if ordering != nil {
		in.Ordering = *ordering
		if in.Ordering == "" {
			in.Ordering = "?" // refused: none or fifo
		}
	}
}

// policyJSON adds a webhook's policies to its API shape; header values are
// masked.
func policyJSON(wh hook.Webhook, out map[string]any) {
	var limit any
	if wh.RateLimit > 0 {
		limit = wh.RateLimit
	}
	headers := map[string]string{}
	for _, n := range wh.HeaderNames {
		headers[n] = hook.MaskedValue
	}
	ordering := wh.Ordering
	if ordering == "" {
		ordering = hook.OrderingNone
	}
	out["rateLimit"], out["headers"], out["ordering"] = limit, headers, ordering
}
