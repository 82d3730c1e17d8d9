package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the address sign-in throttling, sessions and the audit log
// see: the connection's peer, unless that peer is a trusted proxy
// (HOOKBOARD_TRUSTED_PROXIES); then the right-most X-Forwarded-For entry
// that is not itself a trusted proxy. Entries left of it were written by
// the client and prove nothing.
func (s *Server) clientIP(r *http.Request) string {
	peer, ok := parseHostAddr(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if !s.trustedProxy(peer) {
		return peer.String()
	}
	client := peer
	hops := forwardedFor(r.Header)
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHostAddr(hops[i])
		if !ok {
			// A trusted proxy passed on garbage: the last good hop is
			// the best we know.
			break
		}
		client = a
		if !s.trustedProxy(a) {
			break
		}
	}
	return client.String()
}

// forwardedHTTPS reports whether a trusted proxy says the client used HTTPS.
func (s *Server) forwardedHTTPS(r *http.Request) bool {
	peer, ok := parseHostAddr(r.RemoteAddr)
	if !ok || !s.trustedProxy(peer) {
		return false
	}
	proto := r.Header.Get("X-Forwarded-Proto")
	if i := strings.IndexByte(proto, ','); i >= 0 {
		proto = proto[:i] // the first proxy's view is the client's scheme
	}
	return strings.EqualFold(strings.TrimSpace(proto), "https")
}

func (s *Server) trustedProxy(a netip.Addr) bool {
	for _, p := range s.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedFor lists every X-Forwarded-For entry, across repeated headers,
// in order.
func forwardedFor(h http.Header) []string {
	var out []string
	for _, v := range h.Values("X-Forwarded-For") {
		for _, e := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(e))
		}
	}
	return out
}

// parseHostAddr reads "ip", "ip:port" or "[ipv6]:port"; IPv4-mapped IPv6
// becomes plain IPv4 so one client has one spelling.
func parseHostAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}
