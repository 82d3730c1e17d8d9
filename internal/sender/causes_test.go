package sender

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/hook/hooktest"
)

// testCert is a certificate and key made for a test.
type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	der  []byte
}

// makeCert signs a certificate for the names with parent (itself when nil).
func makeCert(t *testing.T, cn string, names []string, ips []net.IP, notBefore, notAfter time.Time, isCA bool, parent *testCert) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: notBefore, NotAfter: notAfter, DNSNames: names, IPAddresses: ips,
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: isCA,
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{cert: cert, key: key, der: der}
}

// tlsReceiver is an HTTPS endpoint on loopback presenting leaf.
func tlsReceiver(t *testing.T, leaf testCert) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.der}, PrivateKey: leaf.key}}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshakes fail on purpose
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestDescribeErrorByCause sends through the delivery client to a real
// receiver for every cause of a failed attempt, and checks the recorded
// text, the class hook.ErrorClass reads back from it, and the hint.
func TestDescribeErrorByCause(t *testing.T) {
	now := time.Now()
	loopback := []net.IP{net.IPv4(127, 0, 0, 1)}
	ca := makeCert(t, "Test CA", nil, nil, now.Add(-time.Hour), now.Add(time.Hour), true, nil)
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)

	expired := tlsReceiver(t, makeCert(t, "expired", nil, loopback, now.Add(-48*time.Hour), now.Add(-24*time.Hour), false, &ca))
	selfSigned := tlsReceiver(t, makeCert(t, "self", nil, loopback, now.Add(-time.Hour), now.Add(time.Hour), false, nil))
	wrongHost := tlsReceiver(t, makeCert(t, "other", []string{"other.example"}, nil, now.Add(-time.Hour), now.Add(time.Hour), false, &ca))
	good := tlsReceiver(t, makeCert(t, "good", nil, loopback, now.Add(-time.Hour), now.Add(time.Hour), false, &ca))

	closed := hooktest.RefusedURL(t)

	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)

	// A DNS server on loopback with no records for anything: the .invalid
	// name does not resolve, and no query leaves the machine.
	noRecords := fakeResolver(t, 99, netip.MustParseAddr("192.0.2.1"))

	const timeout = 2 * time.Second // TLS handshakes under -race and load must fit well inside it
	for _, c := range []struct {
		name, url string
		guarded   bool
		wantText  []string
		wantClass string
		wantHint  string
	}{
		{"dns", "http://no-such-host.invalid/hook", false, []string{"DNS: could not resolve no-such-host.invalid"}, hook.CauseDNS, "the host name does not resolve"},
		{"refused", closed, false, []string{"connection refused"}, hook.CauseConnection, "Connection refused"},
		{"expired", expired + "/hook", false, []string{"TLS: certificate expired on "}, hook.CauseTLS, "certificate has expired"},
		{"self-signed", selfSigned + "/hook", false, []string{"TLS: certificate signed by an unknown authority (self-signed)"}, hook.CauseTLS, "self-signed or signed by an unknown authority"},
		{"wrong host", wrongHost + "/hook", false, []string{"TLS: certificate for another host: valid for other.example, not 127.0.0.1"}, hook.CauseTLS, "for another host name"},
		{"plain HTTP on https", "https://" + strings.TrimPrefix(slow.URL, "http://") + "/hook", false, []string{"TLS: handshake failed"}, hook.CauseTLS, "TLS handshake"},
		{"blocked", good + "/hook", true, []string{"blocked: ", "loopback"}, hook.CauseBlocked, "not public"},
		{"timeout", slow.URL + "/hook", false, []string{"timeout: no response within 2s"}, hook.CauseTimeout, "No answer within 2 s: answer first, then do the work"},
	} {
		t.Run(c.name, func(t *testing.T) {
			client := newClient(newDialer(timeout, !c.guarded, noRecords), timeout)
			client.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: roots}
			ctx, cancel := context.WithTimeout(t.Context(), timeout)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.url, strings.NewReader(`{}`))
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("request succeeded: %d", resp.StatusCode)
			}
			text := describeError(err, timeout)
			for _, want := range c.wantText {
				if !strings.Contains(text, want) {
					t.Errorf("text %q, want %q in it (error %v)", text, want, err)
				}
			}
			if got := hook.ErrorClass(text); got != c.wantClass {
				t.Errorf("class of %q = %q, want %q", text, got, c.wantClass)
			}
			a := hook.Attempt{Error: text}
			if got := hook.ResponseStatusLabel(0, text); got != c.wantClass {
				t.Errorf("status label %q, want %q", got, c.wantClass)
			}
			if hint := hook.Hint(a); !strings.Contains(strings.ToLower(hint), strings.ToLower(c.wantHint)) {
				t.Errorf("hint %q, want %q in it", hint, c.wantHint)
			}
		})
	}

	// The certificate that is right is accepted by the same client.
	client := newClient(newDialer(timeout, true, nil), timeout)
	client.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: roots}
	resp, err := client.Post(good+"/hook", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatalf("good certificate: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("good certificate: %d", resp.StatusCode)
	}
}
