package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// recoveryFixture is an app with webhooks A (invoice.paid) and B (every
// type), and a helper that ingests an event and leaves its deliveries in
// the state asked for.
type recoveryFixture struct {
	s     *store.Store
	clock *storetest.Clock
	app   hook.App
	a, b  hook.Webhook
}

func newRecoveryFixture(t *testing.T, s *store.Store, clock *storetest.Clock) *recoveryFixture {
	t.Helper()
	f := &recoveryFixture{s: s, clock: clock, app: mustApp(t, s, "Acme")}
	mustEventType(t, s, f.app.ID, "invoice.paid")
	mustEventType(t, s, f.app.ID, "order.created")
	in := validInput()
	in.Name = "A"
	var err error
	if f.a, _, err = s.CreateWebhook(ctx, actor, f.app.ID, in, policy); err != nil {
		t.Fatal(err)
	}
	in.Name, in.Events = "B", []string{"*"}
	if f.b, _, err = s.CreateWebhook(ctx, actor, f.app.ID, in, policy); err != nil {
		t.Fatal(err)
	}
	return f
}

// deliveries ingests one event of type and leaves its deliveries (to A
// and/or B) in state: pending (never attempted), retrying or failed (one
// failed attempt), succeeded. It returns the deliveries by webhook id.
func (f *recoveryFixture) deliveries(t *testing.T, eventType, state string) map[string]hook.Delivery {
	t.Helper()
	res, err := f.s.IngestEvent(ctx, f.app.ID, eventType, []byte(`{"type":"`+eventType+`"}`), "")
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := f.s.ListDeliveries(ctx, f.app.ID, store.DeliveryFilter{EventID: res.Event.ID})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]hook.Delivery{}
	for _, r := range rows {
		d := r.Delivery
		if state != hook.StatusPending {
			jobs, err := f.s.ClaimDue(ctx, "fixture", 100, time.Minute, nil)
			if err != nil {
				t.Fatal(err)
			}
			var job hook.Job
			for _, j := range jobs {
				if j.ID == d.ID {
					job = j
				} else if err := f.s.ReleaseJobs(ctx, "fixture", []string{j.ID}, nil); err != nil {
					t.Fatal(err)
				}
			}
			out := hook.Outcome{Status: state}
			if state == hook.StatusRetrying {
				next := f.clock.Now().Add(time.Hour)
				out.NextAttemptAt = &next
			}
			a := hook.Attempt{Trigger: hook.TriggerAutomatic, Succeeded: state == hook.StatusSucceeded, RequestURL: "https://example.com/hook", ResponseStatus: 500}
			if _, err := f.s.RecordAttempt(ctx, "fixture", job, a, out); err != nil {
				t.Fatal(err)
			}
		}
		out[d.WebhookID] = d
	}
	return out
}

func clockAt() *storetest.Clock {
	return storetest.NewClock(time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second))
}

