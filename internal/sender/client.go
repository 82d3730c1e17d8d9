package sender

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
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

func newClient(dialer *net.Dialer, timeout time.Duration) *http.Client {
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   64,
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
// without the URL (it is shown beside) and without internals.
func describeError(err error, timeout time.Duration) string {
	var blocked *BlockedError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &blocked):
		return blocked.Error()
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		return fmt.Sprintf("timeout: no response within %s", timeout)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("DNS: could not resolve %s", dnsErr.Name)
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

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
