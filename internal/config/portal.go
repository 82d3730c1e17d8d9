package config

import (
	"fmt"
	"net/url"
	"strings"
)

// parsePortal reads HOOKBOARD_PUBLIC_URL and HOOKBOARD_FRAME_ANCESTORS.
func parsePortal(c *Config, raw *rawFlags, bad badSetting) {
	var err error
	if c.PublicURL, err = ParsePublicURL(raw.publicURL); err != nil {
		bad("HOOKBOARD_PUBLIC_URL", "%v", err)
	}
	if c.FrameAncestors, err = ParseFrameAncestors(raw.frameAncestors); err != nil {
		bad("HOOKBOARD_FRAME_ANCESTORS", "%v", err)
	}
}

// ParsePublicURL checks the base of portal links: an http(s) URL with a
// host and nothing after the path; the trailing slash is dropped.
func ParsePublicURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("%q is not a base URL such as https://hooks.example.com", s)
	}
	return strings.TrimRight(s, "/"), nil
}

// ParseFrameAncestors reads space-separated origins (scheme://host[:port],
// no path). Each must be https, or http on localhost for development: the
// portal's cookies in a frame need Secure, so a plain-http parent page
// elsewhere could never keep a session anyway.
func ParseFrameAncestors(s string) ([]string, error) {
	var out []string
	for _, o := range strings.Fields(s) {
		u, err := url.Parse(o)
		if err != nil || u.Host == "" || u.Hostname() == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" ||
			strings.ContainsAny(u.Host, "*;,'\"") {
			return nil, fmt.Errorf("%q is not an origin such as https://app.example.com", o)
		}
		switch {
		case u.Scheme == "https":
		case u.Scheme == "http" && isLocalhost(u.Hostname()):
		default:
			return nil, fmt.Errorf("%q must be https:// (http:// only for localhost)", o)
		}
		out = append(out, u.Scheme+"://"+strings.ToLower(u.Host))
	}
	return out, nil
}

func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1" || strings.HasSuffix(host, ".localhost")
}
