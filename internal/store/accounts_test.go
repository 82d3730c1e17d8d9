package store_test

import (
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

func mustSession(t *testing.T, s *store.Store, userID string) string {
	t.Helper()
	tok, err := s.CreateSessionFrom(ctx, userID, time.Hour, "Firefox\x00\xff", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func live(s *store.Store, tok string) bool {
	_, err := s.SessionUser(ctx, tok)
	return err == nil
}

// TestAddUserExistingPasswordEndsSessions is issue 13's finding 3 in the
// store: `hookboard user add` with a password on an existing account used
// to update the hash only, leaving every session alive.
func TestAddUserExistingPasswordEndsSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		res, err := s.AddUser(ctx, "ann@example.com", "first password", "Acme", hook.RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		if res.User.MustChangePassword {
			t.Error("the first start's own password is marked must-change")
		}
		tok := mustSession(t, s, res.User.ID)
		other, _ := s.AddUser(ctx, "bob@example.com", "bob password", "Acme", hook.RoleSupport)
		bobTok := mustSession(t, s, other.User.ID)
		// Adding to another app without a password changes nothing.
		if _, err := s.AddUser(ctx, "ann@example.com", "", "Beta", hook.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if !live(s, tok) {
			t.Fatal("adding a membership ended the session")
		}
		if _, err := s.AddUser(ctx, "ann@example.com", "second password", "Acme", hook.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if live(s, tok) {
			t.Error("the session survived a password set by someone else")
		}
		if !live(s, bobTok) {
			t.Error("another user's session ended")
		}
		u, err := s.Authenticate(ctx, "ann@example.com", "second password")
		if err != nil || !u.MustChangePassword {
			t.Errorf("after user add: %+v %v, want must change", u, err)
		}
		// user add creating an account: the operator chose the password.
		r2, err := s.AddUserMustChange(ctx, "cy@example.com", "cy password!", "Acme", hook.RoleSupport)
		if err != nil || !r2.User.MustChangePassword {
			t.Fatalf("new user via user add: %+v %v", r2.User, err)
		}
		if u, _ := s.Authenticate(ctx, "cy@example.com", "cy password!"); !u.MustChangePassword {
			t.Error("must-change not stored for a new user")
		}
	})
}

func TestChangePassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		res, _ := s.AddUser(ctx, "ann@example.com", "first password", "Acme", hook.RoleAdmin)
		id := res.User.ID
		mine, other1, other2 := mustSession(t, s, id), mustSession(t, s, id), mustSession(t, s, id)
		bob, _ := s.AddUser(ctx, "bob@example.com", "bob password", "Acme", hook.RoleSupport)
		bobTok := mustSession(t, s, bob.User.ID)

		for _, tc := range []struct {
			pc     store.PasswordChange
			fields []string
		}{
			{store.PasswordChange{Current: "wrong password", New: "new password!", Confirm: "new password!"}, []string{"current_password"}},
			{store.PasswordChange{Current: "", New: "new password!", Confirm: "new password!"}, []string{"current_password"}},
			{store.PasswordChange{Current: "first password", New: "short", Confirm: "short"}, []string{"new_password"}},
			{store.PasswordChange{Current: "first password", New: "new password!", Confirm: "new password?"}, []string{"confirm_password"}},
			{store.PasswordChange{Current: "first password", New: "first password", Confirm: "first password"}, []string{"new_password"}},
		} {
			_, err := s.ChangePassword(ctx, id, tc.pc, time.Hour, "", "")
			fe, ok := err.(hook.FieldErrors)
			if !ok || len(fe) != len(tc.fields) || fe[0].Field != tc.fields[0] {
				t.Errorf("%+v: %v, want errors on %v", tc.pc, err, tc.fields)
			}
		}
		if _, err := s.ChangePassword(ctx, id, store.PasswordChange{Current: "wrong one!", New: "new password!", Confirm: "new password!"}, time.Hour, "", ""); !store.IsBadCurrentPassword(err) {
			t.Errorf("IsBadCurrentPassword(%v) = false", err)
		}
		if !live(s, mine) || !live(s, other1) {
			t.Fatal("a refused change ended sessions")
		}

		fresh, err := s.ChangePassword(ctx, id, store.PasswordChange{Current: "first password", New: "new password!", Confirm: "new password!"}, time.Hour, "Safari", "198.51.100.4")
		if err != nil {
			t.Fatal(err)
		}
		if fresh == "" || fresh == mine || !live(s, fresh) {
			t.Fatal("no fresh session after the change")
		}
		for _, tok := range []string{mine, other1, other2} {
			if live(s, tok) {
				t.Error("a session from before the change is still alive")
			}
		}
		if !live(s, bobTok) {
			t.Error("another user's session ended")
		}
		if _, err := s.Authenticate(ctx, "ann@example.com", "first password"); err == nil {
			t.Error("the old password still works")
		}
		if u, err := s.Authenticate(ctx, "ann@example.com", "new password!"); err != nil || u.MustChangePassword {
			t.Errorf("new password: %+v %v", u, err)
		}
		entries, _ := s.ListAudit(ctx, res.App.ID, "", 10)
		if len(entries) == 0 || entries[0].Action != "user.password_change" {
			t.Errorf("audit: %+v", entries)
		}
	})
}

func TestResetPasswordAndMustChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		res, _ := s.AddUser(ctx, "ann@example.com", "first password", "Acme", hook.RoleAdmin)
		tok := mustSession(t, s, res.User.ID)
		s.RecordLoginFailure(ctx, "ann@example.com", "192.0.2.1")

		if _, err := s.ResetPassword(ctx, "nobody@example.com", "long enough pw"); hook.ErrorCode(err) != hook.ENOTFOUND {
			t.Errorf("unknown e-mail: %v", err)
		}
		if _, err := s.ResetPassword(ctx, "ann@example.com", "short"); hook.ErrorCode(err) != hook.EINVALID {
			t.Errorf("short password: %v", err)
		}
		if !live(s, tok) {
			t.Fatal("a refused reset ended the session")
		}
		u, err := s.ResetPassword(ctx, " ANN@example.com ", "reset password")
		if err != nil || !u.MustChangePassword {
			t.Fatalf("reset: %+v %v", u, err)
		}
		if live(s, tok) {
			t.Error("the session survived the reset")
		}
		now := time.Now()
		if th, _ := s.LoginThrottleState(ctx, "ann@example.com", "192.0.2.1", now.Add(-time.Hour), now.Add(-time.Hour)); th.AccountFailures != 0 {
			t.Errorf("failures kept after reset: %+v", th)
		}
		// The mark shows on the session's user, and a change clears it.
		tok2 := mustSession(t, s, u.ID)
		if su, _ := s.SessionUser(ctx, tok2); !su.MustChangePassword {
			t.Error("session user not marked must-change")
		}
		fresh, err := s.ChangePassword(ctx, u.ID, store.PasswordChange{Current: "reset password", New: "my own password", Confirm: "my own password"}, time.Hour, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if su, _ := s.SessionUser(ctx, fresh); su.MustChangePassword {
			t.Error("must-change kept after the change")
		}
		// A new member's one-time password is marked too.
		m, err := s.AddMember(ctx, actor, res.App.ID, "new@example.com", hook.RoleSupport)
		if err != nil {
			t.Fatal(err)
		}
		if nu, err := s.Authenticate(ctx, "new@example.com", m.TempPassword); err != nil || !nu.MustChangePassword {
			t.Errorf("new member: %+v %v", nu, err)
		}
	})
}

