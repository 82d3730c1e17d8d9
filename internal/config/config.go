// Package config loads Hookboard's settings from flags and HOOKBOARD_*
// environment variables (flags win) and validates them, naming the setting
// at fault.
package config

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hookboard/hookboard/internal/dburl"
	"github.com/hookboard/hookboard/internal/secretbox"
)

// Config is every setting of the server.
type Config struct {
	Addr                string
	DatabaseURL         string
	SessionKey          []byte
	EncryptionKey       []byte
	DeliveryTimeout     time.Duration
	Workers             int
	Retention           time.Duration
	SessionLifetime     time.Duration
	HTTP                HTTPTimeouts // how long the HTTP server waits on a client
	AllowPrivateTargets bool
	AllowHTTPTargets    bool
	SecureCookies       bool
	Demo                bool
	AdminEmail          string
	AdminPassword       string
	// RetrySchedule replaces the waits before each retry
	// (HOOKBOARD_RETRY_SCHEDULE, development and tests only); nil: built in.
	RetrySchedule []time.Duration
	KeyFile       string // where generated keys live, when keys were not given
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed; empty: none.
	TrustedProxies []netip.Prefix
	// RecoveryRate is how many requests per second a recovery job sends to
	// each webhook (HOOKBOARD_RECOVERY_RATE; recovery.go).
	RecoveryRate int
	// PublicURL is the base of portal links (HOOKBOARD_PUBLIC_URL); empty:
	// the request's scheme and host.
	PublicURL string
	// FrameAncestors are the origins that may embed portal pages in an
	// iframe (HOOKBOARD_FRAME_ANCESTORS); empty: no page may be framed.
	FrameAncestors []string
}

// PrintDefaults writes the server's flags with their variables and defaults.
func PrintDefaults(w io.Writer, getenv func(string) string) {
	var c Config
	fs, _ := flags(&c, getenv, w)
	fs.PrintDefaults()
}

// Load parses args (without the program name) and the environment.
func Load(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	fs, raw := flags(&c, getenv, stderr)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return finish(c, fs, raw, getenv)
}

type rawFlags struct {
	sessionKey, encKey, timeout, retention, lifetime, workers, allowPrivate, allowHTTP, secure string

	// the HTTP server's timeouts
	readHeaderTimeout, readTimeout, writeTimeout, idleTimeout, shutdownTimeout string
	trustedProxies                                                             string
	recoveryRate                                                               string
	publicURL, frameAncestors                                                  string
}

