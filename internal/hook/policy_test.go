package hook

import (
	"strings"
	"testing"
)

func TestValidateCustomHeader(t *testing.T) {
	for _, c := range []struct {
		h                    Header
		authType, authHeader string
		ok                   bool
	}{
		{Header{"X-Gateway-Key", "v"}, AuthNone, "", true},
		{Header{"X-Tab", "a\tb"}, AuthNone, "", true},
		{Header{"X-Unicode", "café"}, AuthNone, "", true},
		{Header{"Host", "x"}, AuthNone, "", false},
		{Header{"content-length", "1"}, AuthNone, "", false},
		{Header{"Content-Type", "x"}, AuthNone, "", false},
		{Header{"Transfer-Encoding", "x"}, AuthNone, "", false},
		{Header{"Connection", "x"}, AuthNone, "", false},
		{Header{"User-Agent", "x"}, AuthNone, "", false},
		{Header{"webhook-anything", "x"}, AuthNone, "", false},
		{Header{"Authorization", "x"}, AuthBasic, "", false},
		{Header{"Authorization", "Bearer x"}, AuthNone, "", true},
		{Header{"x-api-key", "x"}, AuthAPIKey, "X-API-Key", false},
		{Header{"X Space", "x"}, AuthNone, "", false},
		{Header{"X-Colon:", "x"}, AuthNone, "", false},
		{Header{"", "x"}, AuthNone, "", false},
		{Header{"X-Line", "a\nb"}, AuthNone, "", false},
		{Header{"X-Nul", "a\x00"}, AuthNone, "", false},
		{Header{"X-Bad-UTF8", "\xff"}, AuthNone, "", false},
		{Header{"X-Long", strings.Repeat("v", 1025)}, AuthNone, "", false},
		{Header{"X-Max", strings.Repeat("v", 1024)}, AuthNone, "", true},
	} {
		if msg := ValidateCustomHeader(c.h, c.authType, c.authHeader); (msg == "") != c.ok {
			t.Errorf("%q: %q", c.h.Name, msg)
		}
	}
}

func TestValidatePolicies(t *testing.T) {
	base := WebhookInput{Name: "A", URL: "https://a.example.com", Events: []string{"*"}, AuthType: AuthNone}
	check := func(edit func(*WebhookInput), existing *Webhook, field string) {
		t.Helper()
		in := base
		edit(&in)
		in.Normalize()
		fe := ValidateWebhook(in, TargetPolicy{}, existing, nil)
		if field == "" && len(fe) > 0 {
			t.Errorf("refused: %v", fe)
		}
		if field != "" && fe.For(field) == "" {
			t.Errorf("no error for %s: %v", field, fe)
		}
	}
	check(func(in *WebhookInput) { in.RateLimit = 1 }, nil, "")
	check(func(in *WebhookInput) { in.RateLimit = 10000 }, nil, "")
	check(func(in *WebhookInput) { in.RateLimit = 10001 }, nil, "rate_limit")
	check(func(in *WebhookInput) { in.RateLimit = -1 }, nil, "rate_limit")
	check(func(in *WebhookInput) { in.Ordering = "FIFO" }, nil, "")
	check(func(in *WebhookInput) { in.Ordering = "lifo" }, nil, "ordering")
	check(func(in *WebhookInput) {
		for range 21 {
			in.Headers = append(in.Headers, Header{"X-A", "1"})
		}
	}, nil, "headers")
	check(func(in *WebhookInput) { in.Headers = []Header{{"X-A", ""}} }, nil, "headers")
	check(func(in *WebhookInput) { in.Headers = []Header{{"X-A", ""}} }, &Webhook{HeaderNames: []string{"X-A"}}, "")
	check(func(in *WebhookInput) { in.Headers = []Header{{"X-A", "1"}, {"x-a", "2"}} }, nil, "headers")

	// Every refused header is named in one answer, not only the first.
	in := base
	in.Headers = []Header{{"Host", "h"}, {"X-Fine", "1"}, {"webhook-id", "x"}, {"Content-Type", "t"}, {"Bad Name", "v"}}
	in.Normalize()
	msg := ValidateWebhook(in, TargetPolicy{}, nil, nil).For("headers")
	for _, name := range []string{"Host", "webhook-id", "Content-Type", "Bad Name"} {
		if !strings.Contains(msg, name) {
			t.Errorf("headers error %q does not name %s", msg, name)
		}
	}
	if strings.Contains(msg, "X-Fine") {
		t.Errorf("headers error %q names an accepted header", msg)
	}
}
