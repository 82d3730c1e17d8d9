package templates

import "strconv"

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