// The deliveries a job covers follow the Resend rule exactly, at its
// edges: failed, and retrying after a failed attempt, count; pending (not
// attempted yet) and succeeded do not; nothing before since or at/after
// until; only the webhook asked for. Bulk resend takes the event log's
// filter; replay takes the events with no delivery to the webhook.
func TestRecoverySelection(t *testing.T) {
	clock := clockAt()
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		f := newRecoveryFixture(t, s, clock)
		f.deliveries(t, "invoice.paid", hook.StatusFailed) // before since
		clock.Advance(time.Hour)
		since := clock.Now()
		failed := f.deliveries(t, "invoice.paid", hook.StatusFailed)
		retrying := f.deliveries(t, "invoice.paid", hook.StatusRetrying)
		f.deliveries(t, "invoice.paid", hook.StatusPending)
		f.deliveries(t, "invoice.paid", hook.StatusSucceeded)
		f.deliveries(t, "order.created", hook.StatusFailed) // B only
		clock.Advance(time.Hour)
		until := clock.Now()
		f.deliveries(t, "invoice.paid", hook.StatusFailed) // at until
		clock.Advance(time.Minute)

		count := func(sp hook.RecoverySpec) int {
			t.Helper()
			p, err := s.PreviewRecovery(ctx, f.app.ID, sp, 20, 1000)
			if err != nil {
				t.Fatalf("preview %+v: %v", sp, err)
			}
			return p.Count
		}
		recoverA := hook.RecoverySpec{Kind: hook.RecoverFailed, WebhookID: f.a.ID, Since: since, Until: until}
		if n := count(recoverA); n != 2 {
			t.Errorf("recover A since..until: %d deliveries, want 2 (failed, retrying after a failed attempt)", n)
		}
		if n := count(hook.RecoverySpec{Kind: hook.RecoverFailed, WebhookID: f.a.ID, Since: since}); n != 3 {
			t.Errorf("recover A since: %d deliveries, want 3", n)
		}
		// A and B each get every invoice.paid event; B gets order.created too.
		if n := count(hook.RecoverySpec{Kind: hook.BulkResend}); n != 9 {
			t.Errorf("bulk resend, no filter: %d, want 9", n)
		}
		if n := count(hook.RecoverySpec{Kind: hook.BulkResend, Status: hook.StatusRetrying}); n != 2 {
			t.Errorf("bulk resend of retrying: %d, want 2", n)
		}
		if n := count(hook.RecoverySpec{Kind: hook.BulkResend, EventType: "order.created", From: since, To: until}); n != 1 {
			t.Errorf("bulk resend of order.created in range: %d, want 1", n)
		}
		if n, more, err := s.CountRecovery(ctx, f.app.ID, hook.RecoverySpec{Kind: hook.BulkResend}, 5); n != 5 || !more || err != nil {
			t.Errorf("capped count: %d %v %v", n, more, err)
		}
		if n, more, err := s.CountRecovery(ctx, f.app.ID, hook.RecoverySpec{Kind: hook.BulkResend}, 9); n != 9 || more || err != nil {
			t.Errorf("count at the cap: %d %v %v", n, more, err)
		}
		p, err := s.PreviewRecovery(ctx, f.app.ID, hook.RecoverySpec{Kind: hook.BulkResend, WebhookID: f.b.ID}, 2, 1000)
		if err != nil || p.Count != 5 || p.Webhooks != 1 || p.ETA != 2500*time.Millisecond {
			t.Errorf("bulk resend of B at 2/s: %+v, %v; want 5 deliveries in 2.5s", p, err)
		}
		// Past its limit the preview stops counting: More, Count at the
		// limit, and the ETA of what it counted (a lower bound).
		p, err = s.PreviewRecovery(ctx, f.app.ID, hook.RecoverySpec{Kind: hook.BulkResend}, 2, 4)
		if err != nil || p.Count != 4 || !p.More || p.ETA < 1500*time.Millisecond {
			t.Errorf("bulk resend counted up to 4: %+v, %v; want 4 and more, at least 1.5s", p, err)
		}
		p, err = s.PreviewRecovery(ctx, f.app.ID, hook.RecoverySpec{Kind: hook.BulkResend}, 2, 9)
		if err != nil || p.Count != 9 || p.More {
			t.Errorf("bulk resend counted up to exactly its 9: %+v, %v", p, err)
		}
		if _, err := s.PreviewRecovery(ctx, f.app.ID, hook.RecoverySpec{Kind: hook.BulkResend, Status: hook.StatusSucceeded}, 20, 1000); hook.ErrorCode(err) != hook.EINVALID {
			t.Errorf("bulk resend of succeeded: %v, want a field error", err)
		}
		if _, err := s.PreviewRecovery(ctx, f.app.ID, hook.RecoverySpec{Kind: hook.RecoverFailed, WebhookID: f.a.ID}, 20, 1000); !hasField(err, "since") {
			t.Errorf("recover without since: %v, want a field error on since", err)
		}
		other := mustApp(t, s, "Other")
		if _, err := s.PreviewRecovery(ctx, other.ID, recoverA, 20, 1000); !hasField(err, "webhookId") {
			t.Errorf("another app's webhook: %v, want a field error on webhookId", err)
		}

		// Replay: a webhook created now has no deliveries; A has them all.
		in := validInput()
		in.Name = "C"
		c, _, err := s.CreateWebhook(ctx, actor, f.app.ID, in, policy)
		if err != nil {
			t.Fatal(err)
		}
		if n := count(hook.RecoverySpec{Kind: hook.ReplayMissing, WebhookID: c.ID, Since: since}); n != 5 {
			t.Errorf("replay to C: %d events, want 5 invoice.paid", n)
		}
		if n := count(hook.RecoverySpec{Kind: hook.ReplayMissing, WebhookID: f.a.ID, Since: since}); n != 0 {
			t.Errorf("replay to A: %d events, want 0", n)
		}
		_ = failed
		_ = retrying
	})
}

