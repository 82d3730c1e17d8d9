package hook

import (
	"unicode"
	"unicode/utf8"
)

// CheckText returns a message when s is not acceptable text input: it must
// be valid UTF-8 without NUL or other control characters; a multi-line
// field (a description, an example payload) may also hold tabs and line
// breaks. PostgreSQL refuses NUL and invalid UTF-8 in text columns where
// SQLite stores them, so every input is checked before it reaches the store
// and both databases answer the same. field names the input in the message.
func CheckText(field, s string, multiLine bool) string {
	if !utf8.ValidString(s) {
		return field + " must be valid UTF-8 text."
	}
	for _, r := range s {
		if !unicode.IsControl(r) {
			continue
		}
		if multiLine && (r == '\t' || r == '\n' || r == '\r') {
			continue
		}
		if r == 0 {
			return field + " may not contain NUL characters."
		}
		if multiLine {
			return field + " may not contain control characters other than tabs and line breaks."
		}
		return field + " may not contain control characters (such as tabs or line breaks)."
	}
	return ""
}

// MultiLineFields are the input fields (form names and JSON keys) that may
// hold tabs and line breaks.
var MultiLineFields = map[string]bool{"description": true, "example": true, "headers": true}
