package store_test

import (
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// A take leaves queued the items to the webhooks the runner calls busy
// (and says so when only theirs are left), and gives a rate-limited
// webhook only the tokens its shared bucket has, saying when the next is
// free; the preview paces such a webhook at its limit.
func TestRecoveryTakeBusyAndRateLimit(t *testing.T) {
	clock := clockAt()
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		f := newRecoveryFixture(t, s, clock)
		since := clock.Now()
		for range 3 {
			f.deliveries(t, "invoice.paid", hook.StatusFailed) // to A and B
		}
		in := validInput()
		in.Name, in.RateLimit = "A", 1
		if _, err := s.UpdateWebhook(ctx, actor, f.app.ID, f.a.ID, in, policy); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		spec := hook.RecoverySpec{Kind: hook.BulkResend, Status: hook.StatusFailed, From: since}
		p, err := s.PreviewRecovery(ctx, f.app.ID, spec, 20, 1000)
		if err != nil || p.Count != 6 || p.Webhooks != 2 || p.Rate != 1 || p.ETA != 3*time.Second || !p.Limited {
			t.Fatalf("preview %+v, %v: want 6 to 2 webhooks, A's 3 at its limit 1/s", p, err)
		}
		owner := store.NewLeaseOwner()
		release, err := s.HoldOwner(ctx, owner, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		job, err := s.StartRecovery(ctx, actor, f.app.ID, spec, 20)
		if err != nil || job.Total != 6 {
			t.Fatalf("start: %+v %v", job, err)
		}
		if _, ok, err := s.ClaimRecovery(ctx, owner, 30*time.Second, nil); !ok || err != nil {
			t.Fatal(ok, err)
		}
		b, err := s.TakeRecoveryBatch(ctx, owner, job.ID, 10, time.Minute, f.a.ID)
		if err != nil || len(b.Jobs) != 3 || b.Held || b.Finished {
			t.Fatalf("take with A busy: %d jobs, %+v, %v", len(b.Jobs), b, err)
		}
		var recs []store.AttemptRecord
		for _, j := range b.Jobs {
			if j.WebhookID != f.b.ID {
				t.Errorf("took an item to busy A: %+v", j)
			}
			recs = append(recs, recoveryRecord(j, true))
		}
		if err := s.RecordRecoveryBatch(ctx, owner, job.ID, recs); err != nil {
			t.Fatal(err)
		}
		if b, err = s.TakeRecoveryBatch(ctx, owner, job.ID, 10, time.Minute, f.a.ID); err != nil || len(b.Jobs) != 0 || !b.Held || b.Finished {
			t.Fatalf("take with only busy A's items left: %+v, %v", b, err)
		}
		// A is limited to 1/s: one token now, the next a second later.
		b, err = s.TakeRecoveryBatch(ctx, owner, job.ID, 10, time.Minute)
		if err != nil || len(b.Jobs) != 1 || b.Waiting != 2 || b.LimitedUntil.Before(clock.Now().Add(900*time.Millisecond)) {
			t.Fatalf("take from limited A: %d jobs, %d waiting, free at %v (now %v), %v", len(b.Jobs), b.Waiting, b.LimitedUntil, clock.Now(), err)
		}
		if err := s.RecordRecoveryBatch(ctx, owner, job.ID, []store.AttemptRecord{recoveryRecord(b.Jobs[0], true)}); err != nil {
			t.Fatal(err)
		}
		if b, err = s.TakeRecoveryBatch(ctx, owner, job.ID, 10, time.Minute); err != nil || len(b.Jobs) != 0 || b.LimitedUntil.IsZero() {
			t.Fatalf("take from limited A at once: %+v, %v", b, err)
		}
		clock.Advance(1100 * time.Millisecond)
		if b, err = s.TakeRecoveryBatch(ctx, owner, job.ID, 10, time.Minute); err != nil || len(b.Jobs) != 1 {
			t.Fatalf("take from limited A a second later: %+v, %v", b, err)
		}
	})
}

// Replay missing is refused on a FIFO webhook (preview and start alike):
// its endpoint saw later events already, so replayed ones would arrive out
// of order. Nothing is stored.
func TestReplayRefusedOnFIFO(t *testing.T) {
	clock := clockAt()
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		f := newRecoveryFixture(t, s, clock)
		since := clock.Now()
		f.deliveries(t, "invoice.paid", hook.StatusSucceeded)
		in := validInput()
		in.Name, in.Ordering = "C", hook.OrderingFIFO
		c, _, err := s.CreateWebhook(ctx, actor, f.app.ID, in, policy)
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		spec := hook.RecoverySpec{Kind: hook.ReplayMissing, WebhookID: c.ID, Since: since}
		if _, err := s.PreviewRecovery(ctx, f.app.ID, spec, 20, 1000); hook.ErrorCode(err) != hook.EINVALID || hook.ErrorMessage(err) != store.ReplayFIFOMessage {
			t.Errorf("preview replay to a FIFO webhook: %v", err)
		}
		if _, err := s.StartRecovery(ctx, actor, f.app.ID, spec, 20); hook.ErrorCode(err) != hook.EINVALID || hook.ErrorMessage(err) != store.ReplayFIFOMessage {
			t.Errorf("start replay to a FIFO webhook: %v", err)
		}
		var n int
		if err := s.DB().Get(&n, `SELECT COUNT(*) FROM recoveries`); err != nil || n != 0 {
			t.Errorf("%d jobs stored, %v", n, err)
		}
		// Once its ordering is none again, the replay is allowed.
		in.Ordering = hook.OrderingNone
		if _, err := s.UpdateWebhook(ctx, actor, f.app.ID, c.ID, in, policy); err != nil {
			t.Fatal(err)
		}
		if p, err := s.PreviewRecovery(ctx, f.app.ID, spec, 20, 1000); err != nil || p.Count != 1 {
			t.Errorf("replay once the webhook is not FIFO: %+v, %v", p, err)
		}
	})
}
