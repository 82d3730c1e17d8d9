// Package dburl reads Hookboard's DATABASE_URL: which database it names and
// what to hand that database's driver. It imports nothing of ours, so both
// config (to validate the setting) and store (to connect) can use it.
package dburl

import (
	"errors"
	"net/url"
	"strings"
)

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Default is the embedded database a new user gets.
const Default = "sqlite:hookboard.db"

// Parsed is a DATABASE_URL read.
type Parsed struct {
	Dialect    string // SQLite or Postgres
	DriverDSN  string // the data source name for the dialect's driver
	SQLitePath string // the database file, on SQLite (the key file goes beside it)
}

// Parse reads a DATABASE_URL: "sqlite:PATH" (the default, "sqlite:hookboard.db")
// or "postgres://…".
func Parse(dsn string) (Parsed, error) {
	if dsn == "" {
		dsn = Default
	}
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		u, err := url.Parse(dsn)
		if err != nil {
			return Parsed{}, errors.New("DATABASE_URL: not a valid postgres:// URL")
		}
		// One round trip per parameterised statement instead of two
		// (lib/pq otherwise prepares each one first).
		q := u.Query()
		if q.Get("binary_parameters") == "" {
			q.Set("binary_parameters", "yes")
			u.RawQuery = q.Encode()
		}
		return Parsed{Dialect: Postgres, DriverDSN: u.String()}, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		rest := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		path, query, _ := strings.Cut(rest, "?")
		if path == "" {
			return Parsed{}, errors.New("DATABASE_URL: sqlite: needs a file path, for example sqlite:hookboard.db")
		}
		q, err := url.ParseQuery(query)
		if err != nil {
			return Parsed{}, errors.New("DATABASE_URL: bad query string")
		}
		// Times as integer microseconds: exact, sortable and comparable.
		q.Set("_time_integer_format", "unix_micro")
		q.Set("_inttotime", "1")
		q.Set("_txlock", "immediate")
		for _, p := range []string{"foreign_keys(1)", "journal_mode(WAL)", "busy_timeout(10000)", "synchronous(NORMAL)"} {
			q.Add("_pragma", p)
		}
		return Parsed{Dialect: SQLite, DriverDSN: "file:" + path + "?" + q.Encode(), SQLitePath: path}, nil
	}
	return Parsed{}, errors.New("DATABASE_URL: must start with sqlite: or postgres://")
}
