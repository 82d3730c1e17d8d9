package web

import (
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
)

// A running job's time left comes from its pace so far when it has one: a
// slow endpoint held a job at 1/s while the rate (20/s) said 5 seconds.
func TestRecoveryTimeLeft(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	started := now.Add(-100 * time.Second)
	job := hook.Recovery{Status: hook.RecoveryRunning, Rate: 20, Total: 160, Succeeded: 90, Failed: 10, StartedAt: &started}
	if words, observed := timeLeft(job, now); words != "60 seconds" || !observed {
		t.Errorf("at 1/s with 60 left: %q (observed %v), want 60 seconds from the pace", words, observed)
	}
	queued := hook.Recovery{Status: hook.RecoveryQueued, Rate: 20, Total: 100}
	if words, observed := timeLeft(queued, now); words != "5 seconds" || observed {
		t.Errorf("not started: %q (observed %v), want 5 seconds at the rate", words, observed)
	}
	justStarted := now.Add(-300 * time.Millisecond)
	queued.StartedAt, queued.Succeeded = &justStarted, 1
	if _, observed := timeLeft(queued, now); observed {
		t.Error("under a second of pace counted as observed")
	}
	vm := recoveryVM(job, "Billing", now)
	if vm.Remaining != "60 seconds" || !vm.Observed {
		t.Errorf("page: %q observed %v", vm.Remaining, vm.Observed)
	}
}

// The refusal of a bulk resend whose deliveries all go to webhooks that are
// off reads right counted exactly and past the preview's cap.
func TestAllOffMessage(t *testing.T) {
	for _, c := range []struct {
		n    int
		more bool
		want string
	}{
		{1, false, "All 1 matching failed delivery belongs to turned-off webhooks"},
		{3, false, "All 3 matching failed deliveries belong to turned-off webhooks"},
		{2000, true, "All matching failed deliveries (more than 2000) belong to turned-off webhooks"},
	} {
		if got := allOffMessage(c.n, c.more); !strings.HasPrefix(got, c.want) {
			t.Errorf("allOffMessage(%d, %v) = %q, want it to start %q", c.n, c.more, got, c.want)
		}
	}
}
