package templates

import (
	"strconv"
	"time"
)

// RecoveryForms are the Recover and Replay forms of a webhook's page.
type RecoveryForms struct {
	AppID     string
	WebhookID string
	CanReplay bool         // Replay missing is for admins
	Running   *RecoveryRef // a job that runs for this webhook now, if any
	Window    TimeWindow
	Off       bool // the webhook is turned off: no job would send to it
	FIFO      bool // ordering fifo: Replay missing is refused (out of order)
}

// TimeWindow bounds a date-time input as datetime-local values: a
// recovery reaches back no further than the retention, and not past now.
type TimeWindow struct {
	Min string // "" when unbounded
	Max string
}

// RecoveryRef links a recovery job.
type RecoveryRef struct {
	ID     string
	Kind   string
	Status string
	// The webhook it runs for, named when the page is not that
	// webhook's (a bulk resend over several).
	WebhookID   string
	WebhookName string
}

// BulkResendOffer is the all-events page's offer to resend every failed
// delivery its filter matches; nil when the filter cannot match one.
type BulkResendOffer struct {
	AppID  string
	Count  int
	More   bool     // more than Count match (the count stopped there)
	Filter []Hidden // the filter, carried to the preview
}

// Hidden is one hidden form input.
type Hidden struct {
	Name  string
	Value string
}

// Fact is one labelled value of a description list.
type Fact struct {
	Label string
	Value string
	Field string // data-field, when the value is a hook for tests
}

// RecoveryPreview is the step before a job starts: what it covers (the
// form again, with any error beside its field), how many deliveries that
// is and how fast they will go, and Confirm.
type RecoveryPreview struct {
	Page
	AppID       string
	Kind        string // recover, bulk-resend or replay
	Heading     string
	WebhookID   string // recover and replay
	WebhookName string
	Since       string // recover and replay, as typed
	Window      TimeWindow
	Until       string // recover
	Filter      []Hidden
	FilterFacts []Fact // bulk resend: the filter in words
	Action      string // where the form and Confirm go (GET previews, POST starts)
	Back        string // the page the user came from
	Errors      map[string]string
	Previewed   bool // Count, Webhooks, Rate and Duration are set
	Count       int
	More        bool         // more than Count (the preview stopped counting): Duration and Webhooks are lower bounds
	Webhooks    int          // how many webhooks they go to
	Rate        int          // requests per second per webhook
	Duration    string       // how long the job takes at Rate, in words
	Limited     bool         // a webhook's rate limit (shared with its traffic) sets Rate, Duration
	Off         int          // of Count: deliveries to webhooks that are off, which the job skips
	OffMore     bool         // more than Off
	AllOff      bool         // every delivery is to a webhook that is off: no Confirm
	Refused     string       // why the store will not start it (nothing to do, webhook off)
	Conflict    *RecoveryRef // the start ran into this job (409)
	Running     *RecoveryRef // a job runs for the webhook: no Confirm until it ends
}

// RecoveryVM is a recovery job as its page and the jobs list show it.
type RecoveryVM struct {
	ID          string
	Kind        string
	KindLabel   string
	Status      string
	WebhookID   string
	WebhookName string
	WebhookGone bool   // its webhook was deleted
	Scope       []Fact // what it covers
	Rate        int
	Limit       int // its webhook's rate limit when lower than Rate (shared with its traffic), else 0
	Total       int
	Sent        int
	Succeeded   int
	Failed      int
	Skipped     int
	Interrupted int // of Failed: in flight when Hookboard stopped, not sent again
	Done        int // succeeded + failed + skipped: the progress bar's value
	StartedBy   string
	CreatedAt   time.Time
	StartedAt   *time.Time
	FinishedAt  *time.Time
	Remaining   string // time left, while it runs
	Observed    bool   // Remaining is from the pace so far (else at the rate)
	Error       string
}

// Live reports whether the job may still change (queued or running).
func (r RecoveryVM) Live() bool { return r.Status == "queued" || r.Status == "running" }

// RecoveryPage is a recovery job's page.
type RecoveryPage struct {
	Page
	AppID     string
	Job       RecoveryVM
	CanCancel bool // the job is live and the user may cancel its kind
	AsOf      time.Time
}

// RecoveryList is the list of an app's recovery jobs.
type RecoveryList struct {
	Page
	AppID     string
	Rows      []RecoveryVM
	NextURL   string
	NewestURL string
}

// Outcome is the job's figures as its result: "3 succeeded · 1 failed ·
// 0 skipped".
func (r RecoveryVM) Outcome() string {
	return strconv.Itoa(r.Succeeded) + " succeeded · " + strconv.Itoa(r.Failed) + " failed · " + strconv.Itoa(r.Skipped) + " skipped"
}

// NoneSucceeded reports a job that ended done with items but not one
// succeeded: every one failed or was skipped.
func (r RecoveryVM) NoneSucceeded() bool {
	return r.Status == "done" && r.Total > 0 && r.Succeeded == 0
}

// StatusClass is the status's look: done reads as success only when what
// it sent succeeded; with failures it warns, with no success it is bad.
func (r RecoveryVM) StatusClass() string {
	switch {
	case r.NoneSucceeded():
		return "status-bad"
	case r.Status == "done" && r.Failed > 0:
		return "status-warn"
	}
	return recoveryStatusClass(r.Status)
}

// StatusNote follows a done job's status when not all succeeded: "0 of 300
// succeeded".
func (r RecoveryVM) StatusNote() string {
	if r.Status != "done" || r.Succeeded == r.Total {
		return ""
	}
	return strconv.Itoa(r.Succeeded) + " of " + strconv.Itoa(r.Total) + " succeeded"
}
