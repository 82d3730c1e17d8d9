package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"github.com/hookboard/hookboard/internal/hook"
)

// CreateApp adds an app.
func (s *Store) CreateApp(ctx context.Context, name string) (hook.App, error) {
	var app hook.App
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		app, err = s.createApp(ctx, tx, name)
		return err
	})
	return app, err
}

func (s *Store) createApp(ctx context.Context, tx *sqlx.Tx, name string) (hook.App, error) {
	name = strings.TrimSpace(name)
	if msg := hook.ValidateWebhookName(name); msg != "" {
		return hook.App{}, hook.FieldErrors{{Field: "app", Message: strings.Replace(msg, "Name", "App name", 1)}}
	}
	app := hook.App{ID: s.newID(), Name: name, CreatedAt: s.now()}
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO apps (id, name, created_at) VALUES (?, ?, ?)`), app.ID, app.Name, app.CreatedAt)
	if isUniqueViolation(err) {
		return hook.App{}, hook.Errorf(hook.ECONFLICT, "An app named %q already exists.", name)
	}
	return app, err
}

// App returns one app.
func (s *Store) App(ctx context.Context, id string) (hook.App, error) {
	var app hook.App
	if !validID(id) {
		return app, hook.Errorf(hook.ENOTFOUND, "App not found.")
	}
	err := s.db.GetContext(ctx, &app, s.db.Rebind(`SELECT id, name, created_at FROM apps WHERE id = ?`), id)
	return app, notFound(err, "App")
}

// CountUsers returns how many users exist; zero means a first start.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM users`)
	return n, err
}

// AddUserResult says what AddUser did.
type AddUserResult struct {
	User       hook.User
	App        hook.App
	Role       hook.Role
	NewUser    bool
	NewApp     bool
	RoleChange bool
}

// AddUser makes the user with email a member of the app named appName with
// role, creating the app when no app has that name and the user when none has
// that e-mail. An existing user's password is left alone unless password is
// given; a new password ends all of that user's sessions and must be
// changed at the next sign-in. It is what the first start does.
func (s *Store) AddUser(ctx context.Context, email, password, appName string, role hook.Role) (AddUserResult, error) {
	return s.addUser(ctx, email, password, appName, role, false)
}

// AddUserMustChange is AddUser for `hookboard user add`: the password is
// set by someone else, so a new user too must change it at the next sign-in.
func (s *Store) AddUserMustChange(ctx context.Context, email, password, appName string, role hook.Role) (AddUserResult, error) {
	return s.addUser(ctx, email, password, appName, role, true)
}

func (s *Store) addUser(ctx context.Context, email, password, appName string, role hook.Role, mustChange bool) (AddUserResult, error) {
	var res AddUserResult
	email = strings.TrimSpace(email)
	hash, err := s.checkNewUser(email, password, role)
	if err != nil {
		return res, err
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		res = AddUserResult{Role: role}
		if err := s.appByNameOrNew(ctx, tx, appName, &res); err != nil {
			return err
		}
		if err := s.userByEmailOrNew(ctx, tx, email, hash, mustChange, &res); err != nil {
			return err
		}
		return s.setMembership(ctx, tx, role, &res)
	})
	return res, err
}

