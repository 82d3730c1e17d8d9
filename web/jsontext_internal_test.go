package web

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hookboard/hookboard/internal/hook"
)

// A body that is not valid UTF-8 is walked token by token: each bad field
// is named by its dotted path, fields kept as sent (payload, example) as a
// whole, and the other strings are still checked as text.
func TestJSONTextErrorsNameFieldsOfBadUTF8Bodies(t *testing.T) {
	// ~ stands for a byte that is not UTF-8.
	for _, tc := range []struct {
		body string
		want hook.FieldErrors
	}{
		{`{"name":"~"}`, hook.FieldErrors{{Field: "name", Message: "name must be valid UTF-8 text."}}},
		{`{"~":"x"}`, hook.FieldErrors{{Field: "body", Message: "Field names must be valid UTF-8 text."}}},
		{`{"payload":{"~":1}}`, hook.FieldErrors{{Field: "payload", Message: "payload must be valid UTF-8."}}},
		{`{"payload":{"a":["ok","~"]},"name":"ok"}`, hook.FieldErrors{{Field: "payload", Message: "payload must be valid UTF-8."}}},
		{`{"payload":{"a":"\u0001"},"example":"~"}`, hook.FieldErrors{{Field: "example", Message: "example must be valid UTF-8."}}},
		{`{"auth":{"type":"basic","username":"~"}}`, hook.FieldErrors{{Field: "auth.username", Message: "auth.username must be valid UTF-8 text."}}},
		{`{"auth":{"type":"basic"},"name":"~"}`, hook.FieldErrors{{Field: "name", Message: "name must be valid UTF-8 text."}}},
		{`{"events":["a","~"],"description":"two\nlines"}`, hook.FieldErrors{{Field: "events", Message: "events must be valid UTF-8 text."}}},
		{`{"name":"a\u0001b","n":1,"url":"~"}`, hook.FieldErrors{
			{Field: "name", Message: "name may not contain control characters (such as tabs or line breaks)."},
			{Field: "url", Message: "url must be valid UTF-8 text."},
		}},
		{`{"description":"a\u0000","x":"~"}`, hook.FieldErrors{
			{Field: "description", Message: "description may not contain NUL characters."},
			{Field: "x", Message: "x must be valid UTF-8 text."},
		}},
		{`["~"]`, hook.FieldErrors{{Field: "body", Message: "body must be valid UTF-8 text."}}},
	} {
		if got := jsonTextErrors([]byte(strings.ReplaceAll(tc.body, "~", "\xff")), nil); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q:\n got %v\nwant %v", tc.body, got, tc.want)
		}
	}
}
