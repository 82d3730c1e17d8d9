package hook

import (
	"fmt"
	"time"
)

// TriggerRecovery marks the attempts a recovery job makes.
const TriggerRecovery = "recovery"

// RecoveryKind is what a recovery job does.
type RecoveryKind string

// Recovery kinds.
const (
	// RecoverFailed resends one webhook's failed deliveries since a time.
	RecoverFailed RecoveryKind = "recover"
	// BulkResend resends the failed deliveries an event-log filter matches.
	BulkResend RecoveryKind = "bulk-resend"
	// ReplayMissing creates and sends a webhook's deliveries for the
	// events since a time it subscribes to and has none for.
	ReplayMissing RecoveryKind = "replay"
)

// Valid reports whether k is a known kind.
func (k RecoveryKind) Valid() bool {
	return k == RecoverFailed || k == BulkResend || k == ReplayMissing
}

// RecoveryStatus is where a recovery job is.
type RecoveryStatus string

// Recovery statuses.
const (
	RecoveryQueued    RecoveryStatus = "queued"
	RecoveryRunning   RecoveryStatus = "running"
	RecoveryDone      RecoveryStatus = "done"
	RecoveryCancelled RecoveryStatus = "cancelled"
	RecoveryFailed    RecoveryStatus = "failed"
)

// Open reports whether the job may still send (queued or running).
func (s RecoveryStatus) Open() bool { return s == RecoveryQueued || s == RecoveryRunning }

// DefaultRecoveryRate is HOOKBOARD_RECOVERY_RATE's default: requests per
// second a job sends to each webhook, on top of its normal traffic.
const DefaultRecoveryRate = 20

// MaxRecoveryRate bounds HOOKBOARD_RECOVERY_RATE.
const MaxRecoveryRate = 10000

// InterruptedDetail is what an item in flight when its process died says.
const InterruptedDetail = "interrupted: Hookboard stopped while this request was in flight; not sent again to avoid a duplicate"

// RecoverySpec is what a job covers, as asked. Which fields apply depends
// on the kind:
//   - recover: WebhookID, Since (required), Until (optional);
//   - replay: WebhookID, Since (required);
//   - bulk-resend: the event log's filter: WebhookID, Status ("", failed
//     or retrying), EventType, From, To (all optional).
//
// Recover and bulk resend take the deliveries the Resend rule allows:
// failed, or retrying whose latest attempt failed (attempted at least once).
type RecoverySpec struct {
	Kind      RecoveryKind
	WebhookID string
	Since     time.Time
	Until     time.Time // zero: up to now
	Status    string
	EventType string
	From      time.Time // inclusive
	To        time.Time // exclusive
}

// Validate checks the spec (the kind must be known). now is the current
// time and retention how long history is kept (0: not checked): Since and
// From may not be older than now-retention, since nothing older is left.
// Field names are the form's and the API's: since, until, status,
// eventType, webhookId, from, to.
func (sp RecoverySpec) Validate(now time.Time, retention time.Duration) error {
	var fe FieldErrors
	switch sp.Kind {
	case RecoverFailed, ReplayMissing:
		if sp.WebhookID == "" {
			fe.Add("webhookId", "Choose a webhook.")
		}
		validateSince(&fe, "since", sp.Since, now, retention, true)
		if !sp.Until.IsZero() && !sp.Until.After(sp.Since) {
			fe.Add("until", "Must be after since.")
		}
	case BulkResend:
		switch sp.Status {
		case "", StatusFailed, StatusRetrying:
		default:
			fe.Add("status", "Only failed or retrying deliveries can be resent; choose Failed, Retrying or any status.")
		}
		validateSince(&fe, "from", sp.From, now, retention, false)
		if !sp.To.IsZero() && !sp.From.IsZero() && !sp.To.After(sp.From) {
			fe.Add("to", "Must be after from.")
		}
	default:
		return Errorf(EINVALID, "Unknown recovery kind %q.", string(sp.Kind))
	}
	return fe.Err()
}

func validateSince(fe *FieldErrors, field string, t, now time.Time, retention time.Duration, required bool) {
	switch {
	case t.IsZero():
		if required {
			fe.Add(field, "Required: a date and time.")
		}
	case t.After(now):
		fe.Add(field, "Must not be in the future.")
	case retention > 0 && t.Before(now.Add(-retention)):
		fe.Add(field, fmt.Sprintf("Must be within the retention period (%s): nothing older is kept.", FormatRetention(retention)))
	}
}

