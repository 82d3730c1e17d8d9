package templates

import "time"

// Account is the signed-in user's own page: change password and sessions.
type Account struct {
	Page
	MustChange bool   // someone else set the password: only the form is shown
	Next       string // where to go after a forced change
	Errors     map[string]string
	Sessions   []SessionRow
}

// SessionRow is one of the user's live sessions.
type SessionRow struct {
	CreatedAt  time.Time
	LastSeenAt time.Time // zero when unknown
	UserAgent  string
	Address    string
	Current    bool
}

// OtherSessions counts the sessions "sign out everywhere else" would end.
func (a Account) OtherSessions() int {
	n := 0
	for _, s := range a.Sessions {
		if !s.Current {
			n++
		}
	}
	return n
}
