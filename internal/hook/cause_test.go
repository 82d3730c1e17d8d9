package hook

import (
	"strings"
	"testing"
)

// TestErrorClass reads back the texts the sender records, including the
// ones written in sender.go around describeError and Go's own TLS texts
// that older attempts carry.
func TestErrorClass(t *testing.T) {
	for _, c := range []struct{ text, class string }{
		{"blocked: the host resolves to a loopback address (127.0.0.1); Hookboard only delivers to public addresses", CauseBlocked},
		{"timeout: no response within 2s", CauseTimeout},
		{"reading the response: timeout: no response within 2s", CauseTimeout},
		{"DNS: could not resolve hooks.example.invalid", CauseDNS},
		{"connection refused: nothing is listening at the URL's host and port", CauseConnection},
		{"connection reset by the endpoint", CauseConnection},
		{"connection failed: network is unreachable", CauseConnection},
		{"TLS: certificate expired on 2026-01-01T00:00:00Z", CauseTLS},
		{"tls: failed to verify certificate: x509: certificate has expired or is not yet valid", CauseTLS},
		{"redirect not followed (Location: https://new.example/)", CauseRedirect},
		{"invalid URL", ""},
		{"", ""},
	} {
		if got := ErrorClass(c.text); got != c.class {
			t.Errorf("ErrorClass(%q) = %q, want %q", c.text, got, c.class)
		}
	}
}

func TestResponseStatusLabelAndHint(t *testing.T) {
	for _, c := range []struct {
		a     Attempt
		label string
		class string
		hint  string
	}{
		{Attempt{ResponseStatus: 200, Succeeded: true}, "200", "", ""},
		{Attempt{ResponseStatus: 302, Error: "redirect not followed"}, "302", CauseRedirect, "does not follow redirects"},
		{Attempt{ResponseStatus: 404}, "404", "", "URL not found"},
		{Attempt{ResponseStatus: 410}, "410", "", "retries stopped"},
		{Attempt{ResponseStatus: 418}, "418", "", "refused the request (418 I'm a teapot)"},
		{Attempt{ResponseStatus: 599}, "599", "", "Server error on the endpoint (599)"},
		{Attempt{Error: "timeout: no response within 1.5s"}, "timeout", CauseTimeout, "No answer within 1.5 s: answer first, then do the work"},
		{Attempt{Error: "tls: failed to verify certificate: x509: certificate signed by unknown authority"}, "tls", CauseTLS, "unknown authority"},
		{Attempt{Error: "TLS: certificate for another host: valid for a.example, not b.example"}, "tls", CauseTLS, "another host name"},
		{Attempt{Error: "TLS: certificate not yet valid: valid from 2030-01-01T00:00:00Z"}, "tls", CauseTLS, "not valid yet"},
		{Attempt{Error: "invalid URL"}, "error", "", "could not send"},
	} {
		if got := ResponseStatusLabel(c.a.ResponseStatus, c.a.Error); got != c.label {
			t.Errorf("%+v: label %q, want %q", c.a, got, c.label)
		}
		if got := AttemptClass(c.a); got != c.class {
			t.Errorf("%+v: class %q, want %q", c.a, got, c.class)
		}
		if got := Hint(c.a); (c.hint == "") != (got == "") || !strings.Contains(got, c.hint) {
			t.Errorf("%+v: hint %q, want %q in it", c.a, got, c.hint)
		}
	}
}
