// Package templates renders Hookboard's pages with templ. Pages receive the
// view models below, never database rows or requests.
package templates

import "time"

// Page is what the layout needs on every page.
type Page struct {
	Title     string
	User      string // e-mail of the signed-in user; empty when signed out
	App       *AppRef
	Apps      []AppRef
	Nav       string // active section
	Flashes   []Flash
	CanChange bool // the user may change things in App (admin)
	Static    func(name string) string
	// Portal: a portal session's page (issue 17): no app switcher, no
	// Account, sign-out, Members, API keys or Settings; the app's branding.
	Portal    bool
	ReturnURL string // the portal's way back to the product, https
	Brand     Brand
}

// StaticURL returns the cache-busted URL of a static file.
func (p Page) StaticURL(name string) string {
	if p.Static == nil {
		return "/static/" + name
	}
	return p.Static(name)
}

// AppRef names an app for the header and the switcher.
type AppRef struct {
	ID   string
	Name string
	Role string
}

// Flash is a one-time message shown after a redirect.
type Flash struct {
	Kind    string // success, error, info
	Message string
}

// Login is the sign-in page.
type Login struct {
	Page
	Email  string
	Next   string
	Error  string
	Status int
	// PortalOpen: this browser holds a portal session, which signing in ends.
	PortalOpen bool
}

// ErrorPage explains a 403, 404 or 500.
type ErrorPage struct {
	Page
	Status  int
	Heading string
	Message string
	Fields  []FieldErrorVM // input refused before a form could show it
}

// FieldErrorVM names one refused input field and why.
type FieldErrorVM struct {
	Field   string
	Message string
}

// WebhookRow is one line of the webhook list.
type WebhookRow struct {
	ID          string
	Name        string
	URL         string
	Active      bool
	Disabled    string // reason, when Hookboard turned it off
	SuccessRate string // "98.5 %" or "—"
	RateTitle   string
	Health      Health
}

// WebhookList is the webhook list page.
type WebhookList struct {
	Page
	AppID string
	Rows  []WebhookRow
}

// EventChoice is one event type checkbox on the webhook form.
type EventChoice struct {
	Name        string
	Description string
	Checked     bool
	Archived    bool
}

// WebhookForm is the create and edit form.
type WebhookForm struct {
	Page
	AppID         string
	WebhookID     string // empty on create
	Action        string
	Name          string
	URL           string
	Description   string
	Active        bool
	AllEvents     bool
	Events        []EventChoice
	AuthType      string
	AuthUsername  string
	AuthHeader    string
	HasCredential bool // a stored password or key value exists (edit)
	CanSetSecret  bool // the edit form offers a custom signing secret
	// Reenter asks the user to type credentials again after an error:
	// typed secrets are never echoed back into the page.
	Reenter bool
	Errors  map[string]string
	Policy  PolicyForm
	// AllowHTTP: this server accepts plain http:// URLs too
	// (HOOKBOARD_ALLOW_HTTP_TARGETS), so the URL's help says so.
	AllowHTTP bool
}

// IsEdit reports whether the form edits an existing webhook.
func (f WebhookForm) IsEdit() bool { return f.WebhookID != "" }

// WebhookDetail is a webhook's own page.
type WebhookDetail struct {
	Page
	AppID          string
	ID             string
	Name           string
	URL            string
	Description    string
	Active         bool
	DisabledReason string
	Events         []string
	AuthType       string
	AuthDetail     string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Secret is the signing secret as shown: masked, or in full after an
	// admin asked to reveal it (Revealed).
	Secret          string
	SecretID        string // the current secret's id, so a repeated rotation is noticed
	Revealed        bool
	PreviousExpires *time.Time
	Chart           Chart
	Health          Health
	Recovery        RecoveryForms
	Policy          PolicyFacts
}

// NewSecret shows a signing secret once, after create or rotate.
type NewSecret struct {
	Page
	AppID     string
	WebhookID string
	Name      string
	Secret    string
	Rotated   bool
	OldExpiry *time.Time // when the replaced secret stops (rotate)
	Notice    string
}

// RotateSecret is the no-JavaScript confirm page of a rotation.
type RotateSecret struct {
	Page
	AppID        string
	WebhookID    string
	Name         string
	SecretID     string
	ExpireOldNow bool
}

// DeleteWebhook is the delete confirmation page.
type DeleteWebhook struct {
	Page
	AppID string
	ID    string
	Name  string
	URL   string
}

// EventTypeRow is one catalog entry.
type EventTypeRow struct {
	Name        string
	Description string
	Example     string
	Archived    bool
	CreatedAt   time.Time
}

// EventTypes is the catalog page with its add form.
type EventTypes struct {
	Page
	AppID       string
	Rows        []EventTypeRow
	Name        string
	Description string
	Example     string
	Errors      map[string]string
}

// NoApps is shown to a signed-in user who belongs to no app.
type NoApps struct {
	Page
}

