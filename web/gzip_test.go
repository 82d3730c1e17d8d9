package web_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// rawGet fetches path without the transport's own gzip handling, so the
// test sees the encoding on the wire.
func (c *client) rawGet(t *testing.T, path, acceptEncoding string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.h.srv.URL+path, nil)
	if acceptEncoding != "" {
		req.Header.Set("Accept-Encoding", acceptEncoding)
	}
	for _, ck := range c.http.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// TestGzip: pages, CSS and JavaScript are gzipped for a client that takes
// it, with Vary: Accept-Encoding and no stale Content-Length; a client that
// does not (or refuses with q=0) gets them plain; small answers and the
// favicon stay plain.
func TestGzip(t *testing.T) {
	h := newHarness(t)
	a := h.admin()
	_, doc := a.get("/apps/" + h.acme.ID + "/webhooks")
	css := doc.Find(`link[rel=stylesheet]`).AttrOr("href", "")
	js := doc.Find(`script[src]`).AttrOr("src", "")
	for _, path := range []string{"/apps/" + h.acme.ID + "/webhooks", css, js} {
		resp, b := a.rawGet(t, path, "gzip, deflate, br")
		if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("%s: encoding %q, vary %q", path, resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
			continue
		}
		if cl := resp.Header.Get("Content-Length"); cl != "" && cl != itoa(len(b)) {
			t.Errorf("%s: Content-Length %s for %d bytes on the wire", path, cl, len(b))
		}
		zr, err := gzip.NewReader(strings.NewReader(string(b)))
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		plain, err := io.ReadAll(zr)
		if err != nil || len(plain) < 1024 {
			t.Errorf("%s: %d bytes unzipped, %v", path, len(plain), err)
		}
		_, want := a.rawGet(t, path, "")
		if string(plain) != string(want) {
			t.Errorf("%s: gzipped body differs from the plain one", path)
		}
		for _, ae := range []string{"", "identity", "gzip;q=0, identity"} {
			resp, b := a.rawGet(t, path, ae)
			if resp.Header.Get("Content-Encoding") != "" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") || len(b) < 1024 {
				t.Errorf("%s with %q: encoding %q, vary %q, %d bytes", path, ae, resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"), len(b))
			}
		}
	}
	// Small or not text: plain, with an exact Content-Length.
	for _, path := range []string{"/healthz", "/favicon.ico"} {
		resp, b := a.rawGet(t, path, "gzip")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Content-Length") != itoa(len(b)) {
			t.Errorf("%s: %d, encoding %q, length %q for %d bytes", path, resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header.Get("Content-Length"), len(b))
		}
	}
}

// TestFavicon: the layout links an SVG icon, and /favicon.ico answers
// with it rather than a 404.
func TestFavicon(t *testing.T) {
	h := newHarness(t)
	a := h.admin()
	_, doc := a.get("/apps/" + h.acme.ID + "/webhooks")
	href := doc.Find(`link[rel=icon][type="image/svg+xml"]`).AttrOr("href", "")
	if !strings.HasPrefix(href, "/static/favicon.svg?v=") {
		t.Fatalf("icon link %q", href)
	}
	for _, path := range []string{href, "/favicon.ico"} {
		resp, b := a.rawGet(t, path, "")
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(string(b), "<svg") {
			t.Errorf("%s: %d %q", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