func hasField(err error, field string) bool {
	var fe hook.FieldErrors
	return errors.As(err, &fe) && fe.For(field) != ""
}

// One open job per webhook: a second gets the first's id (409); a bulk
// resend that covers the webhook too. Start and cancel are audited; a
// cancelled job frees the webhook.
func TestRecoveryOneJobPerWebhook(t *testing.T) {
	clock := clockAt()
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		f := newRecoveryFixture(t, s, clock)
		since := clock.Now()
		f.deliveries(t, "invoice.paid", hook.StatusFailed)
		f.deliveries(t, "order.created", hook.StatusFailed) // B only
		clock.Advance(time.Minute)
		spec := hook.RecoverySpec{Kind: hook.RecoverFailed, WebhookID: f.a.ID, Since: since}
		job, err := s.StartRecovery(ctx, hook.Actor{Label: "ann@example.com"}, f.app.ID, spec, 20)
		if err != nil {
			t.Fatal(err)
		}
		if job.Kind != hook.RecoverFailed || job.Status != hook.RecoveryQueued || job.Total != 1 || job.Rate != 20 || job.StartedBy != "ann@example.com" || job.WebhookID != f.a.ID {
			t.Errorf("started %+v", job)
		}
		var running *hook.RecoveryRunningError
		if _, err := s.StartRecovery(ctx, actor, f.app.ID, spec, 20); !errors.As(err, &running) || running.RecoveryID != job.ID || hook.ErrorCode(err) != hook.ECONFLICT {
			t.Errorf("second job for A: %v, want a conflict naming %s", err, job.ID)
		}
		if _, err := s.StartRecovery(ctx, actor, f.app.ID, hook.RecoverySpec{Kind: hook.BulkResend}, 20); !errors.As(err, &running) || running.RecoveryID != job.ID {
			t.Errorf("bulk resend over A and B: %v, want a conflict naming %s", err, job.ID)
		}
		// B alone is free.
		bJob, err := s.StartRecovery(ctx, actor, f.app.ID, hook.RecoverySpec{Kind: hook.BulkResend, WebhookID: f.b.ID}, 20)
		if err != nil || bJob.Total != 2 {
			t.Fatalf("bulk resend of B: %+v, %v", bJob, err)
		}
		if open, ok, err := s.OpenRecovery(ctx, f.app.ID, f.a.ID); err != nil || !ok || open.ID != job.ID {
			t.Errorf("open job of A: %v %v %v", open.ID, ok, err)
		}
		if list, _, err := s.ListRecoveries(ctx, f.app.ID, store.RecoveryFilter{}); err != nil || len(list) != 2 || list[0].ID != bJob.ID {
			t.Errorf("list: %d jobs, %v", len(list), err)
		}
		if _, err := s.GetRecovery(ctx, mustApp(t, s, "Other").ID, job.ID); hook.ErrorCode(err) != hook.ENOTFOUND {
			t.Errorf("another app's job: %v", err)
		}

		cancelled, err := s.CancelRecovery(ctx, hook.Actor{Label: "bob@example.com"}, f.app.ID, job.ID)
		if err != nil || cancelled.Status != hook.RecoveryCancelled || cancelled.FinishedAt == nil {
			t.Fatalf("cancel: %+v, %v", cancelled, err)
		}
		if again, err := s.CancelRecovery(ctx, actor, f.app.ID, job.ID); err != nil || again.Status != hook.RecoveryCancelled {
			t.Errorf("cancel twice: %v", err)
		}
		if _, err := s.StartRecovery(ctx, actor, f.app.ID, spec, 20); err != nil {
			t.Errorf("a new job once the first is cancelled: %v", err)
		}
		entries, err := s.ListAudit(ctx, f.app.ID, "", 50)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			if strings.HasPrefix(e.Action, "recovery.") {
				got = append(got, e.Action+" "+e.Actor)
			}
		}
		want := "recovery.start test|recovery.cancel bob@example.com|recovery.start test|recovery.start ann@example.com"
		if strings.Join(got, "|") != want {
			t.Errorf("audit: %q, want %q", strings.Join(got, "|"), want)
		}
		if _, err := s.StartRecovery(ctx, actor, f.app.ID, hook.RecoverySpec{Kind: hook.RecoverFailed, WebhookID: f.a.ID, Since: clock.Now()}, 20); hook.ErrorCode(err) != hook.EINVALID {
			t.Errorf("a job over nothing: %v, want EINVALID", err)
		}
		// Retention: ended jobs go with their items; open ones stay.
		clock.Advance(time.Hour)
		if n, err := s.DeleteRecoveriesOlderThan(ctx, clock.Now()); err != nil || n != 1 {
			t.Errorf("deleted %d old jobs, %v; want the cancelled one", n, err)
		}
		if _, err := s.GetRecovery(ctx, f.app.ID, job.ID); hook.ErrorCode(err) != hook.ENOTFOUND {
			t.Errorf("the cancelled job after retention: %v", err)
		}
		if list, _, _ := s.ListRecoveries(ctx, f.app.ID, store.RecoveryFilter{Open: true}); len(list) != 2 {
			t.Errorf("%d open jobs after retention, want 2", len(list))
		}
	})
}

