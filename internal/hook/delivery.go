package hook

import (
	"math/rand/v2"
	"time"
)

// Delivery statuses.
const (
	StatusPending   = "pending"
	StatusRetrying  = "retrying"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
)

// Attempt triggers.
const (
	TriggerAutomatic = "automatic"
	TriggerManual    = "manual"
	TriggerTest      = "test"
)

// PingEventType is the event the "Send test event" button delivers.
const PingEventType = "webhook.ping"

// Event is one thing that happened, with the payload bytes exactly as the
// product sent them.
type Event struct {
	ID        string    `db:"id"`
	AppID     string    `db:"app_id"`
	EventType string    `db:"event_type"`
	Payload   []byte    `db:"payload"`
	CreatedAt time.Time `db:"created_at"`
}

// Delivery is one event sent to one webhook (the "event log" in the UI).
type Delivery struct {
	ID                string     `db:"id"`
	AppID             string     `db:"app_id"`
	WebhookID         string     `db:"webhook_id"`
	EventID           string     `db:"event_id"`
	EventType         string     `db:"event_type"`
	Status            string     `db:"status"`
	Attempts          int        `db:"attempts"`           // every attempt, manual and test ones included
	AutomaticAttempts int        `db:"automatic_attempts"` // the retry schedule's attempts only
	NextAttemptAt     *time.Time `db:"next_attempt_at"`
	LastAttemptAt     *time.Time `db:"last_attempt_at"`
	CreatedAt         time.Time  `db:"created_at"`
	UpdatedAt         time.Time  `db:"updated_at"`
}

// Job is a claimed delivery with what the sender needs to send it.
type Job struct {
	Delivery
	Payload []byte
}

// Target is a webhook as the sender needs it: where, how to authenticate,
// and the secrets to sign with (newest first).
type Target struct {
	Webhook
	AuthSecret string
	Secrets    []string
	Headers    []Header // custom request headers, values in clear
}

// Attempt is one HTTP request of a delivery and what came back.
type Attempt struct {
	ID                string              `json:"id"`
	DeliveryID        string              `json:"deliveryId"`
	WebhookID         string              `json:"webhookId"`
	Trigger           string              `json:"trigger"`
	Succeeded         bool                `json:"succeeded"`
	RequestURL        string              `json:"requestUrl"`
	RequestHeaders    map[string][]string `json:"requestHeaders"`
	ResponseStatus    int                 `json:"responseStatus,omitempty"` // 0 when no response
	ResponseHeaders   map[string][]string `json:"responseHeaders,omitempty"`
	ResponseBody      []byte              `json:"-"`
	ResponseTruncated bool                `json:"responseTruncated"`
	Duration          time.Duration       `json:"-"`
	Error             string              `json:"error,omitempty"`
	CreatedAt         time.Time           `json:"createdAt"`
}

// Outcome is what an attempt does to its delivery.
type Outcome struct {
	Status        string
	NextAttemptAt *time.Time
}

// RetrySchedule is the wait before each retry after a failed attempt:
// eight attempts in all, then the delivery fails.
var RetrySchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// MaxRetryAfter bounds how long a Retry-After header may postpone a retry.
const MaxRetryAfter = 10 * time.Hour

// AfterAttempt decides what an attempt of the trigger does to delivery d.
// Only automatic attempts use up the retry schedule: a manual resend that
// fails leaves the delivery as it was (still retrying on schedule, or
// failed), one that succeeds ends it; a test event is never retried.
func AfterAttempt(d Delivery, trigger string, succeeded bool, status int, retryAfter time.Duration, now time.Time, jitter func() float64) Outcome {
	return AfterAttemptOn(RetrySchedule, d, trigger, succeeded, status, retryAfter, now, jitter)
}

// AfterAttemptOn is AfterAttempt on another retry schedule (a sender may be
// configured with a shorter one, for tests and development).
func AfterAttemptOn(schedule []time.Duration, d Delivery, trigger string, succeeded bool, status int, retryAfter time.Duration, now time.Time, jitter func() float64) Outcome {
	switch {
	case succeeded:
		return Outcome{Status: StatusSucceeded}
	case trigger == TriggerTest:
		return Outcome{Status: StatusFailed}
	case trigger == TriggerManual:
		return Outcome{Status: d.Status, NextAttemptAt: d.NextAttemptAt}
	}
	return nextOutcome(schedule, false, status, d.AutomaticAttempts+1, retryAfter, now, jitter)
}

// NextOutcome decides what follows an attempt: attempts is the count
// including this one; retryAfter is the receiver's Retry-After (429/503), or
// 0. jitter returns a factor in [-1, 1); nil means random.
func NextOutcome(succeeded bool, status, attempts int, retryAfter time.Duration, now time.Time, jitter func() float64) Outcome {
	return nextOutcome(RetrySchedule, succeeded, status, attempts, retryAfter, now, jitter)
}

func nextOutcome(schedule []time.Duration, succeeded bool, status, attempts int, retryAfter time.Duration, now time.Time, jitter func() float64) Outcome {
	if succeeded {
		return Outcome{Status: StatusSucceeded}
	}
	if status == 410 || attempts > len(schedule) {
		return Outcome{Status: StatusFailed}
	}
	if jitter == nil {
		jitter = func() float64 { return rand.Float64()*2 - 1 }
	}
	wait := schedule[attempts-1]
	wait += time.Duration(float64(wait) * 0.1 * jitter())
	if retryAfter > 0 && (status == 429 || status == 503) {
		wait = min(max(retryAfter, time.Second), MaxRetryAfter)
	}
	next := now.Add(wait)
	return Outcome{Status: StatusRetrying, NextAttemptAt: &next}
}
