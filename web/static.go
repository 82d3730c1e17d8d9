package web

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"

	"github.com/hookboard/hookboard/static"
)

// staticFiles serves the embedded CSS and JavaScript. URLs carry a content
// hash (?v=…), so browsers may cache them for good and still see changes.
type staticFiles struct {
	versions map[string]string
	files    http.Handler
}

func newStaticFiles() *staticFiles {
	sf := &staticFiles{versions: map[string]string{}, files: http.FileServerFS(static.FS)}
	fs.WalkDir(static.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static.FS, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		sf.versions[path] = hex.EncodeToString(sum[:6])
		return nil
	})
	return sf
}

// URL returns the versioned URL of a static file such as "css/app.css".
func (sf *staticFiles) URL(name string) string {
	return "/static/" + name + "?v=" + sf.versions[name]
}

func (sf *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/static/")
	v, ok := sf.versions[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if r.URL.Query().Get("v") == v {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + name
	sf.files.ServeHTTP(w, r2)
}

// favicon answers /favicon.ico, which browsers ask for whatever the page
// links, with the SVG icon, so it is no 404 in the log.
func (sf *staticFiles) favicon(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(static.FS, "favicon.svg")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Write(b)
}
