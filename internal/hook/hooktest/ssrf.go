// Package hooktest holds test data shared by the packages that enforce
// hook's rules, so the form, the API and the sender are held to one table.
package hooktest

// AddrCase is one address and how Hookboard must judge it: Reason is what
// hook.NonPublicReason says (and the form and the dial-time guard report),
// "" for an address Hookboard delivers to.
type AddrCase struct {
	Addr   string
	Reason string
	Note   string
}

// Refused reports whether Hookboard must refuse the address.
func (c AddrCase) Refused() bool { return c.Reason != "" }

// SSRFCases walks the IANA IPv4 and IPv6 Special-Purpose Address
// Registries (every entry, refused when "Globally Reachable" is False,
// allowed when True), the edges of the common blocks, multicast and
// broadcast, and every IPv6 form that embeds an IPv4 address, each with a
// non-public embedded address (refused) and a public one (allowed, except
// the local-use NAT64 prefix, which the registry marks not globally
// reachable).
var SSRFCases = []AddrCase{
	// IPv4 Special-Purpose Address Registry.
	{"0.0.0.0", "unspecified", "this host on this network"},
	{"0.1.2.3", "reserved", "this network 0.0.0.0/8"},
	{"10.0.0.1", "private", "RFC 1918"},
	{"10.255.255.255", "private", "RFC 1918, last"},
	{"100.64.0.1", "carrier-grade NAT", "shared address space"},
	{"100.127.255.254", "carrier-grade NAT", "shared address space, last"},
	{"127.0.0.1", "loopback", ""},
	{"127.255.255.254", "loopback", "all of 127/8"},
	{"169.254.169.254", "link-local", "cloud metadata"},
	{"172.16.0.1", "private", "RFC 1918"},
	{"172.31.255.255", "private", "RFC 1918, last"},
	{"192.0.0.1", "reserved", "IPv4 service continuity prefix"},
	{"192.0.0.8", "reserved", "IPv4 dummy address"},
	{"192.0.0.9", "", "Port Control Protocol anycast: globally reachable"},
	{"192.0.0.10", "", "TURN anycast: globally reachable"},
	{"192.0.0.170", "reserved", "NAT64/DNS64 discovery"},
	{"192.0.0.171", "reserved", "NAT64/DNS64 discovery"},
	{"192.0.0.200", "reserved", "rest of IETF protocol assignments"},
	{"192.0.2.1", "documentation", "TEST-NET-1"},
	{"192.31.196.1", "", "AS112-v4: globally reachable"},
	{"192.52.193.1", "", "AMT: globally reachable"},
	{"192.88.99.1", "reserved", "deprecated 6to4 relay anycast"},
	{"192.168.1.1", "private", "RFC 1918"},
	{"192.175.48.1", "", "direct delegation AS112: globally reachable"},
	{"198.18.0.1", "benchmarking", ""},
	{"198.19.255.255", "benchmarking", "last"},
	{"198.51.100.1", "documentation", "TEST-NET-2"},
	{"203.0.113.1", "documentation", "TEST-NET-3"},
	{"240.0.0.1", "reserved", "future use"},
	{"255.255.255.255", "broadcast", "limited broadcast"},
	{"224.0.0.1", "multicast", "not unicast"},
	{"239.255.255.250", "multicast", "not unicast"},
	// Public IPv4, including the neighbours of refused blocks.
	{"8.8.8.8", "", ""},
	{"1.1.1.1", "", ""},
	{"100.128.0.1", "", "just past 100.64.0.0/10"},
	{"172.32.0.1", "", "just past 172.16.0.0/12"},
	{"198.20.0.1", "", "just past 198.18.0.0/15"},
	{"223.255.255.254", "", "last before multicast"},

	// IPv6 Special-Purpose Address Registry.
	{"::", "unspecified", ""},
	{"::1", "loopback", ""},
	{"100::1", "reserved", "discard-only"},
	{"100:0:0:1::1", "reserved", "dummy IPv6 prefix"},
	{"2001:1::1", "", "Port Control Protocol anycast: globally reachable"},
	{"2001:1::2", "", "TURN anycast: globally reachable"},
	{"2001:1::3", "", "DNS-SD SRP anycast: globally reachable"},
	{"2001:1::4", "reserved", "rest of IETF protocol assignments 2001::/23"},
	{"2001:2::1", "benchmarking", ""},
	{"2001:3::1", "", "AMT: globally reachable"},
	{"2001:4:112::1", "", "AS112-v6: globally reachable"},
	{"2001:10::1", "reserved", "deprecated ORCHID"},
	{"2001:20::1", "", "ORCHIDv2: globally reachable"},
	{"2001:30::1", "", "drone remote ID tags: globally reachable"},
	{"2001:1ff::1", "reserved", "end of 2001::/23"},
	{"2001:db8::1", "documentation", ""},
	{"3fff::1", "documentation", "3fff::/20"},
	{"5f00::1", "reserved", "segment routing SIDs"},
	{"2620:4f:8000::1", "", "direct delegation AS112: globally reachable"},
	{"fc00::1", "private", "unique local"},
	{"fd12:3456::1", "private", "unique local"},
	{"fe80::1", "link-local", ""},
	{"febf::1", "link-local", "end of fe80::/10"},
	{"fec0::1", "reserved", "deprecated site-local"},
	{"ff02::1", "multicast", "not unicast"},
	{"ff0e::1", "multicast", "global scope, still not unicast"},
	{"4000::1", "reserved", "outside 2000::/3 global unicast"},
	{"1::1", "reserved", "outside 2000::/3 global unicast"},
	// Public IPv6.
	{"2606:4700:4700::1111", "", ""},
	{"2001:4860:4860::8888", "", ""},
	{"2001:200::1", "", "just past 2001::/23"},

	// IPv6 forms that embed an IPv4 address, judged by that address.
	// IPv4-mapped ::ffff:0:0/96.
	{"::ffff:127.0.0.1", "loopback", "mapped"},
	{"::ffff:10.0.0.1", "private", "mapped"},
	{"::ffff:169.254.169.254", "link-local", "mapped"},
	{"::ffff:8.8.8.8", "", "mapped, public"},
	{"::ffff:192.0.0.9", "", "mapped, globally reachable anycast"},
	// IPv4-compatible ::/96 (deprecated).
	{"::127.0.0.1", "loopback", "compatible (issue 13)"},
	{"::7f00:1", "loopback", "compatible, hex"},
	{"::10.0.0.1", "private", "compatible"},
	{"::0.0.0.2", "reserved", "compatible, this network"},
	{"::8.8.8.8", "", "compatible, public"},
	// IPv4-translated ::ffff:0:0:0/96.
	{"::ffff:0:127.0.0.1", "loopback", "translated (issue 13)"},
	{"::ffff:0:192.168.0.1", "private", "translated"},
	{"::ffff:0:8.8.8.8", "", "translated, public"},
	// NAT64 well-known prefix 64:ff9b::/96.
	{"64:ff9b::127.0.0.1", "loopback", "NAT64"},
	{"64:ff9b::a00:1", "private", "NAT64"},
	{"64:ff9b::169.254.169.254", "link-local", "NAT64"},
	{"64:ff9b::8.8.8.8", "", "NAT64, public"},
	// NAT64 local-use 64:ff9b:1::/48: refused whatever it embeds.
	{"64:ff9b:1::127.0.0.1", "loopback", "local-use NAT64"},
	{"64:ff9b:1::10.0.0.1", "private", "local-use NAT64"},
	{"64:ff9b:1::8.8.8.8", "local-use NAT64", "local-use NAT64: not globally reachable"},
	{"64:ff9b:1:ffff::8.8.8.8", "local-use NAT64", "local-use NAT64, other layout"},
	// 6to4 2002::/16, IPv4 in bits 16–47.
	{"2002:7f00:1::1", "loopback", "6to4"},
	{"2002:a00:1::1", "private", "6to4"},
	{"2002:c0a8:101::1", "private", "6to4 of 192.168.1.1"},
	{"2002:e000:1::1", "multicast", "6to4 of 224.0.0.1"},
	{"2002:808:808::1", "", "6to4, public"},
	// Teredo 2001::/32: server in bits 32–63, client inverted in 96–127.
	{"2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback", "Teredo, client 127.0.0.1"},
	{"2001:0:4136:e378:8000:63bf:f5ff:fffe", "private", "Teredo, client 10.0.0.1"},
	{"2001:0:7f00:1:8000:63bf:f7f7:f7f7", "loopback", "Teredo, server 127.0.0.1"},
	{"2001:0:a9fe:a9fe:8000:63bf:f7f7:f7f7", "link-local", "Teredo, server 169.254.169.254"},
	{"2001:0:4136:e378:8000:63bf:f7f7:f7f7", "", "Teredo, client 8.8.8.8 via server 65.54.227.120"},
}
