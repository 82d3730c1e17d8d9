package store

import (
	"context"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"

	"github.com/hookboard/hookboard/internal/hook"
)

// Member is a user's membership of an app.
type Member struct {
	UserID    string    `db:"user_id"`
	Email     string    `db:"email"`
	Role      hook.Role `db:"role"`
	CreatedAt time.Time `db:"created_at"`
}

// ListMembers returns the app's members by e-mail.
func (s *Store) ListMembers(ctx context.Context, appID string) ([]Member, error) {
	var out []Member
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT m.user_id, u.email, m.role, m.created_at
		FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.app_id = ? ORDER BY lower(u.email)`), appID)
	return out, err
}

// AddMemberResult says what AddMember did. TempPassword is set when the
// user was created: the admin passes it on, and it is not stored in clear.
type AddMemberResult struct {
	Member       Member
	TempPassword string
}

// AddMember makes the user with email a member of the app with role,
// creating the user with a random password when none has that e-mail.
func (s *Store) AddMember(ctx context.Context, actor hook.Actor, appID, email string, role hook.Role) (AddMemberResult, error) {
	var res AddMemberResult
	email = strings.TrimSpace(email)
	var fe hook.FieldErrors
	if msg := hook.ValidateEmail(email); msg != "" {
		fe.Add("email", msg)
	}
	if !role.Valid() {
		fe.Add("role", "Choose admin or support.")
	}
	if err := fe.Err(); err != nil {
		return res, err
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var u hook.User
		err := tx.GetContext(ctx, &u, tx.Rebind(`SELECT id, email, password_hash, created_at FROM users WHERE lower(email) = lower(?)`), email)
		switch {
		case err == nil:
		case hook.ErrorCode(notFound(err, "")) == hook.ENOTFOUND:
			res.TempPassword = randomToken(12)
			hash, err := bcrypt.GenerateFromPassword([]byte(res.TempPassword), s.bcryptCost)
			if err != nil {
				return err
			}
			// A one-time password: replaced by the user's own at first sign-in.
			u = hook.User{ID: s.newID(), Email: email, PasswordHash: string(hash), CreatedAt: s.now(), MustChangePassword: true}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO users (id, email, password_hash, created_at, must_change_password) VALUES (?, ?, ?, ?, ?)`),
				u.ID, u.Email, u.PasswordHash, u.CreatedAt, u.MustChangePassword); err != nil {
				return err
			}
		default:
			return err
		}
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM memberships WHERE app_id = ? AND user_id = ?`), appID, u.ID); err != nil {
			return err
		}
		if n > 0 {
			return hook.FieldErrors{{Field: "email", Message: u.Email + " is already a member of this app; change the role in the list."}}
		}
		res.Member = Member{UserID: u.ID, Email: u.Email, Role: role, CreatedAt: s.now()}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO memberships (app_id, user_id, role, created_at) VALUES (?, ?, ?, ?)`), appID, u.ID, role, res.Member.CreatedAt); err != nil {
			return err
		}
		return s.audit(ctx, tx, appID, actor, "member.add", "user", u.ID, u.Email+" as "+string(role))
	})
	return res, err
}

// lockAdmins makes concurrent role changes of one app wait for each other,
// so two admins cannot demote each other at once and leave none.
func (s *Store) lockAdmins(ctx context.Context, tx *sqlx.Tx, appID string) error {
	return s.sqlDialect.lockApp(ctx, tx, appID)
}

func (s *Store) member(ctx context.Context, tx *sqlx.Tx, appID, userID string) (Member, error) {
	var m Member
	if !validID(userID) {
		return m, hook.Errorf(hook.ENOTFOUND, "Member not found.")
	}
	err := tx.GetContext(ctx, &m, tx.Rebind(`SELECT m.user_id, u.email, m.role, m.created_at FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.app_id = ? AND m.user_id = ?`), appID, userID)
	return m, notFound(err, "Member")
}

func (s *Store) otherAdmins(ctx context.Context, tx *sqlx.Tx, appID, userID string) (int, error) {
	var n int
	err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM memberships WHERE app_id = ? AND role = 'admin' AND user_id <> ?`), appID, userID)
	return n, err
}

// SetMemberRole changes a member's role; the last admin stays admin.
func (s *Store) SetMemberRole(ctx context.Context, actor hook.Actor, appID, userID string, role hook.Role) (Member, error) {
	var m Member
	if !role.Valid() {
		return m, hook.FieldErrors{{Field: "role", Message: "Choose admin or support."}}
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.lockAdmins(ctx, tx, appID); err != nil {
			return err
		}
		var err error
		if m, err = s.member(ctx, tx, appID, userID); err != nil {
			return err
		}
		if m.Role == role {
			return nil
		}
		if m.Role == hook.RoleAdmin {
			if n, err := s.otherAdmins(ctx, tx, appID, userID); err != nil {
				return err
			} else if n == 0 {
				return hook.Errorf(hook.ECONFLICT, "%s is the last admin of this app: make someone else admin first.", m.Email)
			}
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE memberships SET role = ? WHERE app_id = ? AND user_id = ?`), role, appID, userID); err != nil {
			return err
		}
		old := m.Role
		m.Role = role
		return s.audit(ctx, tx, appID, actor, "member.role", "user", userID, m.Email+": "+string(old)+" → "+string(role))
	})
	return m, err
}

// RemoveMember takes a user out of the app; the last admin cannot go.
func (s *Store) RemoveMember(ctx context.Context, actor hook.Actor, appID, userID string) (Member, error) {
	var m Member
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.lockAdmins(ctx, tx, appID); err != nil {
			return err
		}
		var err error
		if m, err = s.member(ctx, tx, appID, userID); err != nil {
			return err
		}
		if m.Role == hook.RoleAdmin {
			if n, err := s.otherAdmins(ctx, tx, appID, userID); err != nil {
				return err
			} else if n == 0 {
				return hook.Errorf(hook.ECONFLICT, "%s is the last admin of this app and cannot be removed.", m.Email)
			}
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM memberships WHERE app_id = ? AND user_id = ?`), appID, userID); err != nil {
			return err
		}
		return s.audit(ctx, tx, appID, actor, "member.remove", "user", userID, m.Email)
	})
	return m, err
}

// AuditSignIn records a sign-in in every app of the user.
func (s *Store) AuditSignIn(ctx context.Context, user hook.User, clientIP string) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var apps []string
		if err := tx.SelectContext(ctx, &apps, tx.Rebind(`SELECT app_id FROM memberships WHERE user_id = ?`), user.ID); err != nil {
			return err
		}
		for _, a := range apps {
			if err := s.audit(ctx, tx, a, hook.Actor{UserID: user.ID, Label: user.Email}, "user.sign_in", "user", user.ID, "from "+clientIP); err != nil {
				return err
			}
		}
		return nil
	})
}
