// Package store keeps Hookboard's data in SQLite or PostgreSQL through sqlx.
// Each exported method runs in its own transaction; SQL uses ? placeholders
// rebound for the dialect, and the few dialect-specific statements are named.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/crypto/bcrypt"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hookboard/hookboard/internal/dburl"
	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/secretbox"
	"github.com/hookboard/hookboard/migrations"
)

// Dialects (the names storetest and the tests use).
const (
	SQLite   = dburl.SQLite
	Postgres = dburl.Postgres
)

// Options configure a Store.
type Options struct {
	// Box seals secrets and outbound credentials. Required.
	Box *secretbox.Box
	// Now returns the current time; tests inject a clock. Defaults to time.Now.
	Now func() time.Time
	// BcryptCost for password hashes; defaults to bcrypt.DefaultCost.
	BcryptCost int
}

// Store is the one storage type.
type Store struct {
	db         *sqlx.DB
	sqlDialect dialect // what differs between SQLite and PostgreSQL
	// writer, on SQLite, is held by each write transaction of the store:
	// SQLite takes one writer at a time, and a writer that finds the file
	// locked polls with sleeps of 1 to 100 ms (busy_timeout). Queued here
	// instead, the next transaction begins as soon as the last commits.
	writer     chan struct{}
	box        *secretbox.Box
	nowFunc    func() time.Time
	bcryptCost int

	keyCache        sync.Map   // API key hash → cachedKey
	typeCache       sync.Map   // app + event type → when found active
	okHooks         sync.Map   // webhook id → when its failing_since was last cleared
	pol             policies   // endpoint policies: cache, rate-limit deferrals (policies.go)
	subscribersStmt *sqlx.Stmt // set by Migrate (prepared.go)
	kept            keptStmts  // set by Migrate (prepared.go)

	// Batches of attempts that failed as a whole and were
	// written one by one instead (a webhook deleted meanwhile, say).
	batchRetries atomic.Int64
	txRetries    atomic.Int64 // transactions inTxRetrying ran again

	// Bumped by every API key revocation, so cached keys read before it
	// are not trusted after it (see forgetKeys).
	keyGen atomic.Uint64

	// Tests only: called in RevokeAPIKey before its commit, and in
	// AuthenticateAPIKey between reading a live key and caching it.
	testHookRevoked, testHookKeyRead func()

	idMu     sync.Mutex // guards the id counter below
	idLastMS int64
	idSeq    int
}

