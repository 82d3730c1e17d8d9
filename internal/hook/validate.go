package hook

import (
	"encoding/json"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what users may enter.
const (
	MaxNameLen        = 100
	MaxURLLen         = 2048
	MaxDescriptionLen = 1000
	MaxCredentialLen  = 1024
	MaxExampleLen     = 64 << 10
)

// TargetPolicy says which endpoint URLs are allowed. Both switches are for
// development and tests only.
type TargetPolicy struct {
	AllowHTTP    bool // plain http:// URLs
	AllowPrivate bool // loopback, private and other non-public addresses
}

// WebhookInput is what a user submits to create or update a webhook.
type WebhookInput struct {
	Name         string
	URL          string
	Description  string
	Events       []string
	Active       bool
	AuthType     string
	AuthUsername string
	AuthPassword string // Basic password; empty on update keeps the stored one
	AuthHeader   string
	AuthValue    string // API-key value; empty on update keeps the stored one
	// Endpoint policies: requests per second (0: none), custom headers (a
	// blank value on update keeps the stored value of that name), and
	// none or fifo (blank: none).
	RateLimit int
	Headers   []Header
	Ordering  string
	// Secret, on update only, replaces the signing secret with a custom one
	// (whsec_ + base64 of 24–64 bytes); the old one stays valid 24 hours.
	Secret string
}

// Normalize trims surrounding space and drops duplicate and empty events.
func (in *WebhookInput) Normalize() {
	in.Name = strings.TrimSpace(in.Name)
	in.URL = strings.TrimSpace(in.URL)
	in.Description = strings.TrimSpace(in.Description)
	in.AuthType = strings.TrimSpace(in.AuthType)
	if in.AuthType == "" {
		in.AuthType = AuthNone
	}
	in.AuthUsername = strings.TrimSpace(in.AuthUsername)
	in.AuthHeader = strings.TrimSpace(in.AuthHeader)
	in.Secret = strings.TrimSpace(in.Secret)
	in.normalizePolicies()
	events := make([]string, 0, len(in.Events))
	for _, e := range in.Events {
		e = strings.TrimSpace(e)
		if e != "" && !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	slices.Sort(events)
	in.Events = events
	// Credentials of another auth type are not kept.
	if in.AuthType != AuthBasic {
		in.AuthUsername, in.AuthPassword = "", ""
	}
	if in.AuthType != AuthAPIKey {
		in.AuthHeader, in.AuthValue = "", ""
	}
}

// ValidateWebhook checks in (already normalized). existing is the webhook
// being updated, or nil on create: it lets a blank credential keep the stored
// one. knownType reports whether an event type is in the app's catalog;
// types the webhook already has stay allowed even when archived.
func ValidateWebhook(in WebhookInput, p TargetPolicy, existing *Webhook, knownType func(string) bool) FieldErrors {
	var fe FieldErrors
	if msg := ValidateWebhookName(in.Name); msg != "" {
		fe.Add("name", msg)
	}
	if msg := ValidateTargetURL(in.URL, p); msg != "" {
		fe.Add("url", msg)
	}
	if utf8.RuneCountInString(in.Description) > MaxDescriptionLen {
		fe.Add("description", "Description must be at most 1000 characters.")
	}
	validateEvents(&fe, in.Events, existing, knownType)
	validatePolicies(&fe, in, existing)
	keepSecret := existing != nil && existing.AuthType == in.AuthType && existing.HasAuthSecret
	switch in.AuthType {
	case AuthNone:
	case AuthBasic:
		validateBasicAuth(&fe, in.AuthUsername, in.AuthPassword, keepSecret)
	case AuthAPIKey:
		validateAPIKeyAuth(&fe, in.AuthHeader, in.AuthValue, keepSecret)
	default:
		fe.Add("auth_type", "Choose None, Basic or API key.")
	}
	return fe
}

// validateEvents checks the subscribed event types: at least one, each a
// valid name in the app's catalog (knownType) or already on the webhook.
func validateEvents(fe *FieldErrors, events []string, existing *Webhook, knownType func(string) bool) {
	if len(events) == 0 {
		fe.Add("events", "Choose at least one event type, or all events (*).")
	}
	// "All events" and single types mean different things (every type, also
	// those added later, or just these), so the two together are refused
	// rather than one silently dropped: the webhook would receive more, or
	// less, than whoever sent the form or the API call believes.
	if len(events) > 1 && slices.Contains(events, AllEvents) {
		fe.Add("events", "Choose either all events (*) or single event types, not both.")
	}
	for _, e := range events {
		if e == AllEvents {
			continue
		}
		if ValidateEventTypeName(e) != "" {
			fe.Add("events", "“"+truncate(e, 50)+"” is not a valid event type name.")
			continue
		}
		had := existing != nil && slices.Contains(existing.Events, e)
		if !had && knownType != nil && !knownType(e) {
			fe.Add("events", "“"+e+"” is not in this app's event type catalog.")
		}
	}
}

// validateBasicAuth checks a Basic username and password; keepSecret lets a
// blank password keep the stored one.
func validateBasicAuth(fe *FieldErrors, username, password string, keepSecret bool) {
	switch {
	case username == "":
		fe.Add("auth_username", "Enter the username for Basic authentication.")
	case strings.ContainsAny(username, ":\r\n") || len(username) > 256:
		fe.Add("auth_username", "The username may not contain a colon or a line break, and must be at most 256 characters.")
	}
	switch {
	case password == "" && !keepSecret:
		fe.Add("auth_password", "Enter the password for Basic authentication.")
	case len(password) > MaxCredentialLen || strings.ContainsAny(password, "\r\n"):
		fe.Add("auth_password", "The password must be one line of at most 1024 characters.")
	}
}

// validateAPIKeyAuth checks an API-key header and value; keepSecret lets a
// blank value keep the stored one.
func validateAPIKeyAuth(fe *FieldErrors, header, value string, keepSecret bool) {
	if msg := validateAuthHeader(header); msg != "" {
		fe.Add("auth_header", msg)
	}
	switch {
	case value == "" && !keepSecret:
		fe.Add("auth_value", "Enter the API key value to send.")
	case len(value) > MaxCredentialLen || strings.ContainsAny(value, "\r\n\x00"):
		fe.Add("auth_value", "The API key value must be one line of at most 1024 characters.")
	}
}

// ValidateWebhookName returns a message when name is not acceptable.
func ValidateWebhookName(name string) string {
	switch {
	case name == "":
		return "Enter a name."
	case utf8.RuneCountInString(name) > MaxNameLen:
		return "Name must be at most 100 characters."
	case !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl):
		return "Name may not contain control characters."
	case !strings.ContainsFunc(name, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }):
		return "Name must contain at least one letter or digit."
	}
	return ""
}

