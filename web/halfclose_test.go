package web_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestHalfClosedClientGetsNoFalseSuccess sends a complete request and then
// closes its sending side, as `nc -N` or a script calling shutdown(SHUT_WR)
// does. net/http cancels the request's context when it reads that EOF, so
// the handler stops at its next store call and writes nothing; net/http then
// sent "200 OK" with an empty body for a webhook that was never created.
// Whatever the race between the handler and the cancel, a 2xx must mean the
// webhook exists; when it does not, the client gets no answer (the
// connection closes) or an error.
func TestHalfClosedClientGetsNoFalseSuccess(t *testing.T) {
	f := newMatrixFixture(t)
	ts := httptest.NewServer(f.server)
	t.Cleanup(ts.Close)
	ctx := context.Background()

	for i := range 5 {
		name := fmt.Sprintf("Half-closed %d", i)
		body := fmt.Sprintf(`{"name":%q,"url":"https://example.com/hook","events":["*"]}`, name)
		status := halfClosedPost(t, ts, "/api/v1/apps/"+f.h.acme.ID+"/webhooks",
			"Content-Type: application/json\r\nAuthorization: Bearer "+f.key+"\r\n", body)
		list, err := f.h.store.ListWebhooks(ctx, f.h.acme.ID)
		if err != nil {
			t.Fatal(err)
		}
		created := false
		for _, w := range list {
			created = created || w.Name == name
		}
		if status >= 200 && status < 300 && !created {
			t.Errorf("webhook create, half-closed: answered %d but nothing was created", status)
		}
		if created && status != 0 && status != http.StatusCreated {
			t.Errorf("webhook create, half-closed: created, answered %d", status)
		}

		// A sign-in answers 303 (signed in) or an error page, never 200.
		if status := halfClosedPost(t, ts, "/login", "Content-Type: application/x-www-form-urlencoded\r\n",
			"email=admin%40acme.test&password=correct+horse+battery"); status == http.StatusOK {
			t.Errorf("sign-in, half-closed: answered 200")
		}
	}
}

// halfClosedPost sends one POST, closes the sending side and returns the
// answer's status, or 0 when the server closed without answering.
func halfClosedPost(t *testing.T, ts *httptest.Server, path, headers, body string) int {
	t.Helper()
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: hb\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n%s", path, headers, len(body), body)
	conn.(*net.TCPConn).CloseWrite()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return 0
		}
		t.Fatalf("%s: %v", path, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