// checkNewUser validates addUser's input and returns the password's hash
// ("" when no password was given).
func (s *Store) checkNewUser(email, password string, role hook.Role) (string, error) {
	var fe hook.FieldErrors
	if msg := hook.ValidateEmail(email); msg != "" {
		fe.Add("email", msg)
	}
	if !role.Valid() {
		fe.Add("role", "Role must be admin or support.")
	}
	if password != "" {
		if msg := hook.ValidatePassword(password); msg != "" {
			fe.Add("password", msg)
		}
	}
	if err := fe.Err(); err != nil {
		return "", err
	}
	if password == "" {
		return "", nil
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.bcryptCost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// appByNameOrNew sets res.App to the app named appName (in any case),
// creating it if there is none.
func (s *Store) appByNameOrNew(ctx context.Context, tx *sqlx.Tx, appName string, res *AddUserResult) error {
	err := tx.GetContext(ctx, &res.App, tx.Rebind(`SELECT id, name, created_at FROM apps WHERE lower(name) = lower(?)`), strings.TrimSpace(appName))
	if err == nil {
		return nil
	}
	if err = notFound(err, "App"); hook.ErrorCode(err) != hook.ENOTFOUND {
		return err
	}
	if res.App, err = s.createApp(ctx, tx, appName); err != nil {
		return err
	}
	res.NewApp = true
	return nil
}

// userByEmailOrNew sets res.User to the user of email: an existing one gets
// the password hash if one was given, a new one needs it.
func (s *Store) userByEmailOrNew(ctx context.Context, tx *sqlx.Tx, email, hash string, mustChange bool, res *AddUserResult) error {
	err := tx.GetContext(ctx, &res.User, tx.Rebind(`SELECT id, email, password_hash, created_at FROM users WHERE lower(email) = lower(?)`), email)
	switch {
	case err == nil:
		if hash != "" {
			// Someone else chose it: the sessions that knew the old
			// one end, and the user picks their own next time.
			if err := s.setPassword(ctx, tx, res.User.ID, hash, true); err != nil {
				return err
			}
			res.User.MustChangePassword = true
		}
		return nil
	case hook.ErrorCode(notFound(err, "User")) == hook.ENOTFOUND:
		if hash == "" {
			return hook.FieldErrors{{Field: "password", Message: "A new user needs a password."}}
		}
		res.User = hook.User{ID: s.newID(), Email: email, PasswordHash: hash, CreatedAt: s.now(), MustChangePassword: mustChange}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO users (id, email, password_hash, created_at, must_change_password) VALUES (?, ?, ?, ?, ?)`),
			res.User.ID, res.User.Email, res.User.PasswordHash, res.User.CreatedAt, res.User.MustChangePassword); err != nil {
			return err
		}
		res.NewUser = true
		return nil
	default:
		return err
	}
}

// setMembership gives res.User the role in res.App, as a new membership or
// a changed one.
func (s *Store) setMembership(ctx context.Context, tx *sqlx.Tx, role hook.Role, res *AddUserResult) error {
	var old string
	err := tx.GetContext(ctx, &old, tx.Rebind(`SELECT role FROM memberships WHERE app_id = ? AND user_id = ?`), res.App.ID, res.User.ID)
	switch {
	case err == nil:
		if old != string(role) {
			res.RoleChange = true
			_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE memberships SET role = ? WHERE app_id = ? AND user_id = ?`), role, res.App.ID, res.User.ID)
		}
		return err
	case hook.ErrorCode(notFound(err, "")) == hook.ENOTFOUND:
		_, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO memberships (app_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`),
			res.App.ID, res.User.ID, role, s.now())
		return err
	default:
		return err
	}
}

// dummyHash makes a sign-in with an unknown e-mail cost as much as one with
// a wrong password, so timing does not reveal which accounts exist.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("hookboard-no-such-user"), bcrypt.DefaultCost)

// ErrBadCredentials is returned for a wrong e-mail or password alike.
var ErrBadCredentials = hook.Errorf(hook.EUNAUTHORIZED, "The e-mail or password is not right.")

// Authenticate checks an e-mail and password.
func (s *Store) Authenticate(ctx context.Context, email, password string) (hook.User, error) {
	var u hook.User
	err := s.db.GetContext(ctx, &u, s.db.Rebind(`SELECT id, email, password_hash, created_at, must_change_password FROM users WHERE lower(email) = lower(?)`), strings.TrimSpace(email))
	if err != nil {
		if hook.ErrorCode(notFound(err, "")) == hook.ENOTFOUND {
			bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
			return hook.User{}, ErrBadCredentials
		}
		return hook.User{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return hook.User{}, ErrBadCredentials
	}
	return u, nil
}

// Memberships lists the apps a user belongs to, by app name.
func (s *Store) Memberships(ctx context.Context, userID string) ([]hook.Membership, error) {
	var rows []struct {
		ID        string    `db:"id"`
		Name      string    `db:"name"`
		CreatedAt time.Time `db:"created_at"`
		Role      string    `db:"role"`
	}
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`
		SELECT a.id, a.name, a.created_at, m.role
		FROM memberships m JOIN apps a ON a.id = m.app_id
		WHERE m.user_id = ? ORDER BY lower(a.name), a.id`), userID)
	ms := make([]hook.Membership, len(rows))
	for i, r := range rows {
		ms[i] = hook.Membership{App: hook.App{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt}, Role: hook.Role(r.Role)}
	}
	return ms, err
}

// Membership returns the user's role in one app; ENOTFOUND when the user is
// not a member (or the app does not exist: the two look the same).
func (s *Store) Membership(ctx context.Context, appID, userID string) (hook.Membership, error) {
	if !validID(appID) {
		return hook.Membership{}, hook.Errorf(hook.ENOTFOUND, "App not found.")
	}
	var r struct {
		ID        string    `db:"id"`
		Name      string    `db:"name"`
		CreatedAt time.Time `db:"created_at"`
		Role      string    `db:"role"`
	}
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`
		SELECT a.id, a.name, a.created_at, m.role
		FROM memberships m JOIN apps a ON a.id = m.app_id
		WHERE m.app_id = ? AND m.user_id = ?`), appID, userID)
	if err != nil {
		return hook.Membership{}, notFound(err, "App")
	}
	return hook.Membership{App: hook.App{ID: r.ID, Name: r.Name, CreatedAt: r.CreatedAt}, Role: hook.Role(r.Role)}, nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateSession starts a sign-in session for userID lasting ttl and returns
// its token, which only the cookie holds.
func (s *Store) CreateSession(ctx context.Context, userID string, ttl time.Duration) (string, error) {
	return s.CreateSessionFrom(ctx, userID, ttl, "", "")
}

// CreateSessionFrom is CreateSession noting the browser (User-Agent) and
// client address, for the user's list of sessions.
func (s *Store) CreateSessionFrom(ctx context.Context, userID string, ttl time.Duration, userAgent, clientIP string) (string, error) {
	var token string
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		token, err = s.createSession(ctx, tx, userID, ttl, userAgent, clientIP)
		return err
	})
	return token, err
}

func (s *Store) createSession(ctx context.Context, tx *sqlx.Tx, userID string, ttl time.Duration, userAgent, clientIP string) (string, error) {
	token := randomToken(32)
	now := s.now()
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at, user_agent, client_ip) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		hashToken(token), userID, now, now.Add(ttl), now, cleanText(userAgent, 300), cleanText(clientIP, 64))
	return token, err
}

// SessionUser returns the user of a live session; EUNAUTHORIZED when the
// token is unknown or expired. It notes when the session was last used, at
// most once a minute.
func (s *Store) SessionUser(ctx context.Context, token string) (hook.User, error) {
	var row struct {
		hook.User
		LastSeen sql.NullTime `db:"last_seen_at"`
	}
	if token == "" {
		return hook.User{}, hook.Errorf(hook.EUNAUTHORIZED, "Please sign in.")
	}
	now := s.now()
	err := s.db.GetContext(ctx, &row, s.db.Rebind(`
		SELECT u.id, u.email, u.password_hash, u.created_at, u.must_change_password, se.last_seen_at
		FROM sessions se JOIN users u ON u.id = se.user_id
		WHERE se.token_hash = ? AND se.expires_at > ?`), hashToken(token), now)
	if err != nil {
		if hook.ErrorCode(notFound(err, "")) == hook.ENOTFOUND {
			return hook.User{}, hook.Errorf(hook.EUNAUTHORIZED, "Your session has ended. Please sign in again.")
		}
		return hook.User{}, err
	}
	if !row.LastSeen.Valid || now.Sub(row.LastSeen.Time) >= time.Minute {
		// Best effort: "last seen" on the Account page is a hint, and
		// a failed write must not fail the page.
		s.db.ExecContext(ctx, s.db.Rebind(`UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?`), now, hashToken(token))
	}
	return row.User, nil
}

// DeleteSession ends a session (sign-out). Unknown tokens are not an error.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM sessions WHERE token_hash = ?`), hashToken(token))
	return err
}

