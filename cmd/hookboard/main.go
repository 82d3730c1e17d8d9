// Command hookboard serves the Hookboard dashboard and API.
//
//	hookboard [flags]                 serve (the default)
//	hookboard migrate [flags]         apply database migrations and exit
//	hookboard user add --email E --password P --app NAME --role admin|support
//	hookboard user passwd --email E [--password P]
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/hookboard/hookboard/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hookboard:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "serve":
			return serve(ctx, args[1:], getenv, stdout, stderr)
		case "migrate":
			return migrate(ctx, args[1:], getenv, stdout, stderr)
		case "user":
			switch {
			case len(args) >= 2 && args[1] == "add":
				return userAdd(ctx, args[2:], getenv, stdout, stderr)
			case len(args) >= 2 && args[1] == "passwd":
				return userPasswd(ctx, args[2:], getenv, os.Stdin, stdout, stderr)
			}
			return fmt.Errorf("usage: hookboard user add --email E --password P --app NAME --role admin|support\n       hookboard user passwd --email E [--password P]")
		case "help", "-h", "-help", "--help":
			fmt.Fprint(stdout, usage)
			fmt.Fprintln(stdout, "\nServer flags:")
			config.PrintDefaults(stdout, getenv)
			return nil
		}
	}
	return serve(ctx, args, getenv, stdout, stderr)
}

const usage = `Hookboard: outgoing webhooks, signed, retried and recorded.

Usage:
  hookboard [flags]              serve the dashboard and API (default :8080, SQLite)
  hookboard migrate [flags]      apply database migrations and exit
  hookboard user add --email E [--password P] --app NAME --role admin|support
                                 add a user to an app (creating either as needed)
  hookboard user passwd --email E [--password P]
                                 set a user's password (asked for when not given),
                                 end their sessions; they choose their own at the
                                 next sign-in. The reset for a lost admin password.

Each server flag has an environment variable (in parentheses); the flag wins.
`