// A job runs under a lease: while its process lives nobody else takes it;
// once the process is gone another claims it at once, the item that was in
// flight is marked interrupted (never sent again: an attempt says so), and
// the job resumes after the items already done. A late record by the old
// owner is refused. The counts add up.
func TestRecoveryClaimResumeAndTakeOver(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			clock := clockAt()
			dsn := storetest.DSN(t, dialect)
			open := func() *store.Store { return storetest.Open(t, dsn, storetest.Options{Now: clock.Now}) }
			s1, s2 := open(), open()
			f := newRecoveryFixture(t, s1, clock)
			since := clock.Now()
			for range 6 {
				f.deliveries(t, "invoice.paid", hook.StatusFailed)
			}
			clock.Advance(time.Minute)
			job, err := s1.StartRecovery(ctx, actor, f.app.ID, hook.RecoverySpec{Kind: hook.RecoverFailed, WebhookID: f.a.ID, Since: since}, 20)
			if err != nil || job.Total != 6 {
				t.Fatalf("start: %+v, %v", job, err)
			}
			a, b := store.NewLeaseOwner(), store.NewLeaseOwner()
			releaseA, err := s1.HoldOwner(ctx, a, nil)
			if err != nil {
				t.Fatal(err)
			}
			claimed, ok, err := s1.ClaimRecovery(ctx, a, 30*time.Second, nil)
			if err != nil || !ok || claimed.ID != job.ID || claimed.Status != hook.RecoveryRunning || claimed.StartedAt == nil {
				t.Fatalf("A claims: %+v %v %v", claimed, ok, err)
			}
			if _, ok, _ := s1.ClaimRecovery(ctx, a, 30*time.Second, []string{job.ID}); ok {
				t.Fatal("A claimed its own running job again")
			}

			// One item sent and recorded (succeeded), one more in flight.
			batch, err := s1.TakeRecoveryBatch(ctx, a, job.ID, 1, time.Minute)
			if err != nil || len(batch.Jobs) != 1 || string(batch.Jobs[0].Payload) != `{"type":"invoice.paid"}` {
				t.Fatalf("first batch: %+v, %v", batch, err)
			}
			done := batch.Jobs[0]
			if err := s1.RecordRecoveryBatch(ctx, a, job.ID, []store.AttemptRecord{recoveryRecord(done, true)}); err != nil {
				t.Fatal(err)
			}
			batch, err = s1.TakeRecoveryBatch(ctx, a, job.ID, 1, time.Minute)
			if err != nil || len(batch.Jobs) != 1 {
				t.Fatalf("second batch: %+v, %v", batch, err)
			}
			inFlight := batch.Jobs[0]

			if dialect == store.Postgres {
				// A lives: B may not take its job, however long A takes.
				releaseB, err := s2.HoldOwner(ctx, b, nil)
				if err != nil {
					t.Fatal(err)
				}
				if _, ok, err := s2.ClaimRecovery(ctx, b, 30*time.Second, nil); ok || err != nil {
					t.Fatalf("B took a live owner's job: %v %v", ok, err)
				}
				releaseB()
			}
			releaseA() // A's process dies
			releaseB, err := s2.HoldOwner(ctx, b, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer releaseB()
			claimed, ok, err = s2.ClaimRecovery(ctx, b, 30*time.Second, nil)
			if err != nil || !ok || claimed.ID != job.ID {
				t.Fatalf("B takes over: %+v %v %v", claimed, ok, err)
			}
			if claimed.Succeeded != 1 || claimed.Failed != 1 || claimed.Interrupted != 1 || claimed.Sent != 1 {
				t.Errorf("after take-over: %+v, want 1 succeeded, 1 failed (interrupted)", claimed)
			}
			if err := s1.RecordRecoveryBatch(ctx, a, job.ID, []store.AttemptRecord{recoveryRecord(inFlight, true)}); !errors.Is(err, store.ErrRecoveryLost) {
				t.Errorf("A's late record: %v, want ErrRecoveryLost", err)
			}
			attempts, err := s2.Attempts(ctx, inFlight.ID)
			if err != nil || len(attempts) != 2 || attempts[0].Trigger != hook.TriggerRecovery || attempts[0].Error != hook.InterruptedDetail {
				t.Errorf("the interrupted delivery's attempts: %+v, %v", attempts, err)
			}

			// One of the rest succeeded meanwhile: skipped. B resumes with the others.
			var sentIDs []string
			for {
				batch, err := s2.TakeRecoveryBatch(ctx, b, job.ID, 2, time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				if batch.Finished {
					break
				}
				var recs []store.AttemptRecord
				for _, j := range batch.Jobs {
					if j.ID == done.ID || j.ID == inFlight.ID {
						t.Fatalf("delivery %s taken twice by the job", j.ID)
					}
					sentIDs = append(sentIDs, j.ID)
					recs = append(recs, recoveryRecord(j, len(sentIDs) != 2))
				}
				if err := s2.RecordRecoveryBatch(ctx, b, job.ID, recs); err != nil {
					t.Fatal(err)
				}
			}
			final, err := s2.GetRecovery(ctx, f.app.ID, job.ID)
			if err != nil {
				t.Fatal(err)
			}
			if final.Status != hook.RecoveryDone || final.FinishedAt == nil || len(sentIDs) != 4 ||
				final.Succeeded != 4 || final.Failed != 2 || final.Skipped != 0 || final.Total != final.Processed() {
				t.Errorf("final: %+v after sending %d more", final, len(sentIDs))
			}
			if _, ok, err := s2.OpenRecovery(ctx, f.app.ID, f.a.ID); ok || err != nil {
				t.Errorf("webhook still has an open job: %v %v", ok, err)
			}
		})
	}
}