// FormatRetention writes a retention as days when it is whole days.
func FormatRetention(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		days := int(d / (24 * time.Hour))
		if days == 1 {
			return "1 day"
		}
		return fmt.Sprintf("%d days", days)
	}
	return d.String()
}

// Recovery is a recovery job with its progress. Total is fixed at the start
// (what the job covers); every item ends succeeded, failed or skipped, so
// when the job is done Total = Succeeded + Failed + Skipped.
type Recovery struct {
	ID     string         `db:"id" json:"id"`
	AppID  string         `db:"app_id" json:"-"`
	Kind   RecoveryKind   `db:"kind" json:"kind"`
	Status RecoveryStatus `db:"status" json:"status"`

	WebhookID string     `db:"webhook_id" json:"webhookId,omitempty"`
	Since     *time.Time `db:"since_time" json:"since,omitempty"`
	Until     *time.Time `db:"until_time" json:"until,omitempty"`
	// The bulk-resend filter.
	FilterStatus string     `db:"filter_status" json:"filterStatus,omitempty"`
	EventType    string     `db:"event_type" json:"eventType,omitempty"`
	From         *time.Time `db:"from_time" json:"from,omitempty"`
	To           *time.Time `db:"to_time" json:"to,omitempty"`

	Rate      int `db:"rate" json:"rate"`           // requests per second to each webhook
	Total     int `db:"total" json:"total"`         // items the job covers
	Sent      int `db:"sent" json:"sent"`           // requests made and recorded
	Succeeded int `db:"succeeded" json:"succeeded"` // requests that succeeded
	Failed    int `db:"failed" json:"failed"`       // failed requests and interrupted items
	Skipped   int `db:"skipped" json:"skipped"`     // succeeded meanwhile, or gone
	// Interrupted items were in flight when their process died; they are
	// counted in Failed and never sent again.
	Interrupted int    `db:"interrupted" json:"interrupted"`
	Error       string `db:"error" json:"error,omitempty"` // why a job failed

	StartedBy   string     `db:"started_by" json:"startedBy"` // actor label
	StartedByID *string    `db:"started_by_id" json:"-"`
	CreatedAt   time.Time  `db:"created_at" json:"createdAt"`
	StartedAt   *time.Time `db:"started_at" json:"startedAt,omitempty"`
	FinishedAt  *time.Time `db:"finished_at" json:"finishedAt,omitempty"`
}

// Processed is how many items have an outcome: the progress bar's value.
func (r Recovery) Processed() int { return r.Succeeded + r.Failed + r.Skipped }

// Remaining is how many items are still to go.
func (r Recovery) Remaining() int { return max(0, r.Total-r.Processed()) }

// RecoveryPreview is what a job would cover, before it starts.
type RecoveryPreview struct {
	Count int // items (deliveries, or events for a replay)
	// More: there are more than Count items (the preview stopped counting);
	// ETA is then what Count of them take, a lower bound, and Webhooks
	// those they go to.
	More     bool
	Webhooks int           // webhooks they go to
	Rate     int           // requests per second to each webhook
	ETA      time.Duration // how long the job should take at Rate
	// Limited: a webhook's rate limit, lower than the job's rate, sets
	// Rate and ETA (the limit is shared with its normal traffic).
	Limited bool
}

// NewRecoveryPreview computes the ETA: the webhook with the most items
// (largest) sets it, since each webhook gets Rate.
func NewRecoveryPreview(count, webhooks, largest, rate int) RecoveryPreview {
	p := RecoveryPreview{Count: count, Webhooks: webhooks, Rate: rate}
	if rate > 0 {
		p.ETA = time.Duration(largest) * time.Second / time.Duration(rate)
	}
	return p
}

// RecoveryRunningError is the conflict when another job is queued or
// running for a webhook the new one would send to. errors.As finds an
// *Error with ECONFLICT in it, so the web layer answers 409.
type RecoveryRunningError struct {
	RecoveryID string // the open job
	WebhookID  string // the webhook both would send to
}

func (e *RecoveryRunningError) Error() string {
	return fmt.Sprintf("recovery %s is already running for webhook %s", e.RecoveryID, e.WebhookID)
}

// Unwrap is the ECONFLICT error with the message to show.
func (e *RecoveryRunningError) Unwrap() error {
	return Errorf(ECONFLICT, "Another recovery job is already running for this webhook; wait for it to finish or cancel it.")
}
