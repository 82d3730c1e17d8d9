package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer collects output written by the server goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// TestServeEndToEnd starts the real program on a temporary SQLite database,
// signs in as the bootstrapped admin and stops it with its context.
func TestServeEndToEnd(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	env := envFunc(map[string]string{
		"DATABASE_URL":             "sqlite:" + filepath.Join(dir, "hb.db"),
		"HOOKBOARD_ADDR":           addr,
		"HOOKBOARD_ADMIN_EMAIL":    "boss@example.com",
		"HOOKBOARD_ADMIN_PASSWORD": "a long enough password",
	})
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, env, &out, io.Discard) }()
	base := "http://" + addr
	waitReady(t, base+"/readyz", done)

	st, err := os.Stat(filepath.Join(dir, "hb.db.keys"))
	if err != nil {
		t.Fatalf("key file: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	if !strings.Contains(out.String(), "created app \"Default\" and admin user boss@example.com") {
		t.Errorf("bootstrap not reported:\n%s", out.String())
	}
	if strings.Contains(out.String(), "a long enough password") {
		t.Error("a configured password was logged")
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(base+"/login", url.Values{"email": {"boss@example.com"}, "password": {"a long enough password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Sign-in lands on the app's overview, /apps/{appID}.
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.Path, "/apps/") || strings.Count(resp.Request.URL.Path, "/") != 2 {
		t.Errorf("after sign-in: %d at %s", resp.StatusCode, resp.Request.URL.Path)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("server did not stop")
	}

	// A second start reuses the database and the keys: no new admin.
	out = syncBuffer{}
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { done <- run(ctx2, nil, env, &out, io.Discard) }()
	waitReady(t, base+"/readyz", done)
	cancel2()
	<-done
	if strings.Contains(out.String(), "First start") {
		t.Error("second start bootstrapped again")
	}
	// Every start prints where to sign in, as a URL a terminal can open.
	_, port, _ := net.SplitHostPort(addr)
	if !strings.Contains(out.String(), "│ Hookboard is running: open http://localhost:"+port+"/login ") {
		t.Errorf("no sign-in URL at the second start:\n%s", out.String())
	}
}

func TestGeneratedAdminPasswordPrintedOnce(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	env := envFunc(map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(dir, "hb.db"), "HOOKBOARD_ADDR": addr})
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, env, &out, io.Discard) }()
	waitReady(t, "http://"+addr+"/readyz", done)
	cancel()
	<-done
	_, pw, ok := strings.Cut(out.String(), "Generated password (shown only now; sign in and keep it safe): ")
	if !ok {
		t.Fatalf("no generated password in output:\n%s", out.String())
	}
	pw, _, _ = strings.Cut(pw, "\n")
	pw = strings.Fields(pw)[0] // the start box's border follows
	if len(pw) < 16 {
		t.Errorf("generated password %q is short", pw)
	}
	if !strings.Contains(out.String(), "admin@localhost") {
		t.Error("default admin e-mail not used")
	}
}

func waitReady(t *testing.T, u string, done chan error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("server exited: %v", err)
		default:
		}
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("server not ready")
}

func TestBadConfigNamesTheSetting(t *testing.T) {
	dir := t.TempDir()
	for setting, value := range map[string]string{
		"HOOKBOARD_ENCRYPTION_KEY":        "too-short",
		"HOOKBOARD_DELIVERY_TIMEOUT":      "soon",
		"HOOKBOARD_WORKERS":               "0",
		"HOOKBOARD_ALLOW_PRIVATE_TARGETS": "maybe",
		"DATABASE_URL":                    "mysql://x",
	} {
		env := map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(dir, "x.db"), "HOOKBOARD_ADDR": "127.0.0.1:0", setting: value}
		err := run(context.Background(), nil, envFunc(env), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), setting) {
			t.Errorf("%s=%s: err = %v, want it to name the setting", setting, value, err)
		}
	}
}

func TestMigrateAndUserAdd(t *testing.T) {
	dir := t.TempDir()
	env := envFunc(map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(dir, "hb.db")})
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"migrate"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Migrations applied") {
		t.Errorf("migrate said %q", out.String())
	}
	out.Reset()
	err := run(ctx, []string{"user", "add", "--email", "sam@example.com", "--password", "sam's password", "--app", "Shop", "--role", "support"}, env, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `Created app "Shop"`) || !strings.Contains(out.String(), `sam@example.com added to app "Shop" as support`) {
		t.Errorf("user add said %q", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"user", "add", "--email", "sam@example.com", "--app", "Shop", "--role", "admin"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "now has role admin") {
		t.Errorf("role change said %q", out.String())
	}
	for _, args := range [][]string{
		{"user", "add", "--email", "x@example.com", "--app", "Shop"},                                                    // new user, no password
		{"user", "add", "--email", "x@example.com", "--password", "long enough pw", "--app", "Shop", "--role", "owner"}, // bad role
		{"user", "add", "--app", "Shop"},
		{"user", "remove"},
	} {
		if err := run(ctx, args, env, io.Discard, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestHelpListsFlagsWithoutSecrets(t *testing.T) {
	var out bytes.Buffer
	env := envFunc(map[string]string{"HOOKBOARD_ENCRYPTION_KEY": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI="})
	if err := run(context.Background(), []string{"-h"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"-database-url", "HOOKBOARD_DELIVERY_TIMEOUT", "user add"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
	if strings.Contains(out.String(), "c2VjcmV0") {
		t.Error("help printed a key")
	}
}

// SQLite serves one process at a time: a second server on the same file
// stops at start with a message naming the setting, instead of taking
// over the first one's deliveries.
func TestSecondServerOnOneSQLiteFileRefused(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{
		"DATABASE_URL":             "sqlite:" + filepath.Join(dir, "hb.db"),
		"HOOKBOARD_ADMIN_EMAIL":    "boss@example.com",
		"HOOKBOARD_ADMIN_PASSWORD": "a long enough password",
	}
	first := freeAddr(t)
	vars["HOOKBOARD_ADDR"] = first
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, envFunc(vars), io.Discard, io.Discard) }()
	defer func() { cancel(); <-done }()
	waitReady(t, "http://"+first+"/readyz", done)

	second := map[string]string{}
	for k, v := range vars {
		second[k] = v
	}
	second["HOOKBOARD_ADDR"] = freeAddr(t)
	err := run(context.Background(), nil, envFunc(second), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL: another Hookboard process is already serving") {
		t.Fatalf("second server: %v", err)
	}
}
