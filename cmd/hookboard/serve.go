package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"strings"
	"unicode/utf8"

	"github.com/hookboard/hookboard/internal/assembly"
	"github.com/hookboard/hookboard/internal/config"
	"github.com/hookboard/hookboard/internal/demo"
	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/logbuf"
	"github.com/hookboard/hookboard/internal/store"
)

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(args, getenv, stderr)
	if err != nil {
		return err
	}
	config.TuneGC(getenv)
	// The log is written in batches (logbuf); what serve prints itself goes
	// through the same writer, so it stays in order with the log lines.
	out := logbuf.New(stdout)
	defer out.Flush()
	p, err := assembly.Open(ctx, cfg, assembly.WithLogOutput(out))
	if err != nil {
		return err
	}
	defer p.Close()
	password, err := bootstrap(ctx, p.Store(), cfg, out)
	if err != nil {
		return err
	}
	startBox(out, startLines(cfg, p.Addr(), password))
	return p.Run(ctx)
}

// startLines say where to sign in (a URL a terminal makes clickable) and,
// on the first start or in the demo, as whom.
func startLines(cfg config.Config, addr, password string) []string {
	lines := []string{"Hookboard is running: open " + localURL(addr) + "/login"}
	if cfg.Demo {
		lines[0] = "Hookboard demo: open " + localURL(addr) + "/login"
		lines = append(lines, "The Demo app starts with a day of history; an event every 2 s.")
	}
	switch {
	case password != "":
		lines = append(lines, "E-mail:   "+cfg.AdminEmail, "Generated password (shown only now; sign in and keep it safe): "+password)
	case cfg.Demo && cfg.AdminPassword != "":
		lines = append(lines, "E-mail:   "+cfg.AdminEmail, "Password: the one in HOOKBOARD_ADMIN_PASSWORD.")
	case cfg.Demo:
		lines = append(lines, "E-mail:   "+cfg.AdminEmail, "Password: as printed at the first start; to set a new one:",
			"  go run ./cmd/hookboard user passwd --email "+cfg.AdminEmail)
	}
	return lines
}

// localURL is the address as a browser on this machine reaches it.
func localURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	switch host {
	case "", "0.0.0.0", "::", "127.0.0.1", "::1":
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// startBox prints lines in a box, so they stand out from the log lines.
func startBox(w io.Writer, lines []string) {
	width := 0
	for _, l := range lines {
		width = max(width, utf8.RuneCountInString(l))
	}
	bar := strings.Repeat("─", width+2)
	fmt.Fprintf(w, "\n┌%s┐\n", bar)
	for _, l := range lines {
		fmt.Fprintf(w, "│ %s%s │\n", l, strings.Repeat(" ", width-utf8.RuneCountInString(l)))
	}
	fmt.Fprintf(w, "└%s┘\n\n", bar)
}

// bootstrap creates the first admin and app on an empty database; it
// returns the password it generated, if it did.
func bootstrap(ctx context.Context, st *store.Store, cfg config.Config, stdout io.Writer) (string, error) {
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	password, generated := cfg.AdminPassword, false
	if password == "" {
		password, generated = rand.Text(), true
	}
	appName := "Default"
	if cfg.Demo {
		appName = demo.AppName
	}
	res, err := st.AddUser(ctx, cfg.AdminEmail, password, appName, hook.RoleAdmin)
	if err != nil {
		return "", fmt.Errorf("create the first admin (HOOKBOARD_ADMIN_EMAIL / HOOKBOARD_ADMIN_PASSWORD): %w", err)
	}
	fmt.Fprintf(stdout, "\nFirst start: created app %q and admin user %s.\n", res.App.Name, res.User.Email)
	if !generated {
		fmt.Fprintf(stdout, "Password: the one in HOOKBOARD_ADMIN_PASSWORD.\n")
		return "", nil
	}
	// Printed once, on purpose, in the start box: the operator needs it
	// to sign in.
	return password, nil
}
