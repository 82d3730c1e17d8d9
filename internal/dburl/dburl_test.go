package dburl_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/hookboard/hookboard/internal/dburl"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, dialect, path string
		driver            []string // substrings of the driver's DSN
	}{
		{"", dburl.SQLite, "hookboard.db", []string{"file:hookboard.db?", "_txlock=immediate", "_time_integer_format=unix_micro"}},
		{"sqlite:data/hb.db", dburl.SQLite, "data/hb.db", []string{"file:data/hb.db?", url.QueryEscape("journal_mode(WAL)")}},
		{"sqlite://hb.db?cache=shared", dburl.SQLite, "hb.db", []string{"file:hb.db?", "cache=shared"}},
		{"postgres://u@h:5432/db?sslmode=disable", dburl.Postgres, "", []string{"postgres://u@h:5432/db?", "binary_parameters=yes", "sslmode=disable"}},
		{"postgresql://u@h/db?binary_parameters=no", dburl.Postgres, "", []string{"binary_parameters=no"}},
	} {
		got, err := dburl.Parse(tc.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		if got.Dialect != tc.dialect || got.SQLitePath != tc.path {
			t.Errorf("Parse(%q) = %+v, want dialect %s and path %q", tc.in, got, tc.dialect, tc.path)
		}
		for _, sub := range tc.driver {
			if !strings.Contains(got.DriverDSN, sub) {
				t.Errorf("Parse(%q).DriverDSN = %q, want it to contain %q", tc.in, got.DriverDSN, sub)
			}
		}
	}
	for _, bad := range []string{"mysql://x", "sqlite:", "sqlite:x.db?%zz", "postgres://%zz"} {
		if _, err := dburl.Parse(bad); err == nil || !strings.HasPrefix(err.Error(), "DATABASE_URL: ") {
			t.Errorf("Parse(%q) = %v, want a DATABASE_URL error", bad, err)
		}
	}
}
