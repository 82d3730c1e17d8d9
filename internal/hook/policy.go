package hook

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Orderings of a webhook's deliveries.
const (
	OrderingNone = "none" // any order, many at once
	OrderingFIFO = "fifo" // one at a time, in event order
)

// Limits of the endpoint policies.
const (
	MaxRateLimit     = 10000 // requests per second
	MaxCustomHeaders = 20
	MaxHeaderValue   = 1024
)

// Header is one custom request header of a webhook. Its value is a
// credential: stored sealed, masked wherever it is shown.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MaskedValue is what a custom header's value (or any credential) looks
// like wherever it is shown without being revealed.
const MaskedValue = "••••••••"

// forbiddenHeaders are the custom header names Hookboard refuses because it
// sets them itself (or the transport does); webhook-* and the auth type's
// header are refused too.
var forbiddenHeaders = []string{"host", "content-length", "content-type", "transfer-encoding", "connection", "user-agent"}

// validatePolicies checks rate_limit, ordering and headers. existing lets a
// blank value keep the stored value of a header of the same name.
func validatePolicies(fe *FieldErrors, in WebhookInput, existing *Webhook) {
	if in.RateLimit < 0 || in.RateLimit > MaxRateLimit {
		fe.Add("rate_limit", "The rate limit must be a whole number of requests per second from 1 to 10,000, or empty for none.")
	}
	if in.Ordering != OrderingNone && in.Ordering != OrderingFIFO {
		fe.Add("ordering", "Choose none or fifo.")
	}
	if len(in.Headers) > MaxCustomHeaders {
		fe.Add("headers", "At most 20 custom headers.")
		return
	}
	// Every refused header is named at once, so the form is corrected in
	// one round (its values are never echoed back).
	var msgs []string
	seen := map[string]bool{}
	for _, h := range in.Headers {
		msg := ValidateCustomHeader(h, in.AuthType, in.AuthHeader)
		lower := strings.ToLower(h.Name)
		switch {
		case msg != "":
		case seen[lower]:
			msg = h.Name + " appears twice."
		case h.Value == "" && (existing == nil || !slices.Contains(existing.HeaderNames, h.Name)):
			msg = "Enter a value for " + h.Name + "."
		}
		seen[lower] = true
		if msg != "" {
			msgs = append(msgs, msg)
		}
	}
	if len(msgs) > 0 {
		fe.Add("headers", strings.Join(msgs, " "))
	}
}

// ValidateCustomHeader checks one custom header's name and value against
// the webhook's auth type (whose header it may not replace). A blank value
// is left to the caller (it may mean "keep the stored one").
func ValidateCustomHeader(h Header, authType, authHeader string) string {
	lower := strings.ToLower(h.Name)
	switch {
	case h.Name == "":
		return "Enter a header name."
	case len(h.Name) > 100 || !headerToken.MatchString(h.Name):
		return "“" + truncate(h.Name, 50) + "” is not a header name: use letters, digits and - (for example X-Gateway-Key)."
	case slices.Contains(forbiddenHeaders, lower) || strings.HasPrefix(lower, "webhook-"):
		return "Hookboard sets " + h.Name + " itself; choose another header."
	case authType == AuthBasic && lower == "authorization":
		return "Basic authentication sets Authorization; choose another header or another auth type."
	case authType == AuthAPIKey && strings.EqualFold(h.Name, authHeader):
		return "The API key is sent in " + h.Name + "; choose another header."
	case len(h.Value) > MaxHeaderValue:
		return "The value of " + h.Name + " must be at most 1024 bytes."
	case !printable(h.Value):
		return "The value of " + h.Name + " must be printable text on one line."
	}
	return ""
}

// printable reports whether v is valid UTF-8 with no control characters
// (tab allowed), so it can go in an HTTP header as it is.
func printable(v string) bool {
	if !utf8.ValidString(v) {
		return false
	}
	for _, r := range v {
		if (r < 0x20 && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}

// normalizePolicies trims header names and values and fills the default
// ordering.
func (in *WebhookInput) normalizePolicies() {
	in.Ordering = strings.ToLower(strings.TrimSpace(in.Ordering))
	if in.Ordering == "" {
		in.Ordering = OrderingNone
	}
	for i := range in.Headers {
		in.Headers[i].Name = strings.TrimSpace(in.Headers[i].Name)
		in.Headers[i].Value = strings.TrimSpace(in.Headers[i].Value)
	}
}

// ParseHeaderLines reads the form's headers text: one "Name: value" a line,
// blank lines skipped. A line without a colon is a name with a blank value.
func ParseHeaderLines(text string) []Header {
	var out []Header
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if strings.TrimSpace(line) == "" {
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		out = append(out, Header{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)})
	}
	return out
}