// APIKeyRow is one API key in the list.
type APIKeyRow struct {
	ID         string
	Name       string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// APIKeys is the API keys page.
type APIKeys struct {
	Page
	AppID  string
	Rows   []APIKeyRow
	Name   string
	Errors map[string]string
	NewKey string // shown once, right after creation
	NewFor string
}

// Option is one choice of a select.
type Option struct {
	Value    string
	Label    string
	Selected bool
}

// DeliveryRowVM is one delivery in an event log.
type DeliveryRowVM struct {
	ID          string
	EventID     string
	EventType   string
	Status      string
	WebhookID   string
	WebhookName string
	CreatedAt   time.Time
	LogRowVM
}

// EventLog is the app-wide Events page and a webhook's Events tab.
type EventLog struct {
	Page
	AppID       string
	WebhookID   string // set on a webhook's tab
	WebhookName string
	Rows        []DeliveryRowVM
	Statuses    []Option
	EventTypes  []Option
	Webhooks    []Option // app-wide page only
	From        string
	To          string
	Filtered    bool
	NextURL     string
	NewestURL   string // when not on the first page
	Errors      map[string]string
	Query       string    // the search (q)
	Now         time.Time // what relative times count from
	BulkResend  *BulkResendOffer
}

// HeaderVM is one HTTP header line.
type HeaderVM struct {
	Name  string
	Value string
	Time  *time.Time // webhook-timestamp read as a date
}

// AttemptVM is one attempt on the Responses tab.
type AttemptVM struct {
	ID        string
	Succeeded bool
	Status    int
	Headers   []HeaderVM
	Body      string
	Truncated bool
	Duration  string
	Error     string
	Trigger   string
	Hint      string
	CreatedAt time.Time
}

// DeliveryPage is the event details page.
type DeliveryPage struct {
	Page
	AppID          string
	ID             string
	EventID        string
	EventType      string
	Status         string
	WebhookID      string
	WebhookName    string
	WebhookURL     string
	AttemptCount   int
	NextAttemptAt  *time.Time
	Timestamp      time.Time
	Payload        string
	Tab            string // request or response
	RequestURL     string
	RequestHeaders []HeaderVM
	Attempts       []AttemptVM
	CanResend      bool
	// The request tab's attempt picker: every attempt, newest first, and
	// the one whose request is shown (the latest unless ?attempt= says).
	RequestAttempts  []AttemptChoice
	RequestAttemptID string
	Now              time.Time
}

// AttemptChoice is one attempt in the request tab's picker.
type AttemptChoice struct {
	ID        string
	Number    int
	Succeeded bool
	CreatedAt time.Time
	URL       string
	Selected  bool
}

// ChartBar is one hour of the webhook page's chart, in SVG units.
type ChartBar struct {
	X, Width          float64
	SuccY, SuccH      float64
	FailY, FailH      float64
	Label             string
	Succeeded, Failed int
}

// Chart is a window of attempts (a webhook's or an app's), as bars.
type Chart struct {
	Bars      []ChartBar
	Succeeded int
	Failed    int
	Max       int
	Height    float64
	Width     float64
	// The plot area inside the axes, the ticks on both, the window in
	// words ("the last hour") and the text alternative.
	PlotX, PlotY, PlotW, PlotH float64
	XTicks, YTicks             []ChartTick
	Window                     string
	Summary                    string
}

// ChartTick is one axis label at a position (x for times, y for counts).
type ChartTick struct {
	Pos   float64
	Label string
}

// MemberRow is one member of the app.
type MemberRow struct {
	UserID    string
	Email     string
	Role      string
	Self      bool
	CreatedAt time.Time
}

// Members is the members page.
type Members struct {
	Page
	AppID        string
	Rows         []MemberRow
	Email        string
	Role         string
	Errors       map[string]string
	NewEmail     string // set after adding a new user
	TempPassword string // shown once with it
}

// AuditRow is one audit log entry.
type AuditRow struct {
	ID         string
	Action     string
	Label      string
	Actor      string
	ObjectType string
	ObjectID   string
	ObjectURL  string
	Detail     string
	CreatedAt  time.Time
}

// Audit is the audit log page.
type Audit struct {
	Page
	AppID       string
	Rows        []AuditRow
	NextURL     string
	NewestURL   string
	CursorError string // a cursor that is not one of ours (400)
}

// Confirm is the no-JavaScript confirm step of a destructive action.
type Confirm struct {
	Page
	Heading string
	Message string
	Action  string
	Button  string
	Cancel  string
}

// LogRowVM is what the event log's rows show of a delivery's latest attempt
// and its retry, beside DeliveryRowVM's identity.
type LogRowVM struct {
	ResponseStatus string // "404", "timeout", …; "" before the first attempt
	Attempts       int
	Duration       string // "" before the first attempt
	NextAttemptAt  *time.Time
}

// EventPage is an event's page: the event and its deliveries, one per webhook.
type EventPage struct {
	Page
	AppID      string
	ID         string
	EventType  string
	CreatedAt  time.Time
	Now        time.Time
	Payload    string
	Deliveries []DeliveryRowVM
}