// reservedHeaders are set by Hookboard itself and may not be used for the
// outbound API key.
var reservedHeaders = []string{
	"content-type", "content-length", "host", "user-agent", "connection",
	"transfer-encoding", "webhook-id", "webhook-timestamp", "webhook-signature",
	"authorization-basic", "te", "trailer", "upgrade", "expect", "cookie",
}

var headerToken = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

func validateAuthHeader(h string) string {
	switch {
	case h == "":
		return "Enter the header name, for example X-API-Key."
	case len(h) > 100 || !headerToken.MatchString(h):
		return "Header name may contain only letters, digits and - (for example X-API-Key)."
	case slices.Contains(reservedHeaders, strings.ToLower(h)):
		return "Hookboard sets " + h + " itself; choose another header."
	}
	return ""
}

// ValidateTargetURL returns a message when raw is not a URL Hookboard may
// deliver to under p. Host names are checked again at dial time on the
// address they resolve to; here only literal addresses can be judged.
func ValidateTargetURL(raw string, p TargetPolicy) string {
	if msg := checkURLText(raw); msg != "" {
		return msg
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return msgFullURL
	}
	if msg := checkURLScheme(u.Scheme, p); msg != "" {
		return msg
	}
	if msg := checkURLParts(u, raw); msg != "" {
		return msg
	}
	host, msg := parseTargetHost(u)
	if msg != "" || p.AllowPrivate {
		return msg
	}
	return host.nonPublic()
}

const msgFullURL = "Enter a full URL, for example https://example.com/webhooks."

// checkURLText judges the raw text before it is parsed: present, not too
// long, no spaces or control characters.
func checkURLText(raw string) string {
	switch {
	case raw == "":
		return "Enter the payload URL."
	case len(raw) > MaxURLLen:
		return "URL must be at most 2048 characters."
	case strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return "URL may not contain spaces or control characters; encode a space as %20."
	}
	return ""
}

