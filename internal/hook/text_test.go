package hook

import "testing"

func TestCheckText(t *testing.T) {
	for _, c := range []struct {
		in        string
		multiLine bool
		ok        bool
	}{
		{"", false, true}, {"Billing", false, true}, {"Grüße 🚀 – ok", false, true}, {"a\u2028b", false, true},
		{"a\x00b", false, false}, {"a\x00b", true, false}, {"a\xffb", false, false}, {"\xc3", true, false},
		{"a\tb", false, false}, {"a\nb", false, false}, {"a\r\n\tb", true, true}, {"a\x1bb", true, false},
		{"a\x7fb", false, false}, {"a\u0085b", true, false}, {"a\u009fb", false, false}, {"\ufeffa", false, true},
	} {
		msg := CheckText("name", c.in, c.multiLine)
		if (msg == "") != c.ok {
			t.Errorf("CheckText(%q, multiLine=%v) = %q, want ok=%v", c.in, c.multiLine, msg, c.ok)
		}
		if msg != "" && msg[:5] != "name " {
			t.Errorf("message %q does not name the field", msg)
		}
	}
}