func flags(c *Config, getenv func(string) string, stderr io.Writer) (*flag.FlagSet, *rawFlags) {
	fs := flag.NewFlagSet("hookboard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	raw := &rawFlags{}
	fs.StringVar(&c.Addr, "addr", env("HOOKBOARD_ADDR", ":8080"), "listen address (HOOKBOARD_ADDR)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", dburl.Default), "sqlite:PATH or postgres://… (DATABASE_URL)")
	// Keys are read from the environment after parsing, so no usage text
	// ever prints one as a default.
	fs.StringVar(&raw.sessionKey, "session-key", "", "base64 of 32 random bytes for session cookies (HOOKBOARD_SESSION_KEY)")
	fs.StringVar(&raw.encKey, "encryption-key", "", "base64 of 32 random bytes for secrets at rest (HOOKBOARD_ENCRYPTION_KEY)")
	fs.StringVar(&raw.timeout, "delivery-timeout", env("HOOKBOARD_DELIVERY_TIMEOUT", "2s"), "per-request delivery timeout (HOOKBOARD_DELIVERY_TIMEOUT)")
	fs.StringVar(&raw.workers, "workers", env("HOOKBOARD_WORKERS", "128"), "concurrent deliveries (HOOKBOARD_WORKERS)")
	fs.StringVar(&raw.recoveryRate, "recovery-rate", env("HOOKBOARD_RECOVERY_RATE", "20"), "requests per second a recovery job sends to each webhook (HOOKBOARD_RECOVERY_RATE)")
	fs.StringVar(&raw.retention, "retention", env("HOOKBOARD_RETENTION", "720h"), "how long events and deliveries are kept (HOOKBOARD_RETENTION)")
	fs.StringVar(&raw.lifetime, "session-lifetime", env("HOOKBOARD_SESSION_LIFETIME", "12h"), "how long a sign-in lasts (HOOKBOARD_SESSION_LIFETIME)")
	fs.StringVar(&raw.readHeaderTimeout, "read-header-timeout", env("HOOKBOARD_READ_HEADER_TIMEOUT", "10s"), "time a client has to send a request's headers (HOOKBOARD_READ_HEADER_TIMEOUT)")
	fs.StringVar(&raw.readTimeout, "read-timeout", env("HOOKBOARD_READ_TIMEOUT", "60s"), "time a client has to send a whole request, body included (HOOKBOARD_READ_TIMEOUT)")
	fs.StringVar(&raw.writeTimeout, "write-timeout", env("HOOKBOARD_WRITE_TIMEOUT", "120s"), "time from a request's headers to the end of its answer (HOOKBOARD_WRITE_TIMEOUT)")
	fs.StringVar(&raw.idleTimeout, "idle-timeout", env("HOOKBOARD_IDLE_TIMEOUT", "120s"), "how long a kept-alive connection may wait for its next request (HOOKBOARD_IDLE_TIMEOUT)")
	fs.StringVar(&raw.shutdownTimeout, "shutdown-timeout", env("HOOKBOARD_SHUTDOWN_TIMEOUT", "10s"), "on SIGINT/SIGTERM, how long requests in flight may finish before their connections are closed (HOOKBOARD_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&raw.allowPrivate, "allow-private-targets", env("HOOKBOARD_ALLOW_PRIVATE_TARGETS", "false"), "development only: deliver to loopback and private addresses (HOOKBOARD_ALLOW_PRIVATE_TARGETS)")
	fs.StringVar(&raw.allowHTTP, "allow-http-targets", env("HOOKBOARD_ALLOW_HTTP_TARGETS", "false"), "development only: allow plain http:// URLs (HOOKBOARD_ALLOW_HTTP_TARGETS)")
	fs.StringVar(&raw.secure, "secure-cookies", env("HOOKBOARD_SECURE_COOKIES", "false"), "mark cookies Secure, for a server behind a TLS proxy (HOOKBOARD_SECURE_COOKIES)")
	fs.StringVar(&raw.trustedProxies, "trusted-proxies", env("HOOKBOARD_TRUSTED_PROXIES", ""), "CIDRs of reverse proxies whose X-Forwarded-For/-Proto are believed, comma or space separated (HOOKBOARD_TRUSTED_PROXIES)")
	fs.StringVar(&raw.publicURL, "public-url", env("HOOKBOARD_PUBLIC_URL", ""), "base URL of portal links, e.g. https://hooks.example.com (HOOKBOARD_PUBLIC_URL; default: the request's)")
	fs.StringVar(&raw.frameAncestors, "frame-ancestors", env("HOOKBOARD_FRAME_ANCESTORS", ""), "space-separated origins that may embed portal pages in an iframe (HOOKBOARD_FRAME_ANCESTORS)")
	fs.BoolVar(&c.Demo, "demo", false, "fill a demo app and keep events flowing")
	return fs, raw
}

func finish(c Config, fs *flag.FlagSet, raw *rawFlags, getenv func(string) string) (Config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	sessionKey, encKey, timeout, retention, lifetime, workers := raw.sessionKey, raw.encKey, raw.timeout, raw.retention, raw.lifetime, raw.workers
	if sessionKey == "" {
		sessionKey = getenv("HOOKBOARD_SESSION_KEY")
	}
	if encKey == "" {
		encKey = getenv("HOOKBOARD_ENCRYPTION_KEY")
	}
	allowPrivate, allowHTTP, secure := raw.allowPrivate, raw.allowHTTP, raw.secure
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q (commands: serve, migrate, user add)", fs.Arg(0))
	}
	c.AdminEmail = env("HOOKBOARD_ADMIN_EMAIL", "admin@localhost")
	c.AdminPassword = getenv("HOOKBOARD_ADMIN_PASSWORD")

	var errs []error
	bad := func(setting, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{setting}, args...)...))
	}
	if _, err := dburl.Parse(c.DatabaseURL); err != nil {
		errs = append(errs, err)
	}
	var err error
	if c.DeliveryTimeout, err = time.ParseDuration(timeout); err != nil || c.DeliveryTimeout <= 0 || c.DeliveryTimeout > 5*time.Minute {
		bad("HOOKBOARD_DELIVERY_TIMEOUT", "%q is not a duration between 0 and 5m (for example 2s)", timeout)
	}
	parseLimits(&c, workers, retention, lifetime, bad)
	if c.RetrySchedule, err = parseRetrySchedule(getenv("HOOKBOARD_RETRY_SCHEDULE")); err != nil {
		bad("HOOKBOARD_RETRY_SCHEDULE", "%v (for example 5s,5m,30m)", err)
	}
	c.HTTP, errs = parseHTTPTimeouts(raw, c.DeliveryTimeout, errs)
	parseSwitches(&c, allowPrivate, allowHTTP, secure, bad)
	if c.TrustedProxies, err = ParseTrustedProxies(raw.trustedProxies); err != nil {
		bad("HOOKBOARD_TRUSTED_PROXIES", "%v", err)
	}
	parseKeys(&c, sessionKey, encKey, bad)
	parseRecoveryRate(&c, raw.recoveryRate, bad)
	parsePortal(&c, raw, bad)
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	c.KeyFile = keyFilePath(c.DatabaseURL)
	return c, nil
}

