package hook

import (
	"net/netip"
	"strings"
	"testing"
)

func TestNonPublicReason(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1":                            "loopback",
		"10.1.2.3":                             "private",
		"172.16.0.1":                           "private",
		"172.31.255.255":                       "private",
		"192.168.0.1":                          "private",
		"169.254.169.254":                      "link-local",
		"100.64.0.1":                           "carrier-grade NAT",
		"0.0.0.0":                              "unspecified",
		"224.0.0.1":                            "multicast",
		"255.255.255.255":                      "broadcast",
		"::1":                                  "loopback",
		"::":                                   "unspecified",
		"fe80::1":                              "link-local",
		"fd00::1":                              "private",
		"ff02::1":                              "multicast",
		"::ffff:127.0.0.1":                     "loopback",
		"64:ff9b::a00:1":                       "private",  // NAT64 of 10.0.0.1
		"2002:7f00:1::1":                       "loopback", // 6to4 of 127.0.0.1
		"2001:0:4136:e378:8000:63bf:80ff:fffe": "loopback", // Teredo, client 127.0.0.1 inverted
		"8.8.8.8":                              "",
		"172.32.0.1":                           "",
		"2606:4700:4700::1111":                 "",
		"64:ff9b::808:808":                     "",
	} {
		if got := NonPublicReason(netip.MustParseAddr(addr)); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
}

func TestValidateTargetURL(t *testing.T) {
	prod := TargetPolicy{}
	dev := TargetPolicy{AllowHTTP: true, AllowPrivate: true}
	for _, c := range []struct {
		url     string
		p       TargetPolicy
		wantErr string
	}{
		{"https://example.com/hooks", prod, ""},
		{"https://example.com:8443/hooks?x=1", prod, ""},
		{"", prod, "Enter the payload URL"},
		{"example.com/hooks", prod, "full URL"},
		{"http://example.com", prod, "https://"},
		{"ftp://example.com", prod, "https://"},
		{"https://user:pw@example.com", prod, "credentials"},
		{"https://example.com/#frag", prod, "fragment"},
		{"https://127.0.0.1/x", prod, "loopback"},
		{"https://10.0.0.1/x", prod, "private"},
		{"https://[::1]:8080/x", prod, "loopback"},
		{"https://169.254.169.254/latest", prod, "link-local"},
		{"https://localhost/x", prod, "localhost"},
		{"https://api.localhost/x", prod, "localhost"},
		{"https://2130706433/x", prod, "numeric"},
		{"https://0x7f.1/x", prod, "numeric"},
		{"https://example.com:99999/x", prod, "port"},
		{"http://127.0.0.1:9000/x", dev, ""},
		{"https://" + strings.Repeat("a", 2050) + ".com", prod, "2048"},
	} {
		got := ValidateTargetURL(c.url, c.p)
		if (c.wantErr == "") != (got == "") || !strings.Contains(got, c.wantErr) {
			t.Errorf("%q: %q, want containing %q", c.url, got, c.wantErr)
		}
	}
}

func TestValidateWebhookName(t *testing.T) {
	for name, ok := range map[string]bool{
		"Orders": true, "a": true, "7": true, "Café hooks": true, "": false, "---": false,
		"*** !": false, strings.Repeat("x", 101): false, "tab\there": false,
	} {
		if got := ValidateWebhookName(name) == ""; got != ok {
			t.Errorf("%q: valid=%v, want %v", name, got, ok)
		}
	}
}

func TestValidateEventTypeName(t *testing.T) {
	for name, ok := range map[string]bool{
		"invoice.paid": true, "user_created": true, "a-b.c_d": true, "v2": true,
		"Invoice.paid": false, "invoice..paid": false, ".paid": false, "paid.": false, "a b": false, "*": false, "": false,
	} {
		if got := ValidateEventTypeName(name) == ""; got != ok {
			t.Errorf("%q: valid=%v, want %v", name, got, ok)
		}
	}
}

func TestNormalizeDropsOtherCredentials(t *testing.T) {
	in := WebhookInput{Name: " x ", AuthType: AuthAPIKey, AuthUsername: "u", AuthPassword: "p", AuthHeader: "X-Key", AuthValue: "v", Events: []string{"b", " a", "b", ""}}
	in.Normalize()
	if in.Name != "x" || in.AuthUsername != "" || in.AuthPassword != "" || in.AuthHeader != "X-Key" || len(in.Events) != 2 || in.Events[0] != "a" {
		t.Errorf("normalized = %+v", in)
	}
}
