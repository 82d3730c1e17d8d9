//go:build !unix

package hooktest

import (
	"net"
	"testing"
)

// RefusedURL returns an http:// URL on 127.0.0.1 whose port refused
// connections when it returned: one listened on and closed again (where a
// bound socket that never listens is not at hand).
func RefusedURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/hook"
	ln.Close()
	return url
}