// Open connects to dsn and applies pending migrations.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	s, err := Connect(ctx, dsn, opts)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Connect connects to dsn without migrating.
func Connect(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Box == nil {
		return nil, errors.New("store: Options.Box is required")
	}
	u, err := dburl.Parse(dsn)
	if err != nil {
		return nil, err
	}
	d := newDialect(u)
	db, err := d.open()
	if err != nil {
		return nil, err
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", d.name(), redactErr(err))
	}
	s := &Store{db: db, sqlDialect: d, box: opts.Box, nowFunc: opts.Now, bcryptCost: opts.BcryptCost}
	if d.oneWriter() {
		s.writer = make(chan struct{}, 1)
	}
	if s.nowFunc == nil {
		s.nowFunc = time.Now
	}
	if s.bcryptCost == 0 {
		s.bcryptCost = bcrypt.DefaultCost
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	if s.subscribersStmt != nil {
		s.subscribersStmt.Close()
	}
	for _, st := range s.kept {
		st.Close()
	}
	return s.db.Close()
}

// Dialect is SQLite or Postgres.
func (s *Store) Dialect() string { return s.sqlDialect.name() }

// DB exposes the handle for tests and benchmarks.
func (s *Store) DB() *sqlx.DB { return s.db }

// Ping checks the database answers, for /readyz.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// now is the store's clock in UTC, at the microsecond precision both
// databases keep, so a value reads back exactly as written.
func (s *Store) now() time.Time { return s.nowFunc().UTC().Truncate(time.Microsecond) }

// newID returns a UUIDv7 from the store's clock: time-ordered, so
// "id < cursor ORDER BY id DESC" pages newest first and a time range is an
// id range. Within one millisecond ids keep increasing (a counter in the
// 12 bits after the timestamp), so one process's ids never go backwards.
func (s *Store) newID() string {
	ms := s.nowFunc().UnixMilli()
	s.idMu.Lock()
	if ms <= s.idLastMS {
		ms = s.idLastMS
		s.idSeq++
		if s.idSeq > 0xfff {
			ms++
			s.idSeq = 0
		}
	} else {
		s.idSeq = 0
	}
	s.idLastMS = ms
	seq := s.idSeq
	s.idMu.Unlock()
	var u uuid.UUID
	rand.Read(u[8:])
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	u[6] = 0x70 | byte(seq>>8)
	u[7] = byte(seq)
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return u.String()
}

// idAt returns the smallest UUIDv7 of the millisecond of t: every id made
// at or after t sorts at or above it.
func idAt(t time.Time) string {
	ms := t.UnixMilli()
	var u uuid.UUID
	u[0], u[1], u[2], u[3], u[4], u[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	u[6], u[8] = 0x70, 0x80
	return u.String()
}

// validID reports whether id is a UUID, so bad ids are "not found" rather
// than database errors on PostgreSQL's uuid columns.
func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil && len(id) == 36
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	if s.writer != nil {
		select {
		case s.writer <- struct{}{}:
			defer func() { <-s.writer }()
		case <-ctx.Done():
			return fmt.Errorf("begin: %w", ctx.Err())
		}
	}
	return inTx(ctx, s.db, fn)
}

// txAttempts is how many times inTxRetrying runs a transaction that
// PostgreSQL chose to break a deadlock with (or to keep serializable).
const txAttempts = 3

// inTxRetrying is inTx for a transaction that may lock rows in another
// order than the sender's (deleting a webhook's deliveries, or retention
// deleting old ones, while their attempts are recorded): when PostgreSQL
// breaks a deadlock by failing it, it runs again, so the user sees it done
// rather than "deadlock detected". fn must be safe to run again.
func (s *Store) inTxRetrying(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.inTx(ctx, fn)
		if attempt == txAttempts || !retryable(err) {
			return err
		}
		s.txRetries.Add(1)
	}
}

// retryable reports whether err is PostgreSQL failing a transaction that
// would succeed if run again: deadlock_detected or serialization_failure.
func retryable(err error) bool {
	var pe *pq.Error
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// inTx runs fn in a transaction of db, committing when it returns nil.
func inTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Migrate applies the embedded migrations not applied yet, in order.
func (s *Store) Migrate(ctx context.Context) error {
	files, err := fs.Glob(migrations.FS, s.sqlDialect.name()+"/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(files)
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, f := range files {
		version := strings.TrimSuffix(filepath.Base(f), ".sql")
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			if err := s.sqlDialect.lockMigrations(ctx, tx); err != nil {
				return err
			}
			var n int
			if err := tx.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`), version); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			body, err := migrations.FS.ReadFile(f)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, s.db.Rebind(`INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`), version, s.now())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", f, err)
		}
	}
	if err := s.startCountingMinutes(ctx); err != nil {
		return err
	}
	return s.prepare(ctx)
}

// isUniqueViolation reports whether err is a unique-constraint failure.
func isUniqueViolation(err error) bool {
	var pqe *pq.Error
	if errors.As(err, &pqe) {
		return pqe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// notFound turns sql.ErrNoRows into an ENOTFOUND error naming what.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return hook.Errorf(hook.ENOTFOUND, "%s not found.", what)
	}
	return err
}

// redactErr drops a connection error's text that may echo a DSN password.
func redactErr(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "password") && strings.Contains(msg, "@") {
		return errors.New("connection failed (details withheld: they contain credentials)")
	}
	return err
}
