// Package storetest opens throwaway stores for tests: a temporary SQLite file,
// and, when TEST_DATABASE_URL is set, a fresh PostgreSQL schema dropped at the
// end of the test, so packages testing in parallel never share tables.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq"
	"golang.org/x/crypto/bcrypt"

	"github.com/hookboard/hookboard/internal/secretbox"
	"github.com/hookboard/hookboard/internal/store"
)

// Options tune a test store.
type Options struct {
	Now func() time.Time
}

// Box returns a secretbox with a fixed test key.
func Box(tb testing.TB) *secretbox.Box {
	tb.Helper()
	box, err := secretbox.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		tb.Fatal(err)
	}
	return box
}

// Dialects lists the databases tests should run on: SQLite always, and
// PostgreSQL when TEST_DATABASE_URL is set. In CI (CI=true) a missing
// TEST_DATABASE_URL fails the test instead of skipping PostgreSQL.
func Dialects(tb testing.TB) []string {
	tb.Helper()
	if os.Getenv("TEST_DATABASE_URL") != "" {
		return []string{store.SQLite, store.Postgres}
	}
	if os.Getenv("CI") == "true" {
		tb.Fatal("CI=true but TEST_DATABASE_URL is not set: the PostgreSQL suite must run in CI")
	}
	return []string{store.SQLite}
}

// Each runs fn once per dialect as a subtest, with a fresh store.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	EachWith(t, Options{}, fn)
}

// EachWith is Each with options, such as a clock.
func EachWith(t *testing.T, opts Options, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, d := range Dialects(t) {
		t.Run(d, func(t *testing.T) {
			fn(t, New(t, d, opts))
		})
	}
}

// Clock is a settable clock for tests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// New opens a migrated, empty store of the dialect, closed and removed when
// the test ends.
func New(tb testing.TB, dialect string, opts Options) *store.Store {
	tb.Helper()
	return Open(tb, DSN(tb, dialect), opts)
}

// Open opens a store on the database at dsn, closed when the test ends:
// one more store on a test's database plays another process.
func Open(tb testing.TB, dsn string, opts Options) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), dsn, store.Options{Box: Box(tb), Now: opts.Now, BcryptCost: bcrypt.MinCost})
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// DSN returns a DATABASE_URL for a fresh database of the dialect.
func DSN(tb testing.TB, dialect string) string {
	tb.Helper()
	switch dialect {
	case store.SQLite:
		return "sqlite:" + filepath.Join(tb.TempDir(), "test.db")
	case store.Postgres:
		return postgresSchema(tb)
	}
	tb.Fatalf("unknown dialect %q", dialect)
	return ""
}

func postgresSchema(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("CI=true but TEST_DATABASE_URL is not set")
		}
		tb.Skip("TEST_DATABASE_URL not set: skipping PostgreSQL")
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("postgres", base)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		tb.Fatalf("create schema on TEST_DATABASE_URL: %v", err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