// badSetting records that setting's value is wrong; Load reports every one.
type badSetting func(setting, format string, args ...any)

// parseLimits reads the worker count, the retention and the session lifetime
// into c, each within its bounds.
func parseLimits(c *Config, workers, retention, lifetime string, bad badSetting) {
	var err error
	if c.Workers, err = strconv.Atoi(workers); err != nil || c.Workers < 1 || c.Workers > 1024 {
		bad("HOOKBOARD_WORKERS", "%q is not a number from 1 to 1024", workers)
	}
	if c.Retention, err = parseDays(retention); err != nil || c.Retention < time.Hour {
		bad("HOOKBOARD_RETENTION", "%q is not a duration of at least 1h (for example 720h or 30d)", retention)
	}
	if c.SessionLifetime, err = time.ParseDuration(lifetime); err != nil || c.SessionLifetime < time.Minute || c.SessionLifetime > 30*24*time.Hour {
		bad("HOOKBOARD_SESSION_LIFETIME", "%q is not a duration between 1m and 720h", lifetime)
	}
}

// parseSwitches reads the true/false settings into c.
func parseSwitches(c *Config, allowPrivate, allowHTTP, secure string, bad badSetting) {
	for _, b := range []struct {
		setting, value string
		dst            *bool
	}{
		{"HOOKBOARD_ALLOW_PRIVATE_TARGETS", allowPrivate, &c.AllowPrivateTargets},
		{"HOOKBOARD_ALLOW_HTTP_TARGETS", allowHTTP, &c.AllowHTTPTargets},
		{"HOOKBOARD_SECURE_COOKIES", secure, &c.SecureCookies},
	} {
		var err error
		if *b.dst, err = strconv.ParseBool(b.value); err != nil {
			bad(b.setting, "%q is not true or false", b.value)
		}
	}
}

// parseKeys reads the session and encryption keys that were given; the
// others EnsureKeys fills in later.
func parseKeys(c *Config, sessionKey, encKey string, bad badSetting) {
	var err error
	if sessionKey != "" {
		if c.SessionKey, err = secretbox.ParseKey(sessionKey); err != nil {
			bad("HOOKBOARD_SESSION_KEY", "%v (make one with: openssl rand -base64 32)", err)
		}
	}
	if encKey != "" {
		if c.EncryptionKey, err = secretbox.ParseKey(encKey); err != nil {
			bad("HOOKBOARD_ENCRYPTION_KEY", "%v (make one with: openssl rand -base64 32)", err)
		}
	}
}