func TestSessionsListAndEndOthers(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		res, _ := s.AddUser(ctx, "ann@example.com", "first password", "Acme", hook.RoleAdmin)
		bob, _ := s.AddUser(ctx, "bob@example.com", "bob password", "Acme", hook.RoleSupport)
		old := mustSession(t, s, res.User.ID)
		clock.Advance(time.Minute)
		mine, err := s.CreateSessionFrom(ctx, res.User.ID, time.Hour, "Safari", "2001:db8::1")
		if err != nil {
			t.Fatal(err)
		}
		bobTok := mustSession(t, s, bob.User.ID)
		expired, _ := s.CreateSessionFrom(ctx, res.User.ID, -time.Second, "", "")
		_ = expired
		clock.Advance(2 * time.Minute)
		s.SessionUser(ctx, old) // last seen now

		list, err := s.ListSessions(ctx, res.User.ID, mine)
		if err != nil || len(list) != 2 {
			t.Fatalf("sessions: %+v %v", list, err)
		}
		if !list[0].Current || list[0].UserAgent != "Safari" || list[0].ClientIP != "2001:db8::1" || list[1].Current {
			t.Errorf("newest first, current marked: %+v", list)
		}
		if list[1].UserAgent != "Firefox\uFFFD" {
			t.Errorf("user agent stored as %q, want control characters and bad UTF-8 cleaned", list[1].UserAgent)
		}
		if !list[1].LastSeenAt.Valid || !list[1].LastSeenAt.Time.Equal(clock.Now()) {
			t.Errorf("last seen %v, want %v", list[1].LastSeenAt, clock.Now())
		}
		n, err := s.EndOtherSessions(ctx, res.User.ID, mine)
		if err != nil || n != 2 { // the old one and the expired one
			t.Errorf("ended %d, %v", n, err)
		}
		if live(s, old) || !live(s, mine) || !live(s, bobTok) {
			t.Error("end others: wrong sessions ended")
		}
	})
}

// TestLoginThrottleState: the counts throttling reads, the same on both
// databases (they are rows, so every process sharing the database sees them).
func TestLoginThrottleState(t *testing.T) {
	clock := storetest.NewClock(time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC))
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		for range 3 {
			s.RecordLoginFailure(ctx, "Ann@Example.com ", "192.0.2.1")
			clock.Advance(time.Minute)
		}
		last := clock.Now()
		s.RecordLoginFailure(ctx, "ann@example.com", "192.0.2.2")
		s.RecordLoginFailure(ctx, "made-up@example.com", "192.0.2.1")
		clock.Advance(time.Minute)
		now := clock.Now()
		th, err := s.LoginThrottleState(ctx, "ANN@example.com", "192.0.2.1", now.Add(-24*time.Hour), now.Add(-15*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		want := store.LoginThrottle{AccountFailures: 4, LastAccountFailure: last, AddressFailures: 4, AddressFailedHere: true}
		if th != want {
			t.Errorf("state %+v, want %+v", th, want)
		}
		th, _ = s.LoginThrottleState(ctx, "bob@example.com", "192.0.2.1", now.Add(-24*time.Hour), now.Add(-15*time.Minute))
		if th.AccountFailures != 0 || th.AddressFailures != 4 || th.AddressFailedHere {
			t.Errorf("other account: %+v", th)
		}
		// Windows: the address's 15 minutes end before the account's day.
		clock.Advance(20 * time.Minute)
		now = clock.Now()
		th, _ = s.LoginThrottleState(ctx, "ann@example.com", "192.0.2.1", now.Add(-24*time.Hour), now.Add(-15*time.Minute))
		if th.AccountFailures != 4 || th.AddressFailures != 0 || th.AddressFailedHere {
			t.Errorf("after 20 minutes: %+v", th)
		}
		if err := s.ClearLoginFailures(ctx, "ann@example.com"); err != nil {
			t.Fatal(err)
		}
		th, _ = s.LoginThrottleState(ctx, "ann@example.com", "192.0.2.1", now.Add(-24*time.Hour), now.Add(-15*time.Minute))
		if th.AccountFailures != 0 {
			t.Errorf("after clear: %+v", th)
		}
	})
}
