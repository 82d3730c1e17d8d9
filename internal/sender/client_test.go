package sender

import (
	"context"
	"encoding/binary"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook/hooktest"
)

// TestDialGuardRegistries runs the special-purpose registry table (the one
// the form is tested with) through the dialer NewClient builds: its Control
// function for every address, and a request through the client for every
// refused one. Nothing leaves this machine: Control runs before connect,
// and the client's dialer stops any address the guard lets through.
func TestDialGuardRegistries(t *testing.T) {
	d := newDialer(time.Second, false, nil)
	client := newClient(neverConnect(newDialer(time.Second, false, nil)), time.Second)
	for _, c := range hooktest.SSRFCases {
		hostport := net.JoinHostPort(c.Addr, "443")
		err := d.Control("tcp", hostport, nil)
		var blocked *BlockedError
		var resp *http.Response
		switch {
		case !c.Refused() && err != nil:
			t.Errorf("guard refused %s: %v (%s)", c.Addr, err, c.Note)
		case c.Refused() && (!errors.As(err, &blocked) || blocked.Reason != c.Reason):
			t.Errorf("guard on %s: %v, want blocked as %s (%s)", c.Addr, err, c.Reason, c.Note)
		}
		if !c.Refused() {
			continue
		}
		resp, err = client.Get("http://" + hostport + "/")
		if err == nil {
			resp.Body.Close()
		}
		if !errors.As(err, &blocked) || blocked.Reason != c.Reason {
			t.Errorf("request to %s: %v, want blocked as %s (%s)", c.Addr, err, c.Reason, c.Note)
		} else if msg := describeError(err, time.Second); !strings.HasPrefix(msg, "blocked: ") || !strings.Contains(msg, c.Reason) {
			t.Errorf("request to %s described as %q", c.Addr, msg)
		}
	}
}

// TestDialGuardResolvedName: a name whose DNS answer is an IPv4-compatible
// loopback address (::7f00:1, issue 13) is refused when dialling. The
// answer comes from a DNS server on loopback, so nothing leaves the machine.
func TestDialGuardResolvedName(t *testing.T) {
	for _, c := range []struct {
		qtype  uint16
		answer string
		reason string
	}{
		{28, "::7f00:1", "loopback"},             // AAAA, IPv4-compatible
		{28, "::ffff:0:7f00:1", "loopback"},      // AAAA, IPv4-translated
		{28, "64:ff9b::a9fe:a9fe", "link-local"}, // AAAA, NAT64 of the metadata address
		{1, "127.0.0.1", "loopback"},             // A
	} {
		resolver := fakeResolver(t, c.qtype, netip.MustParseAddr(c.answer))
		addrs, err := resolver.LookupNetIP(t.Context(), "ip", "sneaky.example")
		if err != nil || len(addrs) != 1 || addrs[0].Unmap() != netip.MustParseAddr(c.answer).Unmap() {
			t.Fatalf("fake DNS answered %v, %v", addrs, err)
		}
		client := newClient(neverConnect(newDialer(time.Second, false, resolver)), time.Second)
		resp, err := client.Get("http://sneaky.example:9/hook")
		if err == nil {
			resp.Body.Close()
		}
		var blocked *BlockedError
		if !errors.As(err, &blocked) || blocked.Reason != c.reason {
			t.Errorf("%s: %v, want blocked as %s", c.answer, err, c.reason)
		}
	}
}

