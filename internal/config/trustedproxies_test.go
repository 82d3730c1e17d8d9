package config

import (
	"io"
	"strings"
	"testing"
)

func TestTrustedProxies(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "HOOKBOARD_TRUSTED_PROXIES" {
				return v
			}
			return ""
		}
	}
	c, err := Load(nil, env(""), io.Discard)
	if err != nil || len(c.TrustedProxies) != 0 {
		t.Fatalf("default: %v %v", c.TrustedProxies, err)
	}
	c, err = Load(nil, env("10.0.0.0/8, 192.0.2.7 fd00::/8,::ffff:203.0.113.0/120"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range c.TrustedProxies {
		got = append(got, p.String())
	}
	if want := "10.0.0.0/8 192.0.2.7/32 fd00::/8 203.0.113.0/24"; strings.Join(got, " ") != want {
		t.Errorf("parsed %v, want %s", got, want)
	}
	// The flag wins over the environment.
	c, err = Load([]string{"-trusted-proxies", "127.0.0.1/32"}, env("10.0.0.0/8"), io.Discard)
	if err != nil || len(c.TrustedProxies) != 1 || c.TrustedProxies[0].String() != "127.0.0.1/32" {
		t.Errorf("flag: %v %v", c.TrustedProxies, err)
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example", "10.0.0.0/8;", "*"} {
		_, err := Load(nil, env(bad), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "HOOKBOARD_TRUSTED_PROXIES") {
			t.Errorf("%q: error %v does not name the setting", bad, err)
		}
	}
}
