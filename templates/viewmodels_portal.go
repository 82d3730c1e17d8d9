package templates

// Brand is an app's branding, shown in the portal's header.
type Brand struct {
	Name    string // display name; empty: the app's name
	Accent  string // #rrggbb, served as a style sheet; empty: Hookboard's
	LogoURL string // https; empty: none
}

func portalName(p Page) string {
	switch {
	case p.Brand.Name != "":
		return p.Brand.Name
	case p.App != nil:
		return p.App.Name
	}
	return "Webhooks"
}

// Settings is the app's Settings page: the portal's branding.
type Settings struct {
	Page
	AppID       string
	DisplayName string
	AccentColor string
	LogoURL     string
	Errors      map[string]string
}
