package store

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// headersJSON writes what json.Marshal writes, byte for byte: sorted keys,
// null for a nil value, and every escape (quotes, control characters, <,
// > and &, U+2028, invalid UTF-8 as U+FFFD) as encoding/json does.
func TestHeadersJSONIsWhatJSONMarshalWrites(t *testing.T) {
	cases := []map[string][]string{
		nil,
		{},
		{"Content-Type": {"application/json"}, "Webhook-Id": {"01a20389-8f40-75f7-ac15-3807a69c6d9a"}},
		{"X-Empty": {}, "X-Nil": nil, "X-Two": {"a", "b"}, "X-Blank": {""}},
		{"X-Quote": {`say "hi" \ bye`}, "X-Html": {"<script>&amp;</script>"}, "X-Ctl": {"a\tb\nc\r\x00\x1f\x7f"}},
		{"X-Utf8": {"café — ☃", "\u2028\u2029"}, "X-Bad": {"\xff\xfe", "a\xc3"}, "\xe9-key": {"v"}},
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 500 {
		h := map[string][]string{}
		for range r.IntN(6) {
			var vs []string
			for range r.IntN(4) {
				vs = append(vs, randomBytes(r))
			}
			h[randomBytes(r)] = vs
		}
		cases = append(cases, h)
	}
	for _, h := range cases {
		want, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		if got := headersJSON(h); !bytes.Equal(got, want) {
			t.Fatalf("headersJSON(%q)\n got %s\nwant %s", h, got, want)
		}
	}
}

// randomBytes is a short string, mostly printable ASCII, sometimes any byte.
func randomBytes(r *rand.Rand) string {
	b := make([]byte, r.IntN(12))
	for i := range b {
		if r.IntN(4) == 0 {
			b[i] = byte(r.IntN(256))
		} else {
			b[i] = byte(0x20 + r.IntN(0x5f))
		}
	}
	return string(b)
}

func BenchmarkHeadersJSON(b *testing.B) {
	h := map[string][]string{"Content-Type": {"application/json"}, "User-Agent": {"Hookboard/1.0"},
		"Webhook-Id": {"01a20389-8f40-75f7-ac15-3807a69c6d9a"}, "Webhook-Timestamp": {"1764338400"},
		"Webhook-Signature": {"v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="}}
	b.Run("headersJSON", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			headersJSON(h)
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(h)
		}
	})
}
