package sender

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
)

// BlockedError is returned when the SSRF guard refuses an address.
type BlockedError struct {
	Addr   netip.Addr
	Reason string
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("blocked: the host resolves to a %s address (%s); Hookboard only delivers to public addresses", e.Reason, e.Addr)
}

// guard checks the address a connection is about to be made to, after DNS
// resolution, so a name that resolves (or re-resolves) to a private address
// cannot get around the check. It judges with hook.NonPublicReason, the same
// rule the form and the API apply to literal addresses.
func guard(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("blocked: cannot parse address %q", host)
	}
	if reason := hook.NonPublicReason(addr); reason != "" {
		return &BlockedError{Addr: addr, Reason: reason}
	}
	return nil
}

// NewClient returns the HTTP client deliveries go through: no proxy (a proxy
// would hide the real target from the guard), no redirects followed,
// connections kept alive and reused, and the SSRF guard at dial time unless
// allowPrivate is set.
func NewClient(timeout time.Duration, allowPrivate bool) *http.Client {
	return newClient(newDialer(timeout, allowPrivate, nil), timeout)
}

// newDialer is the dialer NewClient uses; resolver nil is the system's.
func newDialer(timeout time.Duration, allowPrivate bool, resolver *net.Resolver) *net.Dialer {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second, Resolver: resolver}
	if !allowPrivate {
		dialer.Control = guard
	}
	return dialer
}

// maxIdleConns is how many idle connections the client keeps, to one host
// as to all: how many requests go to one endpoint at once is bounded by
// the workers and a recovery job's batch, and a smaller cap per host
// closed what a burst opened, so the next burst dialled again (a recovery
// job at 1,000/s beside full load opened 29,313 connections to its
// endpoint in 110 s with a cap of 64 per host; 370 with this one).
const maxIdleConns = 512

func newClient(dialer *net.Dialer, timeout time.Duration) *http.Client {
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          maxIdleConns,
		MaxIdleConnsPerHost:   maxIdleConns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport:     transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// describeError turns a transport error into words for the Responses tab,
// without the URL (it is shown beside) and without internals. Each text
// begins with the prefix hook.ErrorClass reads back ("blocked: ",
// "timeout: ", "DNS: ", "connection ", "TLS: "), so the dashboard chooses a
// hint and the event log a label without a column of its own.
func describeError(err error, timeout time.Duration) string {
	var blocked *BlockedError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &blocked):
		return blocked.Error()
	case errors.As(err, &dnsErr) && !dnsErr.IsTimeout:
		return fmt.Sprintf("DNS: could not resolve %s", dnsErr.Name)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("DNS: no answer from the DNS server for %s", dnsErr.Name)
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Sprintf("timeout: no response within %s", timeout)
	}
	if msg := describeTLSError(err); msg != "" {
		return msg
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: nothing is listening at the URL's host and port"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by the endpoint"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "connection failed: " + opErr.Err.Error()
	}
	var urlErr interface{ Unwrap() error }
	if errors.As(err, &urlErr) {
		if inner := urlErr.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return err.Error()
}

// describeTLSError names why a TLS handshake failed ("TLS: certificate
// expired …", "… signed by an unknown authority …", "… for another host
// …"), or returns "" when err is no TLS error.
func describeTLSError(err error) string {
	var expired x509.CertificateInvalidError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var verify *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	var remote *net.OpError
	switch {
	case errors.As(err, &expired) && expired.Reason == x509.Expired && expired.Cert != nil:
		if time.Now().Before(expired.Cert.NotBefore) {
			return fmt.Sprintf("TLS: certificate %s: valid from %s", hook.TLSNotYetValid, expired.Cert.NotBefore.UTC().Format(time.RFC3339))
		}
		return fmt.Sprintf("TLS: certificate %s on %s", hook.TLSExpired, expired.Cert.NotAfter.UTC().Format(time.RFC3339))
	case errors.As(err, &unknown):
		msg := "TLS: certificate " + hook.TLSUnknownAuthority
		if c := unknown.Cert; c != nil && c.Issuer.String() == c.Subject.String() {
			msg += " (self-signed)"
		}
		return msg
	case errors.As(err, &host) && host.Certificate != nil:
		names := append([]string(nil), host.Certificate.DNSNames...)
		for _, ip := range host.Certificate.IPAddresses {
			names = append(names, ip.String())
		}
		if len(names) == 0 && host.Certificate.Subject.CommonName != "" {
			names = append(names, host.Certificate.Subject.CommonName)
		}
		return fmt.Sprintf("TLS: certificate %s: valid for %s, not %s", hook.TLSWrongHost, strings.Join(names, ", "), host.Host)
	case errors.As(err, &verify):
		return "TLS: certificate not accepted: " + verify.Err.Error()
	case errors.As(err, &record) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "TLS: handshake failed: the endpoint did not answer in TLS (does it serve plain HTTP?)"
	case errors.As(err, &remote) && remote.Op == "remote error":
		// The endpoint's alert, such as "tls: handshake failure".
		return "TLS: handshake failed: the endpoint answered " + remote.Err.Error()
	}
	return ""
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
