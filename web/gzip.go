package web

import (
	"compress/gzip"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// gzipMinSize: smaller bodies are sent as they are; gzip's header and the
// CPU would cost more than the bytes saved.
const gzipMinSize = 1024

// compressible are the content types worth compressing: pages, styles,
// scripts and the API's JSON. Images other than SVG and downloads that are
// already compressed are left alone.
var compressible = map[string]bool{
	"text/html": true, "text/css": true, "text/javascript": true, "application/javascript": true,
	"application/json": true, "application/problem+json": true, "image/svg+xml": true, "text/plain": true,
}

var gzipWriters = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression); return w }}

// gzipResponses compresses a response when the client accepts gzip, its
// type is text (HTML, CSS, JavaScript, JSON, SVG) and it is at least
// gzipMinSize bytes. The decision waits for the first gzipMinSize bytes (or
// a Flush), so a small answer keeps its Content-Length and a streamed one
// still streams. Compressible types always say Vary: Accept-Encoding.
func gzipResponses(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gw := &gzipWriter{ResponseWriter: w, accepts: acceptsGzip(r.Header.Get("Accept-Encoding")) && r.Method != http.MethodHead}
		defer gw.finish()
		next.ServeHTTP(gw, r)
	})
}

// acceptsGzip reads Accept-Encoding: gzip (or *) with a q-value above 0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		params = strings.ReplaceAll(strings.ToLower(params), " ", "")
		if q, ok := strings.CutPrefix(params, "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v <= 0 {
				continue
			}
		}
		return true
	}
	return false
}

type gzipWriter struct {
	http.ResponseWriter
	accepts bool
	status  int
	buf     []byte
	decided bool
	gz      *gzip.Writer
}

func (w *gzipWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *gzipWriter) WriteHeader(code int) {
	if w.decided || w.status != 0 {
		if w.decided {
			w.ResponseWriter.WriteHeader(code)
		}
		return
	}
	if code < 200 { // 1xx: informational, passed on as is
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.status = code
	// Answers without a body of their own are decided at once.
	if !w.eligible() || code == http.StatusNoContent || code == http.StatusNotModified {
		w.decide(false)
	}
}

// eligible: the type is compressible, the client takes gzip, nothing is
// encoded yet and the answer is not a range.
func (w *gzipWriter) eligible() bool {
	h := w.Header()
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if !compressible[mt] {
		return false
	}
	if !strings.Contains(strings.ToLower(h.Get("Vary")), "accept-encoding") {
		h.Add("Vary", "Accept-Encoding")
	}
	if !w.accepts || h.Get("Content-Encoding") != "" || h.Get("Content-Range") != "" || w.status == http.StatusPartialContent {
		return false
	}
	if cl := h.Get("Content-Length"); cl != "" {
		if n, err := strconv.Atoi(cl); err == nil && n < gzipMinSize {
			return false
		}
	}
	return true
}

func (w *gzipWriter) Write(p []byte) (int, error) {
	if !w.decided {
		if w.status == 0 {
			if w.Header().Get("Content-Type") == "" {
				w.Header().Set("Content-Type", http.DetectContentType(p))
			}
			w.WriteHeader(http.StatusOK)
			if w.decided {
				return w.Write(p)
			}
		}
		w.buf = append(w.buf, p...)
		if len(w.buf) >= gzipMinSize {
			w.decide(true)
		}
		return len(p), nil
	}
	if w.gz != nil {
		return w.gz.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

// decide sends the header, compressed or not, and what was held back.
func (w *gzipWriter) decide(compress bool) {
	w.decided = true
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if compress {
		h := w.Header()
		h.Del("Content-Length")
		h.Set("Content-Encoding", "gzip")
		w.gz = gzipWriters.Get().(*gzip.Writer)
		w.gz.Reset(w.ResponseWriter)
	}
	w.ResponseWriter.WriteHeader(w.status)
	if len(w.buf) > 0 {
		if w.gz != nil {
			w.gz.Write(w.buf)
		} else {
			w.ResponseWriter.Write(w.buf)
		}
	}
	w.buf = nil
}

// Flush sends what is held back: a stream is compressed when eligible,
// whatever its size so far.
func (w *gzipWriter) Flush() {
	if !w.decided && w.status != 0 {
		w.decide(true)
	}
	if w.gz != nil {
		w.gz.Flush()
	}
	http.NewResponseController(w.ResponseWriter).Flush()
}

// finish ends the response: a small body goes out as it is, a compressed one
// gets its gzip trailer. A handler that wrote nothing stays so.
func (w *gzipWriter) finish() {
	if !w.decided && w.status != 0 {
		w.decide(false)
	}
	if w.gz != nil {
		w.gz.Close()
		w.gz.Reset(nil)
		gzipWriters.Put(w.gz)
		w.gz = nil
	}
}
