package store

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
)

// Portal links and sessions (issue 17): the product, with its API key, mints
// a single-use link for one of its own customers; opening the link starts a
// portal session scoped to one app and a role, without a Hookboard account.
const (
	// PortalLinkLifetime is how long a minted link may be opened.
	PortalLinkLifetime = 10 * time.Minute
	// PortalSessionDefault, Min and Max bound a portal session's length.
	PortalSessionDefault = time.Hour
	PortalSessionMin     = 5 * time.Minute
	PortalSessionMax     = 12 * time.Hour
	// portalTokenBytes: 256 random bits for links and sessions alike.
	portalTokenBytes = 32
)

// PortalLinkInput is what the product asks for when it mints a link.
type PortalLinkInput struct {
	User       string    // who, for the audit log: 1–200 characters
	Role       hook.Role // "" means admin
	ReturnURL  string    // optional, https only
	SessionTTL int       // seconds; 0 means the default
}

// PortalLink is a minted link's token (only the caller ever sees it) and
// when it stops working.
type PortalLink struct {
	Token     string
	ExpiresAt time.Time
}

// PortalSession is a live portal session: the principal a portal cookie
// stands for.
type PortalSession struct {
	AppID     string    `db:"app_id"`
	User      string    `db:"user_label"`
	Role      hook.Role `db:"role"`
	ReturnURL string    `db:"return_url"`
	ExpiresAt time.Time `db:"expires_at"`
}

// ActorLabel is how the audit log names the portal session's user.
func (p PortalSession) ActorLabel() string { return "portal: " + p.User }

// ValidatePortalLink checks the input and fills the defaults; the field
// names are the API's.
func ValidatePortalLink(in *PortalLinkInput) error {
	var fe hook.FieldErrors
	in.User = strings.TrimSpace(in.User)
	if n := utf8.RuneCountInString(in.User); n < 1 || n > 200 || !utf8.ValidString(in.User) || strings.ContainsFunc(in.User, unicode.IsControl) {
		fe.Add("user", "User must be 1–200 characters of text, without control characters.")
	}
	if in.Role == "" {
		in.Role = hook.RoleAdmin
	}
	if !in.Role.Valid() {
		fe.Add("role", "Role must be admin or support.")
	}
	if in.ReturnURL != "" {
		if msg := validateHTTPSURL(in.ReturnURL, "Return URL"); msg != "" {
			fe.Add("returnUrl", msg)
		}
	}
	if in.SessionTTL == 0 {
		in.SessionTTL = int(PortalSessionDefault / time.Second)
	}
	if in.SessionTTL < int(PortalSessionMin/time.Second) || in.SessionTTL > int(PortalSessionMax/time.Second) {
		fe.Add("sessionTtl", "Session TTL must be between 300 and 43200 seconds.")
	}
	return fe.Err()
}