// ParseTrustedProxies reads CIDRs separated by commas or spaces; a bare
// address counts as its own /32 or /128.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not a CIDR (for example 10.0.0.0/8, 192.0.2.7/32 or fd00::/8)", f)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// parseDays accepts Go durations and whole days ("30d").
func parseDays(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// keyFilePath puts generated keys beside the SQLite database, or in the
// working folder for PostgreSQL.
func keyFilePath(dsn string) string {
	u, err := dburl.Parse(dsn)
	if err != nil || u.Dialect != dburl.SQLite {
		return "hookboard.keys"
	}
	return u.SQLitePath + ".keys"
}

// EnsureKeys fills in keys that were not configured from the key file,
// generating the file (mode 0600) when it does not exist. It reports whether
// the file was created.
func (c *Config) EnsureKeys() (created bool, err error) {
	if c.SessionKey != nil && c.EncryptionKey != nil {
		return false, nil
	}
	keys, err := readKeyFile(c.KeyFile)
	if errors.Is(err, os.ErrNotExist) {
		keys = map[string]string{
			"HOOKBOARD_SESSION_KEY":    secretbox.NewKey(),
			"HOOKBOARD_ENCRYPTION_KEY": secretbox.NewKey(),
		}
		if err := writeKeyFile(c.KeyFile, keys); err != nil {
			return false, err
		}
		created = true
	} else if err != nil {
		return false, err
	}
	for name, dst := range map[string]*[]byte{"HOOKBOARD_SESSION_KEY": &c.SessionKey, "HOOKBOARD_ENCRYPTION_KEY": &c.EncryptionKey} {
		if *dst != nil {
			continue
		}
		k, err := secretbox.ParseKey(keys[name])
		if err != nil {
			return false, fmt.Errorf("key file %s: %s %v", c.KeyFile, name, err)
		}
		*dst = k
	}
	return created, nil
}

func readKeyFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s: permissions %v are too open; run chmod 600 %s", path, st.Mode().Perm(), path)
	}
	keys := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("key file %s: a line is not NAME=value", path)
		}
		keys[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return keys, sc.Err()
}

func writeKeyFile(path string, keys map[string]string) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create key file: %w", err)
	}
	fmt.Fprintf(f, "# Hookboard keys, generated %s. Keep this file: without the encryption\n# key the stored signing secrets and credentials cannot be read.\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(f, "HOOKBOARD_SESSION_KEY=%s\nHOOKBOARD_ENCRYPTION_KEY=%s\n", keys["HOOKBOARD_SESSION_KEY"], keys["HOOKBOARD_ENCRYPTION_KEY"])
	return f.Close()
}

// HTTPTimeouts bound how long the HTTP server waits on a client, so slow or
// idle connections cannot pile up. Zero means "no limit" to net/http, so
// none of them may be zero.
type HTTPTimeouts struct {
	ReadHeader time.Duration // request line and headers
	Read       time.Duration // the whole request, headers and body
	Write      time.Duration // from the end of the headers to the end of the answer
	Idle       time.Duration // a kept-alive connection between requests
	Shutdown   time.Duration // grace for requests in flight at shutdown
}

func parseHTTPTimeouts(raw *rawFlags, deliveryTimeout time.Duration, errs []error) (HTTPTimeouts, []error) {
	var t HTTPTimeouts
	parsed := true
	for _, d := range []struct {
		setting, value string
		dst            *time.Duration
	}{
		{"HOOKBOARD_READ_HEADER_TIMEOUT", raw.readHeaderTimeout, &t.ReadHeader},
		{"HOOKBOARD_READ_TIMEOUT", raw.readTimeout, &t.Read},
		{"HOOKBOARD_WRITE_TIMEOUT", raw.writeTimeout, &t.Write},
		{"HOOKBOARD_IDLE_TIMEOUT", raw.idleTimeout, &t.Idle},
		{"HOOKBOARD_SHUTDOWN_TIMEOUT", raw.shutdownTimeout, &t.Shutdown},
	} {
		v, err := time.ParseDuration(d.value)
		if err != nil || v <= 0 || v > time.Hour {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration between 0 and 1h (for example 30s)", d.setting, d.value))
			parsed = false
			continue
		}
		*d.dst = v
	}
	if !parsed {
		return t, errs
	}
	if t.ReadHeader > t.Read {
		errs = append(errs, fmt.Errorf("HOOKBOARD_READ_HEADER_TIMEOUT: %v is longer than HOOKBOARD_READ_TIMEOUT (%v), which covers the headers too", t.ReadHeader, t.Read))
	}
	// The write deadline starts once the headers are in, so an upload that
	// takes the whole read timeout must still have time to get its answer.
	if t.Write < t.Read {
		errs = append(errs, fmt.Errorf("HOOKBOARD_WRITE_TIMEOUT: %v is shorter than HOOKBOARD_READ_TIMEOUT (%v): a slow upload would lose its answer", t.Write, t.Read))
	}
	// Send test event and Resend deliver while their request waits.
	if t.Write <= deliveryTimeout {
		errs = append(errs, fmt.Errorf("HOOKBOARD_WRITE_TIMEOUT: %v is not longer than HOOKBOARD_DELIVERY_TIMEOUT (%v): a test event or resend would lose its answer", t.Write, deliveryTimeout))
	}
	return t, errs
}
