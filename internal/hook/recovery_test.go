package hook

import (
	"errors"
	"testing"
	"time"
)

func TestRecoverySpecValidate(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	ret := 30 * 24 * time.Hour
	for _, c := range []struct {
		name  string
		spec  RecoverySpec
		field string // "" when valid
	}{
		{"recover", RecoverySpec{Kind: RecoverFailed, WebhookID: "w", Since: now.Add(-time.Hour)}, ""},
		{"recover until", RecoverySpec{Kind: RecoverFailed, WebhookID: "w", Since: now.Add(-time.Hour), Until: now}, ""},
		{"since required", RecoverySpec{Kind: RecoverFailed, WebhookID: "w"}, "since"},
		{"since older than retention", RecoverySpec{Kind: RecoverFailed, WebhookID: "w", Since: now.Add(-ret - time.Minute)}, "since"},
		{"since in the future", RecoverySpec{Kind: ReplayMissing, WebhookID: "w", Since: now.Add(time.Minute)}, "since"},
		{"until before since", RecoverySpec{Kind: RecoverFailed, WebhookID: "w", Since: now.Add(-time.Hour), Until: now.Add(-2 * time.Hour)}, "until"},
		{"webhook required", RecoverySpec{Kind: ReplayMissing, Since: now.Add(-time.Hour)}, "webhookId"},
		{"bulk, no filter", RecoverySpec{Kind: BulkResend}, ""},
		{"bulk of retrying", RecoverySpec{Kind: BulkResend, Status: StatusRetrying}, ""},
		{"bulk of succeeded", RecoverySpec{Kind: BulkResend, Status: StatusSucceeded}, "status"},
		{"bulk to before from", RecoverySpec{Kind: BulkResend, From: now.Add(-time.Hour), To: now.Add(-2 * time.Hour)}, "to"},
		{"bulk from older than retention", RecoverySpec{Kind: BulkResend, From: now.Add(-ret - time.Hour)}, "from"},
	} {
		err := c.spec.Validate(now, ret)
		var fe FieldErrors
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.field != "" && (!errors.As(err, &fe) || fe.For(c.field) == ""):
			t.Errorf("%s: %v, want an error on %s", c.name, err, c.field)
		}
	}
	if ErrorCode(RecoverySpec{Kind: "nope"}.Validate(now, ret)) != EINVALID {
		t.Error("unknown kind accepted")
	}
	err := error(&RecoveryRunningError{RecoveryID: "r1", WebhookID: "w"})
	if ErrorCode(err) != ECONFLICT || ErrorMessage(err) == "Internal error." {
		t.Errorf("running error: %s %q", ErrorCode(err), ErrorMessage(err))
	}
	if p := NewRecoveryPreview(100, 2, 60, 20); p.ETA != 3*time.Second {
		t.Errorf("ETA %v", p.ETA)
	}
}