// hostPattern is a DNS name or IPv4 address with an optional port: the
// host of a logo URL goes into the portal's CSP, so nothing else may.
var hostPattern = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?$`)

// validateHTTPSURL accepts an absolute https URL with a host, no user
// information and no control characters or spaces, at most 2048 bytes.
func validateHTTPSURL(raw, what string) string {
	if len(raw) > 2048 || !utf8.ValidString(raw) || strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }) {
		return what + " must be an https URL of at most 2048 characters, without spaces."
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || !hostPattern.MatchString(u.Host) || u.User != nil || u.Opaque != "" {
		return what + " must be an https:// URL."
	}
	return ""
}

// CreatePortalLink mints a single-use portal link for the app. The token is
// returned once; only its hash is stored.
func (s *Store) CreatePortalLink(ctx context.Context, actor hook.Actor, appID string, in PortalLinkInput) (PortalLink, error) {
	if err := ValidatePortalLink(&in); err != nil {
		return PortalLink{}, err
	}
	token := randomToken(portalTokenBytes)
	now := s.now()
	link := PortalLink{Token: token, ExpiresAt: now.Add(PortalLinkLifetime)}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO portal_links (token_hash, app_id, user_label, role, return_url, session_ttl, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), hashToken(token), appID, in.User, string(in.Role), in.ReturnURL, in.SessionTTL, now, link.ExpiresAt); err != nil {
			return err
		}
		return s.audit(ctx, tx, appID, actor, "portal.link", "portal", "", in.User+" ("+string(in.Role)+")")
	})
	return link, err
}

// ErrPortalLinkGone is the one answer for a link that is unknown, used or
// expired: the three look the same.
var ErrPortalLinkGone = hook.Errorf(hook.EUNAUTHORIZED, "This link has expired or has already been used. Open it again from the product that gave it to you.")

// OpenPortalLink uses a link up, once, and starts its portal session. It
// returns the session and its token (for the cookie); ErrPortalLinkGone
// when the link is unknown, used or expired.
func (s *Store) OpenPortalLink(ctx context.Context, token string) (PortalSession, string, error) {
	var sess PortalSession
	var sessToken string
	if token == "" || len(token) > 200 {
		return sess, "", ErrPortalLinkGone
	}
	now := s.now()
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The conditional update is what makes the link single-use: of
		// two concurrent openings, one changes the row and one does not.
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE portal_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`),
			now, hashToken(token), now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			if err == nil {
				err = ErrPortalLinkGone
			}
			return err
		}
		var link struct {
			PortalSession
			TTL int `db:"session_ttl"`
		}
		if err := tx.GetContext(ctx, &link, tx.Rebind(`SELECT app_id, user_label, role, return_url, expires_at, session_ttl FROM portal_links WHERE token_hash = ?`),
			hashToken(token)); err != nil {
			return err
		}
		sess = link.PortalSession
		sess.ExpiresAt = now.Add(time.Duration(link.TTL) * time.Second)
		sessToken = randomToken(portalTokenBytes)
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO portal_sessions (token_hash, app_id, user_label, role, return_url, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			hashToken(sessToken), sess.AppID, sess.User, string(sess.Role), sess.ReturnURL, now, sess.ExpiresAt); err != nil {
			return err
		}
		return s.audit(ctx, tx, sess.AppID, hook.Actor{Label: sess.ActorLabel()}, "portal.session.start", "portal", "", string(sess.Role))
	})
	if err != nil {
		return PortalSession{}, "", err
	}
	return sess, sessToken, nil
}

// ErrPortalSessionEnded is the answer for a portal session that expired or
// was ended.
var ErrPortalSessionEnded = hook.Errorf(hook.EUNAUTHORIZED, "This session has ended. Open Webhooks again from the product you came from.")

// PortalSessionByToken returns a live portal session; ErrPortalSessionEnded
// when the token is unknown, expired or ended.
func (s *Store) PortalSessionByToken(ctx context.Context, token string) (PortalSession, error) {
	var sess PortalSession
	if token == "" {
		return sess, ErrPortalSessionEnded
	}
	err := s.db.GetContext(ctx, &sess, s.db.Rebind(`SELECT app_id, user_label, role, return_url, expires_at FROM portal_sessions WHERE token_hash = ? AND expires_at > ?`),
		hashToken(token), s.now())
	if hook.ErrorCode(notFound(err, "")) == hook.ENOTFOUND {
		return sess, ErrPortalSessionEnded
	}
	return sess, err
}

// EndPortalSessions ends every portal session of the app at once and
// returns how many there were; their next request finds them signed out.
func (s *Store) EndPortalSessions(ctx context.Context, actor hook.Actor, appID string) (int, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM portal_sessions WHERE app_id = ?`), appID)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		return s.audit(ctx, tx, appID, actor, "portal.sessions.end", "portal", "", "")
	})
	return int(n), err
}

// DeleteExpiredPortal removes portal links and sessions past their end.
func (s *Store) DeleteExpiredPortal(ctx context.Context) error {
	now := s.now()
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM portal_links WHERE expires_at <= ?`), now); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM portal_sessions WHERE expires_at <= ?`), now)
	return err
}