// checkURLScheme allows https, and http when p allows it.
func checkURLScheme(scheme string, p TargetPolicy) string {
	switch scheme {
	case "https":
	case "http":
		if !p.AllowHTTP {
			return "URL must start with https://."
		}
	default:
		if p.AllowHTTP {
			return "URL must start with https:// (or http://, allowed on this server for development)."
		}
		return "URL must start with https://."
	}
	return ""
}

// checkURLParts refuses credentials and a fragment, and wants a host and a
// valid port if one is given.
func checkURLParts(u *url.URL, raw string) string {
	if u.User != nil {
		return "Put credentials in the authentication settings, not in the URL."
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "URL may not contain a fragment (#…)."
	}
	if u.Hostname() == "" {
		return msgFullURL
	}
	if port := u.Port(); port != "" {
		if n, ok := parsePort(port); !ok || n == 0 {
			return "URL has an invalid port."
		}
	}
	return ""
}

// targetHost is a URL's host as far as it can be judged before dialing.
type targetHost struct {
	name    string     // lowercased, without the root dot, when not a bracketed literal
	addr    netip.Addr // valid when isAddr
	isAddr  bool       // the host reads as an IP address
	literal bool       // written in brackets: [::1]
}

// parseTargetHost reads u's host as an address, or else as a name whose
// shape it checks. One trailing dot (the DNS root) is allowed and dropped;
// any other empty label or character a DNS name cannot have is not.
func parseTargetHost(u *url.URL) (targetHost, string) {
	h := targetHost{name: u.Hostname(), literal: strings.HasPrefix(u.Host, "[")}
	addr, err := netip.ParseAddr(h.name)
	if !h.literal && err != nil {
		h.name = strings.ToLower(strings.TrimSuffix(h.name, "."))
		if msg := validateHostName(h.name); msg != "" {
			return h, msg
		}
		addr, err = netip.ParseAddr(h.name) // "127.0.0.1." is 127.0.0.1
	}
	h.addr, h.isAddr = addr, err == nil
	return h, ""
}

// nonPublic returns a message when the host is known not to be public:
// an address in a refused range, a zone, a name of this machine, or a
// numeric name some resolvers read as IPv4.
func (h targetHost) nonPublic() string {
	switch {
	case h.isAddr && h.addr.Zone() != "":
		return "URL may not name a network interface (%…) in its address."
	case h.isAddr:
		if reason := NonPublicReason(h.addr); reason != "" {
			return "URL points to " + withArticle(reason) + " address; Hookboard only delivers to public addresses" + devSwitch
		}
	case h.literal:
		return "URL has an address Hookboard cannot use."
	case h.name == "localhost" || strings.HasSuffix(h.name, ".localhost") || slices.Contains(loopbackNames, h.name):
		return "URL points to this machine (localhost); use a public address" + devSwitch
	case looksNumeric(h.name):
		// Forms like 2130706433, 0177.1 or 0x7f.1 that some resolvers read
		// as IPv4.
		return "URL has a numeric host that is not a valid address."
	}
	return ""
}

// devSwitch ends the refusals of non-public targets: in development the
// receiver is often on this machine, and the setting is how to allow it.
const devSwitch = " (to deliver to your own machine in development, start Hookboard with HOOKBOARD_ALLOW_PRIVATE_TARGETS=true)."

// loopbackNames are the other names /etc/hosts commonly gives this machine.
var loopbackNames = []string{"localhost.localdomain", "ip6-localhost", "ip6-loopback"}

// validateHostName checks a (lowercased) host name's shape: labels of 1–63
// letters, digits, '-' or '_' (or non-ASCII letters of an international
// name), separated by single dots.
func validateHostName(h string) string {
	if h == "" || len(h) > 253 {
		return "URL has an invalid host name."
	}
	for label := range strings.SplitSeq(h, ".") {
		if label == "" || len(label) > 63 {
			return "URL has an invalid host name (an empty or too long part between dots)."
		}
		for _, r := range label {
			if !(r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)) {
				if !unicode.IsPrint(r) || unicode.IsSpace(r) {
					return "URL has an invalid host name: it contains a character a host name cannot have."
				}
				return "URL has an invalid host name: “" + string(r) + "” is not allowed there."
			}
		}
	}
	return ""
}

func parsePort(s string) (int, bool) {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
		if n > 65535 {
			return 0, false
		}
	}
	return n, true
}