// DeleteExpiredSessions removes sessions past their end and old sign-in
// failures.
func (s *Store) DeleteExpiredSessions(ctx context.Context) error {
	now := s.now()
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM sessions WHERE expires_at <= ?`), now); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM login_failures WHERE created_at <= ?`), now.Add(-24*time.Hour))
	return err
}

// RecordLoginFailure notes a failed sign-in for throttling.
func (s *Store) RecordLoginFailure(ctx context.Context, email, clientIP string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO login_failures (id, email, client_ip, created_at) VALUES (?, ?, ?, ?)`),
		s.newID(), strings.ToLower(strings.TrimSpace(email)), clientIP, s.now())
	return err
}

// LoginThrottle is what sign-in throttling knows about an attempt.
type LoginThrottle struct {
	AccountFailures    int       // failures for the e-mail, from anywhere, since accountSince
	LastAccountFailure time.Time // the latest of them
	AddressFailures    int       // failures from the client address, any e-mail, since addressSince
	AddressFailedHere  bool      // the address failed on this e-mail since addressSince
}

// LoginThrottleState reads the failures that decide whether a sign-in may be
// tried now. They are rows in the database, so every process sharing it
// sees the same counts.
func (s *Store) LoginThrottleState(ctx context.Context, email, clientIP string, accountSince, addressSince time.Time) (LoginThrottle, error) {
	var t LoginThrottle
	email = strings.ToLower(strings.TrimSpace(email))
	if err := s.db.GetContext(ctx, &t.AccountFailures, s.db.Rebind(`SELECT COUNT(*) FROM login_failures WHERE email = ? AND created_at > ?`),
		email, accountSince.UTC()); err != nil {
		return t, err
	}
	if t.AccountFailures > 0 {
		if err := s.db.GetContext(ctx, &t.LastAccountFailure, s.db.Rebind(`SELECT created_at FROM login_failures WHERE email = ? ORDER BY created_at DESC LIMIT 1`),
			email); err != nil {
			return t, err
		}
	}
	if err := s.db.GetContext(ctx, &t.AddressFailures, s.db.Rebind(`SELECT COUNT(*) FROM login_failures WHERE client_ip = ? AND created_at > ?`),
		clientIP, addressSince.UTC()); err != nil {
		return t, err
	}
	var here int
	if err := s.db.GetContext(ctx, &here, s.db.Rebind(`SELECT COUNT(*) FROM login_failures WHERE email = ? AND client_ip = ? AND created_at > ?`),
		email, clientIP, addressSince.UTC()); err != nil {
		return t, err
	}
	t.AddressFailedHere = here > 0
	return t, nil
}

// ClearLoginFailures forgets an account's failures after a good sign-in.
func (s *Store) ClearLoginFailures(ctx context.Context, email string) error {
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM login_failures WHERE email = ?`), strings.ToLower(strings.TrimSpace(email)))
	return err
}