// recoveryRecord is a job's attempt as the runner records it.
func recoveryRecord(j hook.Job, ok bool) store.AttemptRecord {
	a := hook.Attempt{Trigger: hook.TriggerRecovery, Succeeded: ok, RequestURL: "https://example.com/hook", ResponseStatus: 200}
	if !ok {
		a.ResponseStatus = 503
	}
	return store.AttemptRecord{Job: j, Attempt: a, Outcome: hook.AfterAttempt(j.Delivery, hook.TriggerManual, ok, a.ResponseStatus, 0, time.Now(), nil)}
}

// Items are checked when taken: a delivery that succeeded since the job
// started is skipped and counted; one leased elsewhere (an automatic retry
// under way) waits. A cancelled job hands out nothing more but records
// what was in flight. Replay creates each delivery as it sends it.
func TestRecoveryBatchSkipsWaitsAndReplays(t *testing.T) {
	clock := clockAt()
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		f := newRecoveryFixture(t, s, clock)
		since := clock.Now()
		var ids []string
		for range 3 {
			ids = append(ids, f.deliveries(t, "invoice.paid", hook.StatusRetrying)[f.a.ID].ID)
		}
		clock.Advance(time.Minute)
		owner := store.NewLeaseOwner()
		release, err := s.HoldOwner(ctx, owner, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		job, err := s.StartRecovery(ctx, actor, f.app.ID, hook.RecoverySpec{Kind: hook.RecoverFailed, WebhookID: f.a.ID, Since: since}, 20)
		if err != nil {
			t.Fatal(err)
		}
		// The first succeeds meanwhile; the second is being retried.
		clock.Advance(2 * time.Hour)
		jobs, err := s.ClaimDue(ctx, "sender", 10, time.Minute, nil)
		if err != nil {
			t.Fatal(err)
		}
		var retry hook.Job
		for _, j := range jobs {
			switch j.ID {
			case ids[0]:
				if _, err := s.RecordAttempt(ctx, "sender", j, hook.Attempt{Trigger: hook.TriggerAutomatic, Succeeded: true, ResponseStatus: 200}, hook.Outcome{Status: hook.StatusSucceeded}); err != nil {
					t.Fatal(err)
				}
			case ids[1]:
				retry = j
			default:
				if err := s.ReleaseJobs(ctx, "sender", []string{j.ID}, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, ok, err := s.ClaimRecovery(ctx, owner, 30*time.Second, nil); !ok || err != nil {
			t.Fatal(ok, err)
		}
		batch, err := s.TakeRecoveryBatch(ctx, owner, job.ID, 10, time.Minute)
		if err != nil || len(batch.Jobs) != 1 || batch.Jobs[0].ID != ids[2] || batch.Waiting != 1 || batch.Recovery.Skipped != 1 {
			t.Fatalf("batch: %d jobs, %d waiting, %+v, %v", len(batch.Jobs), batch.Waiting, batch.Recovery, err)
		}
		if _, err := s.CancelRecovery(ctx, actor, f.app.ID, job.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TakeRecoveryBatch(ctx, owner, job.ID, 10, time.Minute); !errors.Is(err, store.ErrRecoveryLost) {
			t.Errorf("take from a cancelled job: %v", err)
		}
		if err := s.RecordRecoveryBatch(ctx, owner, job.ID, []store.AttemptRecord{recoveryRecord(batch.Jobs[0], true)}); err != nil {
			t.Errorf("record in flight after cancel: %v", err)
		}
		got, _ := s.GetRecovery(ctx, f.app.ID, job.ID)
		if got.Status != hook.RecoveryCancelled || got.Succeeded != 1 || got.Skipped != 1 || got.Remaining() != 1 {
			t.Errorf("cancelled job: %+v", got)
		}
		d, _ := s.Delivery(ctx, f.app.ID, ids[2])
		if d.Status != hook.StatusSucceeded {
			t.Errorf("resent delivery: %s", d.Status)
		}
		_ = retry

		// Replay to a new webhook C: the delivery is made when sent.
		in := validInput()
		in.Name = "C"
		c, _, err := s.CreateWebhook(ctx, actor, f.app.ID, in, policy)
		if err != nil {
			t.Fatal(err)
		}
		rj, err := s.StartRecovery(ctx, actor, f.app.ID, hook.RecoverySpec{Kind: hook.ReplayMissing, WebhookID: c.ID, Since: since}, 20)
		if err != nil || rj.Total != 3 {
			t.Fatalf("replay: %+v %v", rj, err)
		}
		if _, ok, err := s.ClaimRecovery(ctx, owner, 30*time.Second, nil); !ok || err != nil {
			t.Fatal(ok, err)
		}
		batch, err = s.TakeRecoveryBatch(ctx, owner, rj.ID, 10, time.Minute)
		if err != nil || len(batch.Jobs) != 3 {
			t.Fatalf("replay batch: %+v %v", batch, err)
		}
		var recs []store.AttemptRecord
		for _, j := range batch.Jobs {
			if j.WebhookID != c.ID || j.Status != hook.StatusPending || len(j.Payload) == 0 {
				t.Errorf("replay job %+v", j)
			}
			a := hook.Attempt{Trigger: hook.TriggerRecovery, ResponseStatus: 500, RequestURL: "https://example.com/hook"}
			recs = append(recs, store.AttemptRecord{Job: j, Attempt: a, Outcome: hook.NextOutcome(false, 500, 1, 0, clock.Now(), nil)})
		}
		if err := s.RecordRecoveryBatch(ctx, owner, rj.ID, recs); err != nil {
			t.Fatal(err)
		}
		if b, err := s.TakeRecoveryBatch(ctx, owner, rj.ID, 10, time.Minute); err != nil || !b.Finished {
			t.Fatalf("replay end: %+v %v", b, err)
		}
		got, _ = s.GetRecovery(ctx, f.app.ID, rj.ID)
		if got.Status != hook.RecoveryDone || got.Failed != 3 || got.Total != got.Processed() {
			t.Errorf("replay job: %+v", got)
		}
		rows, _, _ := s.ListDeliveries(ctx, f.app.ID, store.DeliveryFilter{WebhookID: c.ID})
		if len(rows) != 3 || rows[0].Status != hook.StatusRetrying || rows[0].Attempts != 1 {
			t.Errorf("replayed deliveries: %+v", rows)
		}
	})
}

// What a bulk resend would skip because a webhook is off: counted up to a
// limit, and whether it is everything the job covers.
func TestRecoveryOffCounts(t *testing.T) {
	clock := clockAt()
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		f := newRecoveryFixture(t, s, clock)
		for range 3 {
			f.deliveries(t, "invoice.paid", hook.StatusFailed) // to A and B
		}
		bulk := hook.RecoverySpec{Kind: hook.BulkResend}
		off := func(sp hook.RecoverySpec, limit int) store.RecoveryOff {
			t.Helper()
			r, err := s.CountRecoveryInactive(ctx, f.app.ID, sp, limit)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		if r := off(bulk, 100); r != (store.RecoveryOff{}) {
			t.Errorf("every webhook on: %+v, want nothing off", r)
		}
		turnOff := func(wh hook.Webhook) {
			t.Helper()
			in := validInput()
			in.Name, in.Events, in.Active = wh.Name, wh.Events, false
			if _, err := s.UpdateWebhook(ctx, actor, f.app.ID, wh.ID, in, policy); err != nil {
				t.Fatal(err)
			}
		}
		turnOff(f.a)
		if r := off(bulk, 100); r != (store.RecoveryOff{N: 3}) {
			t.Errorf("A off: %+v, want its 3, not all", r)
		}
		if r := off(bulk, 2); r != (store.RecoveryOff{N: 2, More: true}) {
			t.Errorf("A off, counted up to 2: %+v", r)
		}
		if r := off(hook.RecoverySpec{Kind: hook.BulkResend, WebhookID: f.b.ID}, 100); r != (store.RecoveryOff{}) {
			t.Errorf("B's deliveries with A off: %+v, want none off", r)
		}
		if r := off(hook.RecoverySpec{Kind: hook.BulkResend, WebhookID: f.a.ID}, 2); r != (store.RecoveryOff{N: 2, More: true, All: true}) {
			t.Errorf("A's deliveries, A off, up to 2: %+v, want more than 2, all", r)
		}
		turnOff(f.b)
		if r := off(bulk, 100); r != (store.RecoveryOff{N: 6, All: true}) {
			t.Errorf("both off: %+v, want all 6", r)
		}
	})
}
