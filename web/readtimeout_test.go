package web_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestBodyPastReadTimeoutGetsAnError sends complete headers and then only
// part of the body, on a server with a short read timeout
// (HOOKBOARD_READ_TIMEOUT). net/http cancels the request's context when the
// body read times out, so the handler took the client for gone and wrote
// nothing, and net/http then sent an empty "200 OK": an API client could
// take its event as accepted. The client is still there and must hear that
// its request did not arrive in time: 408, closing the connection.
func TestBodyPastReadTimeoutGetsAnError(t *testing.T) {
	f := newMatrixFixture(t)
	ts := httptest.NewUnstartedServer(f.server)
	ts.Config.ReadTimeout = 300 * time.Millisecond
	ts.Start()
	t.Cleanup(ts.Close)
	cookie := signInCookie(t, f.server)

	for _, tc := range []struct {
		name, path, headers, part, wantType string
	}{
		{"sign-in form", "/login", "Content-Type: application/x-www-form-urlencoded\r\n", "email=admin%40acme.test&pass", "text/plain"},
		{"webhook form", "/apps/" + f.h.acme.ID + "/webhooks", "Content-Type: application/x-www-form-urlencoded\r\nCookie: " + cookie + "\r\n", "name=Orders&url=", "text/plain"},
		{"ingest API", "/api/v1/apps/" + f.h.acme.ID + "/events", "Content-Type: application/json\r\nAuthorization: Bearer " + f.key + "\r\n", `{"eventType":"invoice.paid","payl`, "application/problem+json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", ts.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: hb\r\n%sContent-Length: %d\r\n\r\n%s", tc.path, tc.headers, len(tc.part)+100, tc.part)
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestTimeout {
				t.Fatalf("status %d (body %q), want 408", resp.StatusCode, b)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tc.wantType) {
				t.Errorf("Content-Type %q, want %s", ct, tc.wantType)
			}
			if !resp.Close {
				t.Error("the connection is kept open after a timed-out body")
			}
			if !strings.Contains(string(b), "did not arrive in time") {
				t.Errorf("body %q does not say what happened", b)
			}
		})
	}
	// Nothing was stored from the cut-short requests.
	if list, err := f.h.store.ListWebhooks(context.Background(), f.h.acme.ID); err != nil || len(list) != 1 {
		t.Errorf("%d webhooks (%v) after the cut-short form, want the fixture's 1", len(list), err)
	}
}
