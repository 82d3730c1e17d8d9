package hook

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Causes of an attempt that got no usable answer. They are what the event
// log shows in place of an HTTP status, and what the hints are chosen by.
const (
	CauseDNS        = "dns"        // the host name does not resolve
	CauseConnection = "connection" // refused, reset or otherwise not connected
	CauseTLS        = "tls"        // the TLS handshake or certificate failed
	CauseBlocked    = "blocked"    // the address guard refused a non-public address
	CauseTimeout    = "timeout"    // no answer within the delivery timeout
	CauseRedirect   = "redirect"   // a 3xx, not followed
)

// The attempt error texts the sender writes (internal/sender's
// describeError) begin with these prefixes; ErrorClass reads them back. They
// are a contract between the two: change them together. The lowercase
// "tls: " and "x509: " forms are Go's own texts, which attempts recorded
// before the TLS wording existed still carry.
var errorPrefixes = []struct{ prefix, class string }{
	{"blocked: ", CauseBlocked},
	{"timeout: ", CauseTimeout},
	{"DNS: ", CauseDNS},
	{"connection ", CauseConnection},
	{"TLS: ", CauseTLS},
	{"tls: ", CauseTLS},
	{"x509: ", CauseTLS},
	{"redirect not followed", CauseRedirect},
}

// TLS reasons, the word after "TLS: certificate " in the error text.
const (
	TLSExpired          = "expired"
	TLSNotYetValid      = "not yet valid"
	TLSUnknownAuthority = "signed by an unknown authority"
	TLSWrongHost        = "for another host"
)

// ErrorClass says which cause an attempt's error text records: one of the
// Cause constants, or "" when the text is none of them (or empty).
func ErrorClass(errText string) string {
	errText = strings.TrimPrefix(errText, "reading the response: ")
	for _, p := range errorPrefixes {
		if strings.HasPrefix(errText, p.prefix) {
			return p.class
		}
	}
	return ""
}

// AttemptClass is the cause of a failed attempt without an HTTP answer
// (dns, connection, tls, blocked, timeout), "redirect" for a 3xx, and ""
// otherwise: a success, or an answer whose status says it all.
func AttemptClass(a Attempt) string {
	if a.Succeeded {
		return ""
	}
	return responseClass(a.ResponseStatus, a.Error)
}

func responseClass(status int, errText string) string {
	switch {
	case status >= 300 && status < 400:
		return CauseRedirect
	case status != 0:
		return ""
	}
	return ErrorClass(errText)
}

// ResponseStatusLabel is what the event log shows as an attempt's response
// status: the HTTP status ("404"), or without one the cause ("timeout",
// "connection", "tls", "dns", "blocked"), or "error" for anything else
// that kept the request from being sent.
func ResponseStatusLabel(status int, errText string) string {
	if status != 0 {
		return strconv.Itoa(status)
	}
	if c := ErrorClass(errText); c != "" {
		return c
	}
	if errText != "" {
		return "error"
	}
	return ""
}

// Hint says in plain words why an attempt failed and what to do about it,
// by cause or by HTTP status; "" for a success.
func Hint(a Attempt) string {
	if a.Succeeded {
		return ""
	}
	return StatusHint(a.ResponseStatus, a.Error)
}

// StatusHint is Hint for an attempt's status and error text.
func StatusHint(status int, errText string) string {
	if status >= 300 && status < 400 {
		return fmt.Sprintf("The endpoint redirected (HTTP %d %s) and Hookboard does not follow redirects: use the final URL as the webhook's URL.", status, http.StatusText(status))
	}
	if status != 0 {
		return httpHint(status)
	}
	rest := strings.TrimPrefix(errText, "reading the response: ")
	switch ErrorClass(errText) {
	case CauseDNS:
		return "The host name does not resolve: check the URL's host for typos and that its DNS record exists."
	case CauseConnection:
		switch {
		case strings.HasPrefix(rest, "connection refused"):
			return "Connection refused: nothing listens at the URL's host and port. Check that the server runs and the port is right."
		case strings.HasPrefix(rest, "connection reset"):
			return "The endpoint closed the connection without answering: check its logs, or whether it expects HTTPS."
		}
		return "Hookboard could not connect to the endpoint: check the URL's host and port, and any firewall in between."
	case CauseTLS:
		return tlsHint(rest)
	case CauseBlocked:
		return "The address is not public: the URL's host resolves to a loopback, private or other non-public address, which Hookboard does not deliver to. (For development, start Hookboard with HOOKBOARD_ALLOW_PRIVATE_TARGETS=true.)"
	case CauseTimeout:
		return fmt.Sprintf("No answer within %s: answer first, then do the work (return 2xx at once and process the event in the background).", timeoutIn(rest))
	}
	if errText != "" {
		return "Hookboard could not send the request to the endpoint."
	}
	return ""
}

