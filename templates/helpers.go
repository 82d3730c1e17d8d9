package templates

import (
	"strconv"

	"github.com/a-h/templ"
)

func hasErr(errors map[string]string, field string) bool {
	_, ok := errors[field]
	return ok
}

func errorCount(errors map[string]string) string {
	if len(errors) == 1 {
		return "error"
	}
	return strconv.Itoa(len(errors)) + " errors"
}

// current marks the link to the page being shown.
func current(on bool) templ.Attributes {
	if on {
		return templ.Attributes{"aria-current": "page"}
	}
	return templ.Attributes{}
}

// fieldAttrs links a form field to its help text and, when it is invalid,
// marks it and links its error message (rendered with id err-FIELD).
func fieldAttrs(errors map[string]string, field, help string) templ.Attributes {
	a := templ.Attributes{}
	describedBy := help
	if hasErr(errors, field) {
		a["aria-invalid"] = "true"
		if describedBy != "" {
			describedBy += " "
		}
		describedBy += "err-" + field
	}
	if describedBy != "" {
		a["aria-describedby"] = describedBy
	}
	return a
}
