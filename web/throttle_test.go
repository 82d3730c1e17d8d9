package web_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/store/storetest"
	"github.com/hookboard/hookboard/web"
)

// newProxyHarness is the harness on a clock, served by a second server on
// the same store that trusts the given proxies (the test client's
// 127.0.0.1 among them, so it can speak as the proxy).
func newProxyHarness(t *testing.T, clock *storetest.Clock, trusted ...string) *harness {
	t.Helper()
	opts := storetest.Options{}
	if clock != nil {
		opts.Now = clock.Now
	}
	h := newHarnessWith(t, opts, nil)
	var prefixes []netip.Prefix
	for _, p := range trusted {
		prefixes = append(prefixes, netip.MustParsePrefix(p))
	}
	srv := httptest.NewServer(web.New(web.Options{Store: h.store, Now: opts.Now, TrustedProxies: prefixes,
		SessionKey: []byte("0123456789abcdef0123456789abcdef")}))
	t.Cleanup(srv.Close)
	h.srv = srv
	return h
}

// signInFrom posts a sign-in as if forwarded by a proxy for client.
func signInFrom(c *client, client, email, pw string) *http.Response {
	c.t.Helper()
	resp, _ := c.post("/login", url.Values{"email": {email}, "password": {pw}}, "X-Forwarded-For", client)
	return resp
}

// TestSignInBackoffPerAccount: after 5 failures an account waits, from any
// address, for a back-off that doubles with each further failure (1, 2, 4
// minutes …); a correct password in the wait is refused too, and a good
// sign-in afterwards starts over.
func TestSignInBackoffPerAccount(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC))
	h := newProxyHarness(t, clock, "127.0.0.0/8")
	c := h.anonymous()
	for i := range 5 {
		// From five addresses: the account counts, wherever they come from.
		wantStatus(t, signInFrom(c, fmt.Sprintf("198.51.100.%d", i), "admin@acme.test", "wrong password"), http.StatusUnauthorized)
	}
	for _, wait := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 15 * time.Minute, 15 * time.Minute} {
		clock.Advance(wait - time.Second)
		resp := signInFrom(c, "203.0.113.9", "admin@acme.test", password)
		wantStatus(t, resp, http.StatusTooManyRequests)
		clock.Advance(time.Second)
		wantStatus(t, signInFrom(c, "203.0.113.9", "admin@acme.test", "wrong password"), http.StatusUnauthorized)
	}
	// The same for an e-mail without an account: nothing tells them apart.
	for range 6 {
		signInFrom(c, "192.0.2.1", "nobody@acme.test", "wrong password")
	}
	resp, doc := c.post("/login", url.Values{"email": {"nobody@acme.test"}, "password": {"x"}}, "X-Forwarded-For", "192.0.2.1")
	wantStatus(t, resp, http.StatusTooManyRequests)
	nobody := text(doc, "[data-testid=login-error]")
	clock.Advance(15 * time.Minute)
	wantStatus(t, signInFrom(c, "203.0.113.9", "admin@acme.test", password), http.StatusSeeOther)
	// A good sign-in forgets the failures.
	wantStatus(t, signInFrom(c, "203.0.113.9", "admin@acme.test", "wrong password"), http.StatusUnauthorized)
	wantStatus(t, signInFrom(h.anonymous(), "203.0.113.9", "admin@acme.test", password), http.StatusSeeOther)
	if !strings.HasPrefix(nobody, "Too many failed sign-in attempts.") {
		t.Errorf("message %q", nobody)
	}
}

// TestSignInThrottleBehindTrustedProxy: behind a trusted proxy each
// client is its own address (the right-most untrusted X-Forwarded-For
// entry), so spoofed left-most entries do not escape the limit.
func TestSignInThrottleBehindTrustedProxy(t *testing.T) {
	h := newProxyHarness(t, nil, "127.0.0.0/8", "10.0.0.0/8")
	c := h.anonymous()
	for i := range 20 {
		// A guesser at 203.0.113.66 varies the part of the header it writes.
		xff := fmt.Sprintf("192.0.2.%d, 203.0.113.66, 10.1.2.3", i)
		resp, _ := c.post("/login", url.Values{"email": {"guess" + strings.Repeat("x", i) + "@acme.test"}, "password": {"nope"}}, "X-Forwarded-For", xff)
		wantStatus(t, resp, http.StatusUnauthorized)
	}
	resp, _ := c.post("/login", url.Values{"email": {"guessx@acme.test"}, "password": {"nope"}}, "X-Forwarded-For", "1.1.1.1, 203.0.113.66")
	wantStatus(t, resp, http.StatusTooManyRequests)
	// Another client behind the same proxy is not affected.
	resp, _ = c.post("/login", url.Values{"email": {"guessx@acme.test"}, "password": {"nope"}}, "X-Forwarded-For", "203.0.113.67")
	wantStatus(t, resp, http.StatusUnauthorized)
}

// TestSecureCookieFromTrustedProxyOnly: X-Forwarded-Proto: https marks the
// session cookie Secure only when a trusted proxy sent it.
func TestSecureCookieFromTrustedProxyOnly(t *testing.T) {
	for _, tc := range []struct {
		name    string
		trusted []string
		proto   string
		secure  bool
	}{
		{"trusted https", []string{"127.0.0.1/32"}, "https", true},
		{"trusted http", []string{"127.0.0.1/32"}, "http", false},
		{"trusted none", []string{"127.0.0.1/32"}, "", false},
		{"untrusted https", nil, "https", false},
		{"other proxy https", []string{"10.0.0.0/8"}, "https", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newProxyHarness(t, nil, tc.trusted...)
			var hdr []string
			if tc.proto != "" {
				hdr = []string{"X-Forwarded-Proto", tc.proto}
			}
			resp, _ := h.anonymous().post("/login", url.Values{"email": {"admin@acme.test"}, "password": {password}}, hdr...)
			wantStatus(t, resp, http.StatusSeeOther)
			cookie := resp.Header.Get("Set-Cookie")
			if got := strings.Contains(cookie, "; Secure"); got != tc.secure {
				t.Errorf("Secure = %v, want %v: %s", got, tc.secure, cookie)
			}
		})
	}
}

// TestSignInThrottleSharedAcrossProcesses: the failures are rows in the
// database, so a second process on the same database throttles too.
func TestSignInThrottleSharedAcrossProcesses(t *testing.T) {
	h := newHarness(t)
	for range 5 {
		resp, _ := h.anonymous().post("/login", url.Values{"email": {"admin@acme.test"}, "password": {"wrong password"}})
		wantStatus(t, resp, http.StatusUnauthorized)
	}
	second := httptest.NewServer(web.New(web.Options{Store: h.store, SessionKey: []byte("0123456789abcdef0123456789abcdef")}))
	t.Cleanup(second.Close)
	h.srv = second
	resp, _ := h.anonymous().post("/login", url.Values{"email": {"admin@acme.test"}, "password": {password}})
	wantStatus(t, resp, http.StatusTooManyRequests)
}
