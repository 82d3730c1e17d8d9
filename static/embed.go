// Package static holds the dashboard's CSS and JavaScript, embedded in the
// binary.
package static

import "embed"

//go:embed css js favicon.svg
var FS embed.FS
