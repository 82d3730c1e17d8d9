package hook

import "time"

// Role is a member's role in an app.
type Role string

const (
	RoleAdmin   Role = "admin"
	RoleSupport Role = "support"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAdmin || r == RoleSupport }

// CanChange reports whether the role may change things (support may only read
// and resend).
func (r Role) CanChange() bool { return r == RoleAdmin }

// App is the tenant: everything else belongs to exactly one app.
type App struct {
	ID        string    `db:"id"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
}

// User is a person who signs in to the dashboard.
type User struct {
	ID           string    `db:"id"`
	Email        string    `db:"email"`
	PasswordHash string    `db:"password_hash"`
	CreatedAt    time.Time `db:"created_at"`
	// MustChangePassword: someone else set the password, so the user
	// chooses their own at the next sign-in before anything else.
	MustChangePassword bool `db:"must_change_password"`
}

// Membership is a user's role in one app.
type Membership struct {
	App  App
	Role Role
}

// Auth types for outbound requests.
const (
	AuthNone   = "none"
	AuthBasic  = "basic"
	AuthAPIKey = "api_key"
)

// AuthTypeLabel is what the dashboard calls an auth type.
func AuthTypeLabel(t string) string {
	switch t {
	case AuthBasic:
		return "Basic"
	case AuthAPIKey:
		return "API key"
	default:
		return "None"
	}
}

// AllEvents subscribes a webhook to every event type.
const AllEvents = "*"

// Webhook is a registered endpoint. AuthSecret (the Basic password or the
// API-key value) is decrypted only when the store is asked for it.
type Webhook struct {
	ID             string
	AppID          string
	Name           string
	URL            string
	Description    string
	Active         bool
	Events         []string
	AuthType       string
	AuthUsername   string
	AuthHeader     string
	HasAuthSecret  bool
	DisabledReason string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// Endpoint policies: requests per second (0: no limit), the custom
	// headers' names (their values are credentials, read only for
	// sending), and none or fifo.
	RateLimit   int
	HeaderNames []string
	Ordering    string
}

// EventType is a catalog entry such as invoice.paid.
type EventType struct {
	AppID       string     `db:"app_id"`
	Name        string     `db:"name"`
	Description string     `db:"description"`
	Example     string     `db:"example"`
	ArchivedAt  *time.Time `db:"archived_at"`
	CreatedAt   time.Time  `db:"created_at"`
}

// Archived reports whether the type is archived.
func (et EventType) Archived() bool { return et.ArchivedAt != nil }

// Actor is who did something, for the audit log.
type Actor struct {
	UserID string // empty for API keys and the system
	Label  string // e-mail, "api key hb_abc…", "system"
}

// AuditEntry records one change or sensitive read.
type AuditEntry struct {
	ID         string    `db:"id"`
	AppID      string    `db:"app_id"`
	ActorID    *string   `db:"actor_id"`
	Actor      string    `db:"actor"`
	Action     string    `db:"action"`
	ObjectType string    `db:"object_type"`
	ObjectID   string    `db:"object_id"`
	Detail     string    `db:"detail"`
	CreatedAt  time.Time `db:"created_at"`
}
