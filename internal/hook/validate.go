package hook

import (
	"encoding/json"
	"net"
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
	if len(in.Events) == 0 {
		fe.Add("events", "Choose at least one event type, or all events (*).")
	}
	for _, e := range in.Events {
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
	keepSecret := existing != nil && existing.AuthType == in.AuthType && existing.HasAuthSecret
	switch in.AuthType {
	case AuthNone:
	case AuthBasic:
		switch {
		case in.AuthUsername == "":
			fe.Add("auth_username", "Enter the username for Basic authentication.")
		case strings.ContainsAny(in.AuthUsername, ":\r\n") || len(in.AuthUsername) > 256:
			fe.Add("auth_username", "The username may not contain a colon or a line break, and must be at most 256 characters.")
		}
		switch {
		case in.AuthPassword == "" && !keepSecret:
			fe.Add("auth_password", "Enter the password for Basic authentication.")
		case len(in.AuthPassword) > MaxCredentialLen || strings.ContainsAny(in.AuthPassword, "\r\n"):
			fe.Add("auth_password", "The password must be one line of at most 1024 characters.")
		}
	case AuthAPIKey:
		if msg := validateAuthHeader(in.AuthHeader); msg != "" {
			fe.Add("auth_header", msg)
		}
		switch {
		case in.AuthValue == "" && !keepSecret:
			fe.Add("auth_value", "Enter the API key value to send.")
		case len(in.AuthValue) > MaxCredentialLen || strings.ContainsAny(in.AuthValue, "\r\n\x00"):
			fe.Add("auth_value", "The API key value must be one line of at most 1024 characters.")
		}
	default:
		fe.Add("auth_type", "Choose None, Basic or API key.")
	}
	return fe
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
	if raw == "" {
		return "Enter the payload URL."
	}
	if len(raw) > MaxURLLen {
		return "URL must be at most 2048 characters."
	}
	if strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return "URL may not contain spaces or control characters; encode a space as %20."
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "Enter a full URL, for example https://example.com/webhooks."
	}
	switch u.Scheme {
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
	if u.User != nil {
		return "Put credentials in the authentication settings, not in the URL."
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "URL may not contain a fragment (#…)."
	}
	host := u.Hostname()
	if host == "" {
		return "Enter a full URL, for example https://example.com/webhooks."
	}
	if port := u.Port(); port != "" {
		if n, ok := parsePort(port); !ok || n == 0 {
			return "URL has an invalid port."
		}
	}
	if p.AllowPrivate {
		return ""
	}
	lh := strings.ToLower(strings.TrimSuffix(host, "."))
	if lh == "localhost" || strings.HasSuffix(lh, ".localhost") {
		return "URL points to this machine (localhost); use a public address."
	}
	if addr, err := netip.ParseAddr(host); err == nil {
		if reason := NonPublicReason(addr); reason != "" {
			return "URL points to " + withArticle(reason) + " address; Hookboard only delivers to public addresses."
		}
	} else if ip := net.ParseIP(host); ip != nil {
		return "URL has an address Hookboard cannot use."
	} else if looksNumeric(lh) {
		// Forms like 2130706433 or 0x7f.1 that some resolvers read as IPv4.
		return "URL has a numeric host that is not a valid address."
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

var nonPublic = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "reserved"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "carrier-grade NAT"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("100::/64"), "reserved"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("fc00::/7"), "private"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("fec0::/10"), "reserved"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

var (
	nat64Prefix      = netip.MustParsePrefix("64:ff9b::/96")
	nat64LocalPrefix = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFourPrefix  = netip.MustParsePrefix("2002::/16")
	teredoPrefix     = netip.MustParsePrefix("2001::/32")
)

// NonPublicReason says why addr is not a public unicast address ("loopback",
// "private", …), or returns "" for a public one. IPv4 addresses embedded in
// IPv6 (mapped, NAT64, 6to4, Teredo) are judged by the IPv4 address.
func NonPublicReason(addr netip.Addr) string {
	addr = addr.WithZone("")
	if addr.Is4In6() {
		addr = addr.Unmap()
	}
	if addr.Is6() {
		b := addr.As16()
		switch {
		case nat64Prefix.Contains(addr) || nat64LocalPrefix.Contains(addr):
			return NonPublicReason(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
		case sixToFourPrefix.Contains(addr):
			return NonPublicReason(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}))
		case teredoPrefix.Contains(addr):
			// The client's address is stored inverted in the last 32 bits.
			return NonPublicReason(netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}))
		}
	}
	if addr == netip.IPv4Unspecified() {
		return "unspecified"
	}
	if addr == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return "broadcast"
	}
	for _, n := range nonPublic {
		if n.prefix.Contains(addr) {
			return n.reason
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