func tlsHint(text string) string {
	reason := strings.TrimPrefix(text, "TLS: certificate ")
	switch {
	case strings.HasPrefix(reason, TLSExpired), strings.Contains(text, "has expired"):
		return "The endpoint's TLS certificate has expired: renew it (or let certbot or the host renew it automatically)."
	case strings.HasPrefix(reason, TLSNotYetValid):
		return "The endpoint's TLS certificate is not valid yet: check the server's clock and the certificate's dates."
	case strings.HasPrefix(reason, TLSUnknownAuthority), strings.Contains(text, "unknown authority"):
		return "The endpoint's TLS certificate is self-signed or signed by an unknown authority: use one from a public CA (such as Let's Encrypt), with its intermediate certificates."
	case strings.HasPrefix(reason, TLSWrongHost), strings.Contains(text, "certificate is valid for"):
		return "The endpoint's TLS certificate is for another host name: it must cover the host in the webhook's URL."
	}
	return "The TLS handshake with the endpoint failed: check its HTTPS setup (certificate and protocol versions)."
}

// timeoutIn reads the timeout the sender wrote ("timeout: no response
// within 2s") as "2 s"; the delivery timeout the attempt ran with.
func timeoutIn(text string) string {
	if i := strings.LastIndex(text, "within "); i >= 0 {
		if d, err := time.ParseDuration(strings.TrimSpace(text[i+len("within "):])); err == nil {
			return formatSeconds(d)
		}
	}
	return "the delivery timeout"
}

func formatSeconds(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}

func httpHint(status int) string {
	switch status {
	case 400:
		return "The endpoint rejected the payload (400 Bad Request): its response body usually says what it expected."
	case 401:
		return "Authentication failed (401 Unauthorized): check the credentials the endpoint expects and the webhook's authentication settings."
	case 403:
		return "Authentication failed (403 Forbidden): the endpoint refuses these credentials or this sender; check its signature verification and allow-lists."
	case 404:
		return "URL not found (404): check the path of the webhook's URL."
	case 405:
		return "Method not allowed (405): the URL does not accept POST; check that it is the endpoint's webhook URL."
	case 408:
		return "The endpoint timed out reading the request (408); Hookboard retries."
	case 409:
		return "Conflict (409): the endpoint refused the event in its current state; Hookboard retries."
	case 410:
		return "The endpoint says it is gone (410 Gone): retries stopped."
	case 413:
		return "Payload too large (413): the endpoint's body size limit is smaller than this event."
	case 415:
		return "Unsupported media type (415): the endpoint expects another Content-Type; Hookboard sends application/json."
	case 422:
		return "The endpoint understood the payload but refused its content (422): its response body usually says why."
	case 429:
		return "The endpoint is rate limiting (429 Too Many Requests): Hookboard waits as its Retry-After header asks, then retries."
	case 500:
		return "Server error on the endpoint (500): its code failed; its logs say why. Hookboard retries."
	case 501:
		return "The endpoint does not implement this request (501 Not Implemented)."
	case 502:
		return "Bad gateway (502): a proxy in front of the endpoint could not reach the application behind it. Hookboard retries."
	case 503:
		return "The endpoint is unavailable (503): down or overloaded. Hookboard retries, waiting as its Retry-After asks."
	case 504:
		return "Gateway timeout (504): a proxy in front of the endpoint gave up waiting for the application: answer first, then do the work. Hookboard retries."
	}
	switch {
	case status >= 500:
		return fmt.Sprintf("Server error on the endpoint (%d): Hookboard retries.", status)
	case status >= 400:
		return fmt.Sprintf("The endpoint refused the request (%d %s).", status, http.StatusText(status))
	}
	return ""
}
