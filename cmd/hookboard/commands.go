package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/hookboard/hookboard/internal/config"
	"github.com/hookboard/hookboard/internal/hook"
)

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(args, getenv, stderr)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, &cfg, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	defer st.Close()
	fmt.Fprintf(stdout, "Migrations applied (%s).\n", st.Dialect())
	return nil
}

func userAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hookboard user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the user's e-mail (required)")
	password := fs.String("password", "", "password, at least 10 characters (required for a new user)")
	appName := fs.String("app", "", "app name; created when no app has it (required)")
	role := fs.String("role", "", "admin or support (required)")
	dbURL := fs.String("database-url", "", "sqlite:PATH or postgres://… (default DATABASE_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" || *appName == "" || *role == "" {
		return fmt.Errorf("--email, --app and --role are required (usage: hookboard user add --email E --password P --app NAME --role admin|support)")
	}
	var cfgArgs []string
	if *dbURL != "" {
		cfgArgs = []string{"-database-url", *dbURL}
	}
	cfg, err := config.Load(cfgArgs, getenv, stderr)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, &cfg, slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.AddUser(ctx, *email, *password, *appName, hook.Role(*role))
	if err != nil {
		if hook.ErrorCode(err) == hook.EINTERNAL {
			return err
		}
		return fmt.Errorf("%s", hook.ErrorMessage(err))
	}
	what := "added to"
	switch {
	case res.RoleChange:
		what = "now has role " + string(res.Role) + " in"
	case !res.NewUser:
		what = "(existing user) is a member of"
	}
	if res.NewApp {
		fmt.Fprintf(stdout, "Created app %q (%s).\n", res.App.Name, res.App.ID)
	}
	fmt.Fprintf(stdout, "%s %s app %q as %s.\n", res.User.Email, what, res.App.Name, res.Role)
	return nil
}
