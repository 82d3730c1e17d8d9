package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
	"unicode"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"github.com/hookboard/hookboard/internal/hook"
)

// Session is one of a user's live sign-ins, as the Account page lists it.
type Session struct {
	CreatedAt  time.Time    `db:"created_at"`
	LastSeenAt sql.NullTime `db:"last_seen_at"`
	ExpiresAt  time.Time    `db:"expires_at"`
	UserAgent  string       `db:"user_agent"`
	ClientIP   string       `db:"client_ip"`
	Current    bool         `db:"-"` // the session of the request
}

// ListSessions returns the user's live sessions, newest first, marking the
// one whose token is current.
func (s *Store) ListSessions(ctx context.Context, userID, current string) ([]Session, error) {
	var rows []struct {
		Session
		TokenHash string `db:"token_hash"`
	}
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT token_hash, created_at, last_seen_at, expires_at, user_agent, client_ip
		FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC, token_hash`), userID, s.now())
	out := make([]Session, len(rows))
	cur := hashToken(current)
	for i, r := range rows {
		out[i] = r.Session
		out[i].Current = r.TokenHash == cur
	}
	return out, err
}

// EndOtherSessions signs the user out everywhere but the session with the
// token keep, and returns how many sessions ended.
func (s *Store) EndOtherSessions(ctx context.Context, userID, keep string) (int, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`), userID, hashToken(keep))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// PasswordChange is what the Account page's form sends.
type PasswordChange struct {
	Current, New, Confirm string
}

// ChangePassword sets a user's own password after checking the current
// one. It ends every session of the user, clears the must-change mark and
// returns the token of a fresh session (new id, per OWASP) for the browser
// that asked. Field errors name current_password, new_password and
// confirm_password; a wrong current password is ErrBadCurrentPassword in
// them, so the caller can count it as a failed sign-in.
func (s *Store) ChangePassword(ctx context.Context, userID string, pc PasswordChange, ttl time.Duration, userAgent, clientIP string) (string, error) {
	var u hook.User
	if err := s.db.GetContext(ctx, &u, s.db.Rebind(`SELECT id, email, password_hash, created_at, must_change_password FROM users WHERE id = ?`), userID); err != nil {
		return "", notFound(err, "User")
	}
	var fe hook.FieldErrors
	if pc.Current == "" {
		fe.Add("current_password", "Enter your current password.")
	} else if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pc.Current)) != nil {
		fe.Add("current_password", msgBadCurrentPassword)
	}
	if msg := hook.ValidatePassword(pc.New); msg != "" {
		fe.Add("new_password", msg)
	} else if pc.New == pc.Current && fe == nil {
		fe.Add("new_password", "Choose a password different from the current one.")
	}
	if pc.Confirm != pc.New {
		fe.Add("confirm_password", "The two new passwords are not the same.")
	}
	if err := fe.Err(); err != nil {
		return "", err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pc.New), s.bcryptCost)
	if err != nil {
		return "", err
	}
	var token string
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.setPassword(ctx, tx, u.ID, string(hash), false); err != nil {
			return err
		}
		if token, err = s.createSession(ctx, tx, u.ID, ttl, userAgent, clientIP); err != nil {
			return err
		}
		return s.auditUser(ctx, tx, u, "user.password_change", "")
	})
	return token, err
}

const msgBadCurrentPassword = "The current password is not right."

// IsBadCurrentPassword reports whether err from ChangePassword says the
// current password was wrong.
func IsBadCurrentPassword(err error) bool {
	if fe, ok := err.(hook.FieldErrors); ok {
		for _, f := range fe {
			if f.Field == "current_password" && f.Message == msgBadCurrentPassword {
				return true
			}
		}
	}
	return false
}

// ResetPassword sets the password of the user with email as an operator
// does (`hookboard user passwd`): every session of the user ends, the
// user must choose their own at the next sign-in, and the sign-in
// throttle of the account is cleared.
func (s *Store) ResetPassword(ctx context.Context, email, password string) (hook.User, error) {
	var u hook.User
	email = strings.TrimSpace(email)
	if msg := hook.ValidatePassword(password); msg != "" {
		return u, hook.FieldErrors{{Field: "password", Message: msg}}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.bcryptCost)
	if err != nil {
		return u, err
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &u, tx.Rebind(`SELECT id, email, password_hash, created_at FROM users WHERE lower(email) = lower(?)`), email)
		if err != nil {
			if hook.ErrorCode(notFound(err, "")) == hook.ENOTFOUND {
				return hook.Errorf(hook.ENOTFOUND, "No user has the e-mail %s.", email)
			}
			return err
		}
		if err := s.setPassword(ctx, tx, u.ID, string(hash), true); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM login_failures WHERE email = ?`), strings.ToLower(u.Email)); err != nil {
			return err
		}
		u.MustChangePassword = true
		return s.auditUser(ctx, tx, u, "user.password_reset", "by an operator")
	})
	return u, err
}

// setPassword stores a new hash and ends every session of the user.
func (s *Store) setPassword(ctx context.Context, tx *sqlx.Tx, userID, hash string, mustChange bool) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ?`), hash, mustChange, userID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM sessions WHERE user_id = ?`), userID)
	return err
}

// auditUser records an action on the user's own account in each of their apps.
func (s *Store) auditUser(ctx context.Context, tx *sqlx.Tx, u hook.User, action, detail string) error {
	var apps []string
	if err := tx.SelectContext(ctx, &apps, tx.Rebind(`SELECT app_id FROM memberships WHERE user_id = ?`), u.ID); err != nil {
		return err
	}
	for _, a := range apps {
		if err := s.audit(ctx, tx, a, hook.Actor{UserID: u.ID, Label: u.Email}, action, "user", u.ID, detail); err != nil {
			return err
		}
	}
	return nil
}

// cleanText makes a client-sent string safe to store on both databases:
// valid UTF-8, no control characters, at most max bytes.
func cleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if len(s) > max {
		s = s[:max]
		s = strings.ToValidUTF8(s, "")
	}
	return s
}
