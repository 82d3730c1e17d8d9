package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/assembly"
	"github.com/hookboard/hookboard/internal/config"
	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

// openTestStore opens the database the commands used, with their key file.
func openTestStore(t *testing.T, env func(string) string) *store.Store {
	t.Helper()
	cfg, err := config.Load(nil, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	st, err := assembly.OpenStore(context.Background(), &cfg, nopLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestUserPasswd(t *testing.T) {
	dir := t.TempDir()
	env := envFunc(map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(dir, "hb.db")})
	ctx := context.Background()
	if err := run(ctx, []string{"user", "add", "--email", "boss@example.com", "--password", "first password", "--app", "Shop", "--role", "admin"}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	st := openTestStore(t, env)
	u, err := st.Authenticate(ctx, "boss@example.com", "first password")
	if err != nil {
		t.Fatal(err)
	}
	if !u.MustChangePassword {
		t.Error("user add: a password the operator chose is not marked must-change")
	}
	tok, _ := st.CreateSession(ctx, u.ID, time.Hour)

	// With --password.
	var out bytes.Buffer
	if err := run(ctx, []string{"user", "passwd", "--email", "BOSS@example.com", "--password", "reset password"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Password of boss@example.com changed") || strings.Contains(out.String(), "reset password") {
		t.Errorf("passwd said %q", out.String())
	}
	if _, err := st.SessionUser(ctx, tok); hook.ErrorCode(err) != hook.EUNAUTHORIZED {
		t.Errorf("session alive after passwd: %v", err)
	}
	if u, err := st.Authenticate(ctx, "boss@example.com", "reset password"); err != nil || !u.MustChangePassword {
		t.Errorf("after passwd: %+v %v", u, err)
	}

	// Asked for on stdin, twice.
	tok, _ = st.CreateSession(ctx, u.ID, time.Hour)
	var prompt bytes.Buffer
	out.Reset()
	if err := userPasswd(ctx, []string{"--email", "boss@example.com"}, env, strings.NewReader("typed password\r\ntyped password\n"), &out, &prompt); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(prompt.String(), "New password for boss@example.com: ") || !strings.Contains(prompt.String(), "Again: ") {
		t.Errorf("prompt %q", prompt.String())
	}
	if _, err := st.Authenticate(ctx, "boss@example.com", "typed password"); err != nil {
		t.Errorf("typed password not set: %v", err)
	}
	if _, err := st.SessionUser(ctx, tok); err == nil {
		t.Error("session alive after the prompted passwd")
	}

	// Bad input: a clear message and an error, nothing changed.
	for _, tc := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"--email", "nobody@example.com", "--password", "long enough pw"}, "", "No user has the e-mail nobody@example.com"},
		{[]string{"--email", "boss@example.com", "--password", "short"}, "", "at least 10 characters"},
		{[]string{"--email", "boss@example.com"}, "one password\nanother one\n", "not the same"},
		{[]string{"--email", "boss@example.com"}, "short\n", "at least 10 characters"},
		{[]string{"--email", "boss@example.com"}, "", "no password given"},
		// Piped in once: the missing second line is named, not "no password".
		{[]string{"--email", "boss@example.com"}, "long enough pw\n", "give it twice"},
		{[]string{"--password", "long enough pw"}, "", "usage: hookboard user passwd"},
	} {
		err := userPasswd(ctx, tc.args, env, strings.NewReader(tc.stdin), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v with %q: error %v, want %q", tc.args, tc.stdin, err, tc.want)
		}
	}
	if _, err := st.Authenticate(ctx, "boss@example.com", "typed password"); err != nil {
		t.Errorf("bad input changed the password: %v", err)
	}
	// Through run, as from the shell: a non-nil error is exit code 1.
	if err := run(ctx, []string{"user", "passwd", "--email", "nobody@example.com", "--password", "long enough pw"}, env, io.Discard, io.Discard); err == nil {
		t.Error("unknown e-mail: no error")
	}
}

// TestUserAddExistingEndsSessions is issue 13's finding 3 from the command
// line: `hookboard user add` with a password on an existing account
// updated the hash only, leaving its sessions alive.
func TestUserAddExistingEndsSessions(t *testing.T) {
	dir := t.TempDir()
	env := envFunc(map[string]string{"DATABASE_URL": "sqlite:" + filepath.Join(dir, "hb.db")})
	ctx := context.Background()
	if err := run(ctx, []string{"user", "add", "--email", "sam@example.com", "--password", "first password", "--app", "Shop", "--role", "admin"}, env, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	st := openTestStore(t, env)
	u, _ := st.Authenticate(ctx, "sam@example.com", "first password")
	tok, _ := st.CreateSession(ctx, u.ID, time.Hour)
	var out bytes.Buffer
	if err := run(ctx, []string{"user", "add", "--email", "sam@example.com", "--password", "second password", "--app", "Shop", "--role", "admin"}, env, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SessionUser(ctx, tok); hook.ErrorCode(err) != hook.EUNAUTHORIZED {
		t.Errorf("session alive after user add changed the password: %v", err)
	}
	if u, err := st.Authenticate(ctx, "sam@example.com", "second password"); err != nil || !u.MustChangePassword {
		t.Errorf("after user add: %+v %v", u, err)
	}
	if !strings.Contains(out.String(), "Their sessions have ended.") {
		t.Errorf("user add said %q", out.String())
	}
}

func nopLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
