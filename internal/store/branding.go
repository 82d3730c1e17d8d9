package store

import (
	"context"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
)

// Branding is what an app's portal header shows instead of Hookboard's own;
// an empty field keeps the default.
type Branding struct {
	DisplayName string `db:"display_name"`
	AccentColor string `db:"accent_color"` // #rrggbb
	LogoURL     string `db:"logo_url"`     // https
}

var accentPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// ValidateBranding trims the input, lower-cases the colour and checks each
// field; the field names are the Settings form's.
func ValidateBranding(b *Branding) error {
	var fe hook.FieldErrors
	b.DisplayName = strings.TrimSpace(b.DisplayName)
	b.AccentColor = strings.ToLower(strings.TrimSpace(b.AccentColor))
	b.LogoURL = strings.TrimSpace(b.LogoURL)
	if utf8.RuneCountInString(b.DisplayName) > 100 || !utf8.ValidString(b.DisplayName) || strings.ContainsFunc(b.DisplayName, unicode.IsControl) {
		fe.Add("display_name", "Display name must be at most 100 characters of text.")
	}
	if b.AccentColor != "" && !accentPattern.MatchString(b.AccentColor) {
		fe.Add("accent_color", "Accent colour must be #rrggbb, for example #3553d6.")
	}
	if b.LogoURL != "" {
		if msg := validateHTTPSURL(b.LogoURL, "Logo URL"); msg != "" {
			fe.Add("logo_url", msg)
		}
	}
	return fe.Err()
}

// AppBranding returns the app's branding.
func (s *Store) AppBranding(ctx context.Context, appID string) (Branding, error) {
	var b Branding
	if !validID(appID) {
		return b, hook.Errorf(hook.ENOTFOUND, "App not found.")
	}
	err := s.db.GetContext(ctx, &b, s.db.Rebind(`SELECT display_name, accent_color, logo_url FROM apps WHERE id = ?`), appID)
	return b, notFound(err, "App")
}

// SetAppBranding validates and saves the app's branding, with an audit entry.
func (s *Store) SetAppBranding(ctx context.Context, actor hook.Actor, appID string, b Branding) (Branding, error) {
	if err := ValidateBranding(&b); err != nil {
		return b, err
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE apps SET display_name = ?, accent_color = ?, logo_url = ? WHERE id = ?`), b.DisplayName, b.AccentColor, b.LogoURL, appID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			if err == nil {
				err = hook.Errorf(hook.ENOTFOUND, "App not found.")
			}
			return err
		}
		return s.audit(ctx, tx, appID, actor, "app.branding", "app", appID, "")
	})
	return b, err
}
