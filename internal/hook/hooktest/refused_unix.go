//go:build unix

package hooktest

import (
	"net"
	"strconv"
	"syscall"
	"testing"
)

// RefusedURL returns an http:// URL on 127.0.0.1 whose port refuses
// connections for the rest of the test: a socket is bound to it and never
// listens, so a connection gets a reset, and no other listener (another
// test's server, in this package or one running beside it) can take the
// port meanwhile. A port found by listening and closing again could be
// handed to the next listener that asks for one, which then answers.
func RefusedURL(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := sa.(*syscall.SockaddrInet4).Port
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) + "/hook"
}
