package web

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	s := &Server{trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("127.0.0.1/32")}}
	for _, tc := range []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"no proxy", "198.51.100.7:5000", nil, "198.51.100.7"},
		{"untrusted peer ignores XFF", "198.51.100.7:5000", []string{"203.0.113.1"}, "198.51.100.7"},
		{"untrusted peer ignores spoofed trusted XFF", "198.51.100.7:5000", []string{"10.0.0.1"}, "198.51.100.7"},
		{"trusted peer without XFF", "10.0.0.2:80", nil, "10.0.0.2"},
		{"trusted peer, one client", "10.0.0.2:80", []string{"203.0.113.1"}, "203.0.113.1"},
		{"spoofed left-most entries ignored", "10.0.0.2:80", []string{"1.2.3.4, 5.6.7.8, 203.0.113.1"}, "203.0.113.1"},
		{"chain of trusted proxies", "10.0.0.2:80", []string{"1.2.3.4, 203.0.113.1, 10.9.9.9, 10.0.0.3"}, "203.0.113.1"},
		{"repeated headers read in order", "10.0.0.2:80", []string{"1.2.3.4", "203.0.113.1, 10.0.0.3"}, "203.0.113.1"},
		{"all trusted: the left-most", "10.0.0.2:80", []string{"10.0.0.5, 10.0.0.3"}, "10.0.0.5"},
		{"garbage next to the proxy", "10.0.0.2:80", []string{"203.0.113.1, not-an-ip"}, "10.0.0.2"},
		{"garbage behind the client", "10.0.0.2:80", []string{"not-an-ip, 203.0.113.1"}, "203.0.113.1"},
		{"port in the entry", "10.0.0.2:80", []string{"203.0.113.1:4711"}, "203.0.113.1"},
		{"IPv6 client", "10.0.0.2:80", []string{"2001:db8::1"}, "2001:db8::1"},
		{"bracketed IPv6 with port", "10.0.0.2:80", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"IPv6 proxy", "[fd00::1]:80", []string{"198.51.100.9"}, "198.51.100.9"},
		{"mapped IPv4 peer", "[::ffff:127.0.0.1]:80", []string{"198.51.100.9"}, "198.51.100.9"},
		{"mapped IPv4 client", "10.0.0.2:80", []string{"::ffff:198.51.100.9"}, "198.51.100.9"},
		{"empty entries", "10.0.0.2:80", []string{" , "}, "10.0.0.2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := s.clientIP(r); got != tc.want {
				t.Errorf("clientIP = %q, want %q", got, tc.want)
			}
		})
	}
	// Nobody trusted: the header is never read.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.0.0.2:80"
	r.Header.Set("X-Forwarded-For", "203.0.113.1")
	if got := (&Server{}).clientIP(r); got != "10.0.0.2" {
		t.Errorf("no trusted proxies: %q", got)
	}
}
