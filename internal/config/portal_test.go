package config

import (
	"slices"
	"strings"
	"testing"
)

func TestFrameAncestors(t *testing.T) {
	got, err := ParseFrameAncestors("  https://App.Example.com https://shop.test:8443 http://localhost:3000 ")
	if err != nil || !slices.Equal(got, []string{"https://app.example.com", "https://shop.test:8443", "http://localhost:3000"}) {
		t.Errorf("got %q, %v", got, err)
	}
	for _, bad := range []string{"http://shop.test", "shop.test", "https://shop.test/path", "https://*.shop.test", "'self'", "*", "https://a.test;script-src", "https://u@a.test", "javascript:x"} {
		if _, err := ParseFrameAncestors(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if got, err := ParseFrameAncestors(""); err != nil || got != nil {
		t.Errorf("empty: %q, %v", got, err)
	}
}

func TestPublicURL(t *testing.T) {
	if got, err := ParsePublicURL("https://hooks.example.com/"); err != nil || got != "https://hooks.example.com" {
		t.Errorf("got %q, %v", got, err)
	}
	for _, bad := range []string{"hooks.example.com", "ftp://x", "https://x/?a=b", "https://"} {
		if _, err := ParsePublicURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	env := map[string]string{"HOOKBOARD_FRAME_ANCESTORS": "http://evil.test"}
	_, err := Load(nil, func(k string) string { return env[k] }, new(strings.Builder))
	if err == nil || !strings.Contains(err.Error(), "HOOKBOARD_FRAME_ANCESTORS") {
		t.Errorf("Load with a bad origin: %v", err)
	}
}