func looksNumeric(h string) bool {
	last := h
	if i := strings.LastIndexByte(h, '.'); i >= 0 {
		last = h[i+1:]
	}
	if last == "" {
		return false
	}
	if strings.HasPrefix(last, "0x") {
		return true
	}
	return strings.IndexFunc(last, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

// A range of addresses Hookboard does not deliver to, and why.
type addrRange struct {
	prefix netip.Prefix
	reason string
}

func ranges(rs ...string) []addrRange {
	out := make([]addrRange, 0, len(rs)/2)
	for i := 0; i < len(rs); i += 2 {
		out = append(out, addrRange{netip.MustParsePrefix(rs[i]), rs[i+1]})
	}
	return out
}

// The IANA IPv4 and IPv6 Special-Purpose Address Registries: every block
// whose "Globally Reachable" is False (or that is deprecated), plus
// multicast and broadcast, which are not unicast. The globally reachable
// entries inside a refused block are listed in the allowed* tables and win.
// IPv6 forms that embed an IPv4 address are not here: embeddedIPv4 judges
// them by that address.
var (
	nonPublic4 = ranges(
		"0.0.0.0/32", "unspecified",
		"0.0.0.0/8", "reserved", // "this network"
		"10.0.0.0/8", "private",
		"100.64.0.0/10", "carrier-grade NAT",
		"127.0.0.0/8", "loopback",
		"169.254.0.0/16", "link-local",
		"172.16.0.0/12", "private",
		"192.0.0.0/24", "reserved", // IETF protocol assignments
		"192.0.2.0/24", "documentation",
		"192.88.99.0/24", "reserved", // deprecated 6to4 relay anycast
		"192.168.0.0/16", "private",
		"198.18.0.0/15", "benchmarking",
		"198.51.100.0/24", "documentation",
		"203.0.113.0/24", "documentation",
		"224.0.0.0/4", "multicast",
		"255.255.255.255/32", "broadcast",
		"240.0.0.0/4", "reserved",
	)
	allowed4 = ranges(
		"192.0.0.9/32", "", // Port Control Protocol anycast
		"192.0.0.10/32", "", // TURN anycast
	)
	nonPublic6 = ranges(
		"100::/64", "reserved", // discard-only
		"100:0:0:1::/64", "reserved", // dummy prefix
		"2001:2::/48", "benchmarking",
		"2001:db8::/32", "documentation",
		"2001::/23", "reserved", // IETF protocol assignments (Teredo is embedded)
		"3fff::/20", "documentation",
		"5f00::/16", "reserved", // segment routing SIDs
		"fc00::/7", "private",
		"fe80::/10", "link-local",
		"fec0::/10", "reserved", // deprecated site-local
		"ff00::/8", "multicast",
	)
	allowed6 = ranges(
		"2001:1::1/128", "", // Port Control Protocol anycast
		"2001:1::2/128", "", // TURN anycast
		"2001:1::3/128", "", // DNS-SD service registration protocol anycast
		"2001:3::/32", "", // AMT
		"2001:4:112::/48", "", // AS112-v6
		"2001:20::/28", "", // ORCHIDv2
		"2001:30::/28", "", // drone remote ID tags
	)
	// Only 2000::/3 is allocated for global unicast; the rest of the IPv6
	// space (outside the embedding forms) is reserved by the IETF.
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
)

// The IPv6 forms that carry an IPv4 address.
var (
	mappedPrefix     = netip.MustParsePrefix("::ffff:0:0/96")   // IPv4-mapped
	compatPrefix     = netip.MustParsePrefix("::/96")           // IPv4-compatible (deprecated)
	translatedPrefix = netip.MustParsePrefix("::ffff:0:0:0/96") // SIIT translated
	nat64Prefix      = netip.MustParsePrefix("64:ff9b::/96")
	nat64LocalPrefix = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFourPrefix  = netip.MustParsePrefix("2002::/16")
	teredoPrefix     = netip.MustParsePrefix("2001::/32")
)

// NonPublicReason says why addr is not a globally reachable unicast address
// ("loopback", "private", …), or returns "" for one Hookboard may deliver
// to. It is the only address rule: the form, the API and the sender's
// dial-time guard all use it. IPv6 forms that embed an IPv4 address
// (mapped, compatible, translated, NAT64, 6to4, Teredo) are judged by the
// embedded address.
func NonPublicReason(addr netip.Addr) string {
	addr = addr.WithZone("")
	switch {
	case !addr.IsValid():
		return "invalid"
	case addr.Is4():
		return lookup(addr, allowed4, nonPublic4)
	case addr == netip.IPv6Unspecified():
		return "unspecified"
	case addr == netip.IPv6Loopback():
		return "loopback"
	}
	b := addr.As16()
	v4 := func(i int) netip.Addr { return netip.AddrFrom4([4]byte(b[i : i+4])) }
	switch {
	case mappedPrefix.Contains(addr), compatPrefix.Contains(addr), translatedPrefix.Contains(addr), nat64Prefix.Contains(addr):
		return NonPublicReason(v4(12))
	case nat64LocalPrefix.Contains(addr):
		// Local-use translation (RFC 8215): the registry marks it not
		// globally reachable, and where the IPv4 address sits depends on the
		// local prefix length, so it is refused whatever it carries; the
		// reason names the embedded address when that one is non-public.
		if r := NonPublicReason(v4(12)); r != "" {
			return r
		}
		return "local-use NAT64"
	case sixToFourPrefix.Contains(addr):
		return NonPublicReason(v4(2))
	case teredoPrefix.Contains(addr):
		// Both ends must be public: the client's address, stored inverted
		// in the last 32 bits, and the server's in bits 32–63.
		client := netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]})
		if r := NonPublicReason(client); r != "" {
			return r
		}
		return NonPublicReason(v4(4))
	}
	if r := lookup(addr, allowed6, nonPublic6); r != "" || globalUnicast6.Contains(addr) {
		return r
	}
	return "reserved"
}