// TestAllowPrivateSkipsGuard: HOOKBOARD_ALLOW_PRIVATE_TARGETS (development)
// lets the client reach loopback, by address and by a name resolving there;
// without it the same requests are blocked.
func TestAllowPrivateSkipsGuard(t *testing.T) {
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer rc.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(rc.URL, "http://"))
	resolver := fakeResolver(t, 1, netip.MustParseAddr("127.0.0.1"))
	for _, u := range []string{rc.URL, "http://dev.example:" + port + "/"} {
		for _, allow := range []bool{true, false} {
			client := newClient(newDialer(time.Second, allow, resolver), time.Second)
			resp, err := client.Get(u)
			var blocked *BlockedError
			switch {
			case allow && (err != nil || resp.StatusCode != http.StatusNoContent):
				t.Errorf("allowPrivate, %s: %v", u, err)
			case !allow && !errors.As(err, &blocked):
				t.Errorf("guarded, %s: %v, want blocked", u, err)
			}
			if err == nil {
				resp.Body.Close()
			}
		}
	}
	// NewClient is the same dialer.
	resp, err := NewClient(time.Second, true).Get(rc.URL)
	if err != nil {
		t.Fatalf("NewClient(allowPrivate): %v", err)
	}
	resp.Body.Close()
	if _, err := NewClient(time.Second, false).Get(rc.URL); !strings.Contains(err.Error(), "blocked") {
		t.Errorf("NewClient guarded: %v", err)
	}
}

// neverConnect makes d fail every connection its guard lets through, so a
// test that expects the guard to refuse never reaches the network when it
// does not.
func neverConnect(d *net.Dialer) *net.Dialer {
	guard := d.Control
	d.Control = func(network, address string, c syscall.RawConn) error {
		if err := guard(network, address, c); err != nil {
			return err
		}
		return errors.New("test: the guard let " + address + " through")
	}
	return d
}

// fakeResolver returns a resolver asking a DNS server on loopback that
// answers every query of type qtype (1 A, 28 AAAA) with addr, and every
// other query with no records.
func fakeResolver(t *testing.T, qtype uint16, addr netip.Addr) *net.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			q := buf[:n]
			// The question: labels up to the root, then type and class.
			i := 12
			for i < n && q[i] != 0 {
				i += int(q[i]) + 1
			}
			i++
			if n < 12 || i+4 > n {
				continue
			}
			typ := binary.BigEndian.Uint16(q[i:])
			resp := append([]byte(nil), q[:i+4]...)
			resp[2], resp[3] = 0x85, 0x80 // response, authoritative, recursion desired and available
			binary.BigEndian.PutUint16(resp[4:], 1)
			clear(resp[6:12]) // no answer, authority or additional records yet
			if typ == qtype {
				b := addr.AsSlice()
				resp[7] = 1
				resp = append(resp, 0xc0, 12) // the question's name
				resp = binary.BigEndian.AppendUint16(resp, typ)
				resp = binary.BigEndian.AppendUint16(resp, 1) // IN
				resp = binary.BigEndian.AppendUint32(resp, 60)
				resp = binary.BigEndian.AppendUint16(resp, uint16(len(b)))
				resp = append(resp, b...)
			}
			pc.WriteTo(resp, from)
		}
	}()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", pc.LocalAddr().String())
	}}
}

// A burst of requests to one endpoint leaves its connections idle for the
// next burst: the second opens none, as a recovery job's batches beside
// the sender's own requests must not dial again every 50 ms. The endpoint
// holds each burst's requests until all of them arrived, so each burst has
// them all open at once.
func TestBurstsReuseConnections(t *testing.T) {
	const burst = 150
	var opened, arrived atomic.Int64
	var gate atomic.Pointer[chan struct{}]
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g := *gate.Load()
		arrived.Add(1)
		<-g
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	client := NewClient(5*time.Second, true)
	for round := range 2 {
		g := make(chan struct{})
		gate.Store(&g)
		var wg sync.WaitGroup
		for range burst {
			wg.Go(func() {
				resp, err := client.Post(srv.URL, "application/json", strings.NewReader("{}"))
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			})
		}
		deadline := time.Now().Add(5 * time.Second)
		for arrived.Load() < int64((round+1)*burst) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		close(g)
		wg.Wait()
		if round == 0 && opened.Load() != burst {
			t.Fatalf("the first burst opened %d connections, want %d", opened.Load(), burst)
		}
	}
	if n := opened.Load(); n != burst {
		t.Errorf("two bursts of %d opened %d connections: the second dialled %d again", burst, n, n-burst)
	}
}
