package hook

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

// FuzzValidateTargetURL: no panic, and whatever production rules accept is
// an https URL with a host that is not a literal non-public address.
func FuzzValidateTargetURL(f *testing.F) {
	for _, s := range []string{
		"https://example.com/hooks", "http://example.com", "https://127.0.0.1", "https://[::ffff:10.0.0.1]/",
		"https://[64:ff9b::7f00:1]/", "https://0x7f000001/", "https://localhost./", "https://user@host/", "https://ex ample.com",
		"https://example.com:0/", "https://%31%32%37.0.0.1/", "https://[fe80::1%25eth0]/", "//example.com", "https:example.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if ValidateTargetURL(raw, TargetPolicy{}) != "" {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" || u.Hostname() == "" || u.User != nil {
			t.Fatalf("accepted %q (%v)", raw, err)
		}
		if addr, err := netip.ParseAddr(u.Hostname()); err == nil && NonPublicReason(addr) != "" {
			t.Fatalf("accepted non-public literal %q", raw)
		}
		if h := strings.ToLower(strings.TrimSuffix(u.Hostname(), ".")); h == "localhost" || strings.HasSuffix(h, ".localhost") {
			t.Fatalf("accepted localhost %q", raw)
		}
	})
}

// FuzzValidateWebhook: the rules never panic on any input.
func FuzzValidateWebhook(f *testing.F) {
	f.Add("Orders", "https://example.com", "invoice.paid", "basic", "u", "p", "X-Key", "v")
	f.Add("", "", "", "", "", "", "", "")
	f.Add("***", "http://10.0.0.1", "*", "api_key", "", "", "content-type", "\r\n")
	f.Fuzz(func(t *testing.T, name, u, ev, authType, user, pass, header, value string) {
		in := WebhookInput{Name: name, URL: u, Events: strings.Split(ev, ","), AuthType: authType, AuthUsername: user, AuthPassword: pass, AuthHeader: header, AuthValue: value}
		in.Normalize()
		ValidateWebhook(in, TargetPolicy{}, nil, func(string) bool { return true })
	})
}
