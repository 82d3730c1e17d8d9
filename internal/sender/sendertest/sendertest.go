// Package sendertest runs a sender in tests the way production does, under
// Run, and steps it: wake it, then wait until what was due is done.
package sendertest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/store"
)

// StepTimeout bounds how long Step waits.
const StepTimeout = 20 * time.Second

// A Driver runs a Sender until the test ends (or Stop).
type Driver struct {
	Sender *sender.Sender
	tb     testing.TB
	st     *store.Store
	now    func() time.Time
	claims atomic.Int64
	// claimed counts the claim queries that returned.
	claimed atomic.Int64
	// recorded counts the attempts Run's recorders wrote, and stepped
	// what the last Step had seen of it.
	recorded  atomic.Int64
	recording atomic.Int64 // RecordAttempts calls under way
	stepped   int64
	stop      func()
}

// counting is the store as the sender sees it, counting claim queries.
type counting struct {
	*store.Store
	d *Driver
}

// RecordAttemptsHanding is how Run records (Deliver, for resends and test
// events, records through RecordAttempt): counted, so Step reports this
// sender's own attempts whenever Run made them, even before the first Step.
func (c counting) RecordAttemptsHanding(ctx context.Context, owner string, recs []store.AttemptRecord, h store.Handover) ([]string, []hook.Job, error) {
	c.d.recording.Add(1)
	defer c.d.recording.Add(-1)
	off, handed, err := c.Store.RecordAttemptsHanding(ctx, owner, recs, h)
	if err == nil {
		c.d.recorded.Add(int64(len(recs)))
	}
	return off, handed, err
}

func (c counting) ClaimDue(ctx context.Context, owner string, limit int, lease time.Duration, exclude []string) ([]hook.Job, error) {
	c.d.claims.Add(1)
	defer c.d.claimed.Add(1)
	return c.Store.ClaimDue(ctx, owner, limit, lease, exclude)
}

// Start builds a sender on st with opts (its Store is set here) and runs
// it until the test ends. opts.Now, if set, must be the store's clock.
func Start(tb testing.TB, st *store.Store, opts sender.Options) *Driver {
	tb.Helper()
	d := &Driver{tb: tb, st: st, now: opts.Now}
	if d.now == nil {
		d.now = time.Now
	}
	opts.Store = counting{Store: st, d: d}
	if opts.PollInterval == 0 {
		// Claims follow Step (and the sender's own follow-ups), not a
		// timer: with a test clock, nothing is sent between steps.
		opts.PollInterval = time.Hour
	}
	d.Sender = sender.New(opts)
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Sender.Run(runCtx) }()
	var once sync.Once
	d.stop = func() { once.Do(func() { cancel(); <-done }) }
	tb.Cleanup(d.stop)
	// Run claims once as it starts. Wait for that claim, so it takes only
	// what was due before Start (a test's later set-up is left alone until
	// it steps), however late the scheduler runs Run's goroutine.
	deadline := time.Now().Add(StepTimeout)
	for d.claimed.Load() == 0 {
		if time.Now().After(deadline) {
			tb.Fatalf("sendertest: Run did not make its first claim within %v", StepTimeout)
		}
		time.Sleep(time.Millisecond)
	}
	return d
}

// Stop stops Run and waits until it returned: requests in flight finish
// and are recorded.
func (d *Driver) Stop() { d.stop() }

// Step wakes the sender and waits until it claimed since and nothing is
// left that it could claim or still holds: every delivery due by the
// store's clock was attempted and its attempt recorded. It returns how many
// attempts Run recorded since the previous Step (or since Start: Run claims
// at once, so work due before the first Step may be done before it).
func (d *Driver) Step() int {
	d.tb.Helper()
	claims := d.claims.Load()
	d.Sender.Wake()
	deadline := time.Now().Add(StepTimeout)
	// pending before recording: a record that committed (so pending no
	// longer sees its delivery) is counted once its call returns.
	for d.claims.Load() <= claims || d.pending() > 0 || d.recording.Load() > 0 {
		if time.Now().After(deadline) {
			d.tb.Fatalf("sendertest: the sender did not finish what was due within %v", StepTimeout)
		}
		time.Sleep(2 * time.Millisecond)
	}
	now := d.recorded.Load()
	n := now - d.stepped
	d.stepped = now
	return int(n)
}

// pending counts the deliveries the sender could claim now, or holds.
func (d *Driver) pending() int {
	now := d.now().UTC()
	return d.count(`SELECT COUNT(*) FROM deliveries WHERE lease_owner = ?
		OR (status IN ('pending', 'retrying') AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until < ?))`,
		d.Sender.Owner(), now, now)
}

func (d *Driver) count(q string, args ...any) int {
	d.tb.Helper()
	var n int
	if err := d.st.DB().Get(&n, d.st.DB().Rebind(q), args...); err != nil {
		d.tb.Fatal(err)
	}
	return n
}