// lookup returns the reason of the first range of deny containing addr,
// unless a range of allow contains it.
func lookup(addr netip.Addr, allow, deny []addrRange) string {
	for _, r := range allow {
		if r.prefix.Contains(addr) {
			return ""
		}
	}
	for _, r := range deny {
		if r.prefix.Contains(addr) {
			return r.reason
		}
	}
	return ""
}

var eventTypeName = regexp.MustCompile(`^[a-z0-9]+([._-][a-z0-9]+)*$`)

// ValidateEventTypeName returns a message when name is not a valid event type.
func ValidateEventTypeName(name string) string {
	switch {
	case name == "":
		return "Enter a name, for example invoice.paid."
	case len(name) > MaxNameLen:
		return "Name must be at most 100 characters."
	case !eventTypeName.MatchString(name):
		return "Use lowercase letters and digits, separated by single dots, dashes or underscores (for example invoice.paid)."
	}
	return ""
}

// EventTypeInput is what a user submits to add an event type.
type EventTypeInput struct {
	Name        string
	Description string
	Example     string
}

// Normalize trims surrounding space.
func (in *EventTypeInput) Normalize() {
	in.Name = strings.TrimSpace(in.Name)
	in.Description = strings.TrimSpace(in.Description)
	in.Example = strings.TrimSpace(in.Example)
}

// Validate checks an event type input (already normalized).
func (in EventTypeInput) Validate() FieldErrors {
	var fe FieldErrors
	if msg := ValidateEventTypeName(in.Name); msg != "" {
		fe.Add("name", msg)
	} else if in.Name == PingEventType {
		fe.Add("name", PingEventType+" is Hookboard's own test event; choose another name.")
	}
	if utf8.RuneCountInString(in.Description) > MaxDescriptionLen {
		fe.Add("description", "Description must be at most 1000 characters.")
	}
	if in.Example != "" {
		var v any
		switch {
		case len(in.Example) > MaxExampleLen:
			fe.Add("example", "The example payload must be at most 64 KiB.")
		case json.Unmarshal([]byte(in.Example), &v) != nil:
			fe.Add("example", "The example payload must be valid JSON.")
		default:
			if _, ok := v.(map[string]any); !ok {
				fe.Add("example", "The example payload must be a JSON object ({…}).")
			}
		}
	}
	return fe
}

// ValidateEmail returns a message when email does not look like an address.
func ValidateEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	switch {
	case email == "":
		return "Enter an e-mail address."
	case len(email) > 254 || at < 1 || at == len(email)-1 || strings.ContainsAny(email, " \t\r\n<>\"'"):
		return "Enter a valid e-mail address."
	}
	return ""
}

// MinPasswordLen is the shortest password a user may set.
const MinPasswordLen = 10

// ValidatePassword returns a message when password is too weak or too long.
func ValidatePassword(password string) string {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLen:
		return "Password must be at least 10 characters."
	case len(password) > 72:
		return "Password must be at most 72 bytes."
	}
	return ""
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// withArticle puts "a" or "an" before a word.
func withArticle(w string) string {
	if w != "" && strings.ContainsRune("aeiou", rune(w[0])) {
		return "an " + w
	}
	return "a " + w
}
