package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/hookboard/hookboard/internal/assembly"
	"github.com/hookboard/hookboard/internal/config"
	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

func migrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := config.Load(args, getenv, stderr)
	if err != nil {
		return err
	}
	st, err := assembly.OpenStore(ctx, &cfg, slog.New(slog.NewTextHandler(stderr, nil)))
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
	st, err := openUserStore(ctx, *dbURL, getenv, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	// The operator chose the password: the user replaces it at the next sign-in.
	res, err := st.AddUserMustChange(ctx, *email, *password, *appName, hook.Role(*role))
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
	if *password != "" {
		fmt.Fprintf(stdout, "Password set; %s must choose their own at the next sign-in.\n", res.User.Email)
		if !res.NewUser {
			fmt.Fprintln(stdout, "Their sessions have ended.")
		}
	}
	return nil
}

// userPasswd sets a user's password as an operator: their sessions end and
// they choose their own at the next sign-in. It is the reset for a lost
// admin password. Without --password it asks on stdin (twice), where the
// typing shows: use it where nobody watches, or pipe the password in.
func userPasswd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hookboard user passwd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the user's e-mail (required)")
	password := fs.String("password", "", "new password, at least 10 characters (asked for when not given)")
	dbURL := fs.String("database-url", "", "sqlite:PATH or postgres://… (default DATABASE_URL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" || fs.NArg() > 0 {
		return fmt.Errorf("usage: hookboard user passwd --email E [--password P]")
	}
	pw := *password
	if pw == "" {
		var err error
		if pw, err = askPassword(stdin, stderr, *email); err != nil {
			return err
		}
	}
	if msg := hook.ValidatePassword(pw); msg != "" {
		return fmt.Errorf("%s", msg)
	}
	st, err := openUserStore(ctx, *dbURL, getenv, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.ResetPassword(ctx, *email, pw)
	if err != nil {
		if hook.ErrorCode(err) == hook.EINTERNAL {
			return err
		}
		return fmt.Errorf("%s", hook.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "Password of %s changed. Their sessions have ended; they choose their own password at the next sign-in.\n", u.Email)
	return nil
}

// askPassword reads the new password twice from stdin (a plain line read:
// the terminal shows what is typed).
func askPassword(stdin io.Reader, prompt io.Writer, email string) (string, error) {
	in := bufio.NewReader(stdin)
	read := func(label, missing string) (string, error) {
		fmt.Fprint(prompt, label)
		line, err := in.ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			return "", fmt.Errorf("%s", missing)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fmt.Fprintln(prompt, "The password is shown as you type it.")
	first, err := read("New password for "+email+": ", "no password given: type it when asked, pipe it in, or use --password")
	if err != nil {
		return "", err
	}
	if msg := hook.ValidatePassword(first); msg != "" {
		return "", fmt.Errorf("%s", msg)
	}
	again, err := read("Again: ", "the password was given only once: give it twice, on two lines, or use --password; nothing was changed")
	if err != nil {
		return "", err
	}
	if again != first {
		return "", fmt.Errorf("the two passwords are not the same; nothing was changed")
	}
	return first, nil
}

// openUserStore opens the database the user commands work on: --database-url,
// else DATABASE_URL, else hookboard.db, as the server would.
func openUserStore(ctx context.Context, dbURL string, getenv func(string) string, stderr io.Writer) (*store.Store, error) {
	var cfgArgs []string
	if dbURL != "" {
		cfgArgs = []string{"-database-url", dbURL}
	}
	cfg, err := config.Load(cfgArgs, getenv, stderr)
	if err != nil {
		return nil, err
	}
	return assembly.OpenStore(ctx, &cfg, slog.New(slog.NewTextHandler(stderr, nil)))
}
