package hook

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/hookboard/hookboard/internal/hook/hooktest"
)

// TestSSRFRegistries runs the special-purpose registry table through the
// classifier and through the form's URL check with the address written in
// the URL. (The sender's dial-time guard runs the same table.)
func TestSSRFRegistries(t *testing.T) {
	if n := len(hooktest.SSRFCases); n < 60 {
		t.Fatalf("only %d cases", n)
	}
	for _, c := range hooktest.SSRFCases {
		addr := netip.MustParseAddr(c.Addr)
		if got := NonPublicReason(addr); got != c.Reason {
			t.Errorf("NonPublicReason(%s) = %q, want %q (%s)", c.Addr, got, c.Reason, c.Note)
		}
		host := c.Addr
		if addr.Is6() {
			host = "[" + host + "]"
		}
		for _, u := range []string{"https://" + host + "/hooks", "https://" + host + ":8443/hooks"} {
			got := ValidateTargetURL(u, TargetPolicy{})
			switch {
			case !c.Refused() && got != "":
				t.Errorf("%s refused: %q (%s)", u, got, c.Note)
			case c.Refused() && !strings.Contains(got, withArticle(c.Reason)+" address"):
				t.Errorf("%s: %q, want refused as %s (%s)", u, got, c.Reason, c.Note)
			}
			// The development switch lets everything through.
			if got := ValidateTargetURL(u, TargetPolicy{AllowPrivate: true}); got != "" {
				t.Errorf("%s with AllowPrivate: %q", u, got)
			}
		}
	}
}

// TestTargetURLOddHosts: hosts written so that some resolver reads them as
// a non-public address are refused, or normalised and then judged.
func TestTargetURLOddHosts(t *testing.T) {
	prod := TargetPolicy{}
	for _, c := range []struct{ url, wantErr string }{
		// Numeric forms that inet_aton reads as IPv4.
		{"https://2130706433/", "numeric"},
		{"https://0x7f000001/", "numeric"},
		{"https://0x7f.1/", "numeric"},
		{"https://0177.0.0.1/", "numeric"},
		{"https://127.1/", "numeric"},
		{"https://127.0.0.01/", "numeric"},
		{"https://0X7F.0.0.1/", "numeric"},
		{"https://8.8.8.0x8/", "numeric"},
		// A trailing dot is the DNS root: the address is judged without it.
		{"https://127.0.0.1./", "loopback"},
		{"https://10.0.0.1.:443/", "private"},
		{"https://8.8.8.8./", ""},
		{"https://example.com./hooks", ""},
		// localhost in every spelling.
		{"https://localhost/", "localhost"},
		{"https://localhost./", "localhost"},
		{"https://LOCALHOST/", "localhost"},
		{"https://api.localhost/", "localhost"},
		{"https://a.b.localhost./", "localhost"},
		{"https://localhost.localdomain/", "localhost"},
		{"https://ip6-localhost/", "localhost"},
		{"https://localhost../", "invalid host name"},
		{"https://*.localhost/", "invalid host name"},
		{"https://.example.com/", "invalid host name"},
		{"https://a..example.com/", "invalid host name"},
		{"https://" + strings.Repeat("a", 64) + ".com/", "invalid host name"},
		{"https://exa$mple.com/", "invalid host name"},
		// IPv6 zones: never on a target, and a link-local one is refused anyway.
		{"https://[fe80::1%25eth0]/", "network interface"},
		{"https://[2606:4700:4700::1111%25eth0]/", "network interface"},
		{"https://[::ffff:127.0.0.1]/", "loopback"},
		{"https://[::ffff:7f00:1]/", "loopback"},
		// International names pass the shape check.
		{"https://bücher.example/", ""},
		{"https://my_host.example.com/", ""},
	} {
		got := ValidateTargetURL(c.url, prod)
		if (c.wantErr == "") != (got == "") || !strings.Contains(got, c.wantErr) {
			t.Errorf("%q: %q, want containing %q", c.url, got, c.wantErr)
		}
	}
	// HOOKBOARD_ALLOW_PRIVATE_TARGETS (development) accepts loopback in any
	// spelling, but a malformed name stays malformed.
	dev := TargetPolicy{AllowHTTP: true, AllowPrivate: true}
	for _, u := range []string{"http://localhost:8080/", "http://127.0.0.1./", "http://[::127.0.0.1]/", "http://[fe80::1%25lo]/", "http://2130706433/"} {
		if got := ValidateTargetURL(u, dev); got != "" {
			t.Errorf("dev %q: %q", u, got)
		}
	}
	if got := ValidateTargetURL("http://a..b/", dev); !strings.Contains(got, "invalid host name") {
		t.Errorf("dev a..b: %q", got)
	}
}
