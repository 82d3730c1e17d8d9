package store_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// appWithCatchAll returns an app with the event type invoice.paid and one
// active webhook subscribed to every type (as edit makes it, if given).
func appWithCatchAll(t testing.TB, s *store.Store, edit ...func(*hook.WebhookInput)) hook.App {
	t.Helper()
	app, err := s.CreateApp(ctx, "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateEventType(ctx, actor, app.ID, hook.EventTypeInput{Name: "invoice.paid"}); err != nil {
		t.Fatal(err)
	}
	in := validInput()
	in.Events = []string{"*"}
	for _, e := range edit {
		e(&in)
	}
	if _, _, err := s.CreateWebhook(ctx, actor, app.ID, in, policy); err != nil {
		t.Fatal(err)
	}
	return app
}

// secondWebhook adds a webhook named Second for the events given.
func secondWebhook(t testing.TB, s *store.Store, appID string, events ...string) hook.Webhook {
	t.Helper()
	in := validInput()
	in.Name, in.Events = "Second", events
	wh, _, err := s.CreateWebhook(ctx, actor, appID, in, policy)
	if err != nil {
		t.Fatal(err)
	}
	return wh
}

// succeededRecords records each job's attempt as a 204, the delivery
// succeeded.
func succeededRecords(jobs []hook.Job) []store.AttemptRecord {
	recs := make([]store.AttemptRecord, len(jobs))
	for i, j := range jobs {
		recs[i] = store.AttemptRecord{Job: j, Attempt: hook.Attempt{Trigger: hook.TriggerAutomatic, Succeeded: true, RequestURL: "https://example.com/hook",
			RequestHeaders: map[string][]string{"Webhook-Id": {j.EventID}}, ResponseStatus: 204}, Outcome: hook.Outcome{Status: hook.StatusSucceeded}}
	}
	return recs
}

// Many concurrent requests with one Idempotency-Key, each in its own
// IngestEvent transaction (sender.Ingester's test covers batches): one event and one delivery, every request answered
// with it; other keys in the same batches are unaffected.
func TestConcurrentIdempotentIngestion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s)
		const n = 200
		results := make([]store.IngestResult, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				key := "same"
				if i%2 == 1 {
					key = "k" + strconv.Itoa(i)
				}
				res, err := s.IngestEvent(ctx, app.ID, "invoice.paid", []byte(`{"a":1}`), key)
				if err != nil {
					t.Error(err)
				}
				results[i] = res
			})
		}
		wg.Wait()
		first, replays := "", 0
		for i := 0; i < n; i += 2 {
			if first == "" {
				first = results[i].Event.ID
			}
			if results[i].Event.ID != first {
				t.Fatalf("request %d got event %s, another got %s", i, results[i].Event.ID, first)
			}
			if results[i].Replayed {
				replays++
			}
		}
		if replays != n/2-1 {
			t.Errorf("%d replays of the shared key, want %d", replays, n/2-1)
		}
		var events, deliveries int
		s.DB().GetContext(ctx, &events, `SELECT COUNT(*) FROM events`)
		s.DB().GetContext(ctx, &deliveries, `SELECT COUNT(*) FROM deliveries`)
		if events != n/2+1 || deliveries != n/2+1 {
			t.Errorf("%d events and %d deliveries, want %d of each", events, deliveries, n/2+1)
		}
	})
}

// A batch of attempts is stored field for field by the batched record path
// (multi-row statements); a delivery whose lease went to another sender
// keeps its state, its attempt is still kept.
func TestRecordAttemptsBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s)
		for i := range 4 {
			if _, err := s.IngestEvent(ctx, app.ID, "invoice.paid", []byte(`{"n":`+strconv.Itoa(i)+`}`), ""); err != nil {
				t.Fatal(err)
			}
		}
		jobs, err := s.ClaimDue(ctx, "me", 10, time.Minute, nil)
		if err != nil || len(jobs) != 4 {
			t.Fatalf("claimed %d, %v", len(jobs), err)
		}
		at := time.Now().UTC().Truncate(time.Millisecond)
		next := at.Add(time.Minute)
		headers := map[string][]string{"Webhook-Id": {"msg_1"}, "Content-Type": {"application/json"}}
		recs := []store.AttemptRecord{
			{Job: jobs[0], Attempt: hook.Attempt{Trigger: hook.TriggerAutomatic, Succeeded: true, RequestURL: "https://example.com/a?x=\"1\"", RequestHeaders: headers,
				ResponseStatus: 200, ResponseHeaders: map[string][]string{"X-Note": {`quote " and \ backslash`}}, ResponseBody: []byte("ok \x00 binary"), Duration: 12 * time.Millisecond, CreatedAt: at},
				Outcome: hook.Outcome{Status: hook.StatusSucceeded}},
			{Job: jobs[1], Attempt: hook.Attempt{Trigger: hook.TriggerAutomatic, RequestURL: "https://example.com/b", RequestHeaders: headers,
				Error: "connection refused, {braces}", Duration: 3 * time.Millisecond, CreatedAt: at},
				Outcome: hook.Outcome{Status: hook.StatusRetrying, NextAttemptAt: &next}},
			{Job: jobs[2], Attempt: hook.Attempt{Trigger: hook.TriggerAutomatic, RequestURL: "https://example.com/c", RequestHeaders: headers,
				ResponseStatus: 500, ResponseBody: []byte{}, ResponseTruncated: true, Duration: 40 * time.Millisecond, CreatedAt: at},
				Outcome: hook.Outcome{Status: hook.StatusFailed}},
		}
		if _, err := s.RecordAttempts(ctx, "me", recs); err != nil {
			t.Fatal(err)
		}
		// The fourth delivery's lease belongs to "me", not "other".
		if _, err := s.RecordAttempts(ctx, "other", []store.AttemptRecord{{Job: jobs[3], Attempt: hook.Attempt{Trigger: hook.TriggerAutomatic,
			RequestURL: "https://example.com/d", RequestHeaders: headers, ResponseStatus: 204, Succeeded: true, CreatedAt: at},
			Outcome: hook.Outcome{Status: hook.StatusSucceeded}}}); err != nil {
			t.Fatal(err)
		}

		for i, want := range []struct {
			status   string
			attempts int
			next     *time.Time
		}{{hook.StatusSucceeded, 1, nil}, {hook.StatusRetrying, 1, &next}, {hook.StatusFailed, 1, nil}, {hook.StatusPending, 0, nil}} {
			d, err := s.Delivery(ctx, app.ID, jobs[i].ID)
			if err != nil {
				t.Fatal(err)
			}
			if d.Status != want.status || d.Attempts != want.attempts {
				t.Errorf("delivery %d: %s after %d attempts, want %s after %d", i, d.Status, d.Attempts, want.status, want.attempts)
			}
			if i < 3 && (want.next == nil) != (d.NextAttemptAt == nil) || want.next != nil && !d.NextAttemptAt.Equal(*want.next) {
				t.Errorf("delivery %d: next attempt %v, want %v", i, d.NextAttemptAt, want.next)
			}
			if i < 3 && (d.LastAttemptAt == nil || !d.LastAttemptAt.Equal(at)) {
				t.Errorf("delivery %d: last attempt %v, want %v", i, d.LastAttemptAt, at)
			}
			as, err := s.Attempts(ctx, jobs[i].ID)
			if err != nil || len(as) != 1 {
				t.Fatalf("delivery %d: %d attempts, %v", i, len(as), err)
			}
			got := as[0]
			var wantA hook.Attempt
			if i < 3 {
				wantA = recs[i].Attempt
			} else {
				wantA = hook.Attempt{Trigger: hook.TriggerAutomatic, RequestURL: "https://example.com/d", RequestHeaders: headers, ResponseStatus: 204, Succeeded: true, CreatedAt: at}
			}
			if got.Succeeded != wantA.Succeeded || got.RequestURL != wantA.RequestURL || got.ResponseStatus != wantA.ResponseStatus ||
				string(got.ResponseBody) != string(wantA.ResponseBody) || got.ResponseTruncated != wantA.ResponseTruncated ||
				got.Duration != wantA.Duration || got.Error != wantA.Error || !got.CreatedAt.Equal(at) ||
				got.RequestHeaders["Webhook-Id"][0] != "msg_1" || len(got.ResponseHeaders) != len(wantA.ResponseHeaders) {
				t.Errorf("attempt %d:\n got %+v\nwant %+v", i, got, wantA)
			}
			if wantA.ResponseHeaders != nil && got.ResponseHeaders["X-Note"][0] != wantA.ResponseHeaders["X-Note"][0] {
				t.Errorf("attempt %d: response headers %v", i, got.ResponseHeaders)
			}
		}
		// No response is NULL, an empty body is empty.
		var nullStatus, nullBody, emptyBody int
		s.DB().GetContext(ctx, &nullStatus, `SELECT COUNT(*) FROM attempts WHERE response_status IS NULL`)
		s.DB().GetContext(ctx, &nullBody, `SELECT COUNT(*) FROM attempts WHERE response_body IS NULL`)
		s.DB().GetContext(ctx, &emptyBody, `SELECT COUNT(*) FROM attempts WHERE response_body IS NOT NULL AND length(response_body) = 0`)
		if nullStatus != 1 || nullBody != 2 || emptyBody != 1 {
			t.Errorf("NULL statuses %d (want 1), NULL bodies %d (want 2), empty bodies %d (want 1)", nullStatus, nullBody, emptyBody)
		}
	})
}

// Batches of every size are written whole: no batch fails and falls back
// to one-by-one writes (which would hide a broken batch statement behind
// slow success).
func TestLargeBatchesWrittenWhole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s)
		in := validInput()
		in.Name, in.Events = "Second", []string{"invoice.paid"}
		if _, _, err := s.CreateWebhook(ctx, actor, app.ID, in, policy); err != nil {
			t.Fatal(err)
		}
		const events = 700
		var wg sync.WaitGroup
		for i := range events {
			wg.Go(func() {
				if _, err := s.IngestEvent(ctx, app.ID, "invoice.paid", []byte(`{"n":`+strconv.Itoa(i)+`}`), ""); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		jobs, err := s.ClaimDue(ctx, "me", 2*events, time.Minute, nil)
		if err != nil || len(jobs) != 2*events {
			t.Fatalf("claimed %d of %d: %v", len(jobs), 2*events, err)
		}
		recs := succeededRecords(jobs)
		if _, err := s.RecordAttempts(ctx, "me", recs); err != nil {
			t.Fatal(err)
		}
		if n := store.BatchRetries(s); n != 0 {
			t.Errorf("%d batches failed whole and were written one by one", n)
		}
		var done, attempts int
		s.DB().GetContext(ctx, &done, `SELECT COUNT(*) FROM deliveries WHERE status = 'succeeded' AND attempts = 1 AND lease_owner = ''`)
		s.DB().GetContext(ctx, &attempts, `SELECT COUNT(*) FROM attempts`)
		if done != 2*events || attempts != 2*events {
			t.Errorf("%d deliveries succeeded and %d attempts, want %d of each", done, attempts, 2*events)
		}
	})
}

// One attempt that cannot be recorded (its delivery deleted meanwhile)
// costs only itself: every chunk of the batch is still tried, the later
// ones included, and the error is reported.
func TestRecordAttemptsTriesEveryChunk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s)
		const events = 700 // more than one chunk of maxRecordBatch (500)
		var wg sync.WaitGroup
		for i := range events {
			wg.Go(func() {
				if _, err := s.IngestEvent(ctx, app.ID, "invoice.paid", []byte(`{"n":`+strconv.Itoa(i)+`}`), ""); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		jobs, err := s.ClaimDue(ctx, "me", events, time.Minute, nil)
		if err != nil || len(jobs) != events {
			t.Fatalf("claimed %d of %d: %v", len(jobs), events, err)
		}
		// The first chunk's first record cannot be stored (a status the
		// table refuses), which fails its chunk's statements.
		recs := succeededRecords(jobs)
		recs[0].Outcome.Status = "bogus"
		if _, err := s.RecordAttempts(ctx, "me", recs); err == nil {
			t.Error("no error for the record that could not be stored")
		}
		var done, attempts int
		s.DB().GetContext(ctx, &done, `SELECT COUNT(*) FROM deliveries WHERE status = 'succeeded' AND attempts = 1 AND lease_owner = ''`)
		s.DB().GetContext(ctx, &attempts, `SELECT COUNT(*) FROM attempts`)
		if done != events-1 || attempts != events-1 {
			t.Errorf("%d deliveries succeeded and %d attempts recorded, want %d of each", done, attempts, events-1)
		}
	})
}

// One IngestBatch transaction answers every request on its own: a key
// repeated in the batch replays the first request's event, the same key
// for another payload conflicts, an unknown type fails alone; deliveries
// the lease reserves are stored leased to its owner, the others due.
func TestIngestBatchSteps(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s)
		second := secondWebhook(t, s, app.ID, "invoice.paid")
		req := func(typ, payload, key string) store.IngestRequest {
			return store.IngestRequest{AppID: app.ID, EventType: typ, Payload: []byte(payload), IdemKey: key}
		}
		reqs := []store.IngestRequest{
			req("invoice.paid", `{"a":1}`, "k"),
			req("invoice.paid", `{"a":1}`, "k"), // replays 0
			req("invoice.paid", `{"a":2}`, "k"), // conflicts with 0
			req("nope.unknown", `{}`, ""),       // not in the catalog
			req("invoice.paid", `{"b":1}`, ""),  // plain
			req("bad type!", `{}`, ""),          // invalid name
		}
		var reserved []string
		lease := store.IngestLease{Owner: "me", Lease: time.Minute, Reserve: func(w string) bool {
			if w != second.ID {
				return false
			}
			reserved = append(reserved, w)
			return true
		}}
		out, err := s.IngestBatch(ctx, reqs, lease)
		if err != nil {
			t.Fatal(err)
		}
		for i, wantErr := range []bool{false, false, true, true, false, true} {
			if (out.Errs[i] != nil) != wantErr {
				t.Errorf("request %d: error %v", i, out.Errs[i])
			}
		}
		if hook.ErrorCode(out.Errs[2]) != hook.ECONFLICT {
			t.Errorf("reused key: %v", out.Errs[2])
		}
		r0, r1, r4 := out.Results[0], out.Results[1], out.Results[4]
		if r0.Replayed || !r1.Replayed || r1.Event.ID != r0.Event.ID || r1.Deliveries != 2 || r1.Queued != 0 {
			t.Errorf("first %+v, its replay %+v", r0, r1)
		}
		if r0.Deliveries != 2 || r0.Queued != 1 || r4.Queued != 1 || r4.Event.ID == r0.Event.ID {
			t.Errorf("results %+v and %+v: want 2 deliveries each, 1 due", r0, r4)
		}
		// The due ones are due because the lease refused them: its sender
		// knows of them (and need not be woken for them).
		if r0.Refused != 1 || r4.Refused != 1 || r1.Refused != 0 {
			t.Errorf("refused: %d, %d, replay %d; want 1, 1, 0", r0.Refused, r4.Refused, r1.Refused)
		}
		if len(out.Leased) != 2 || len(reserved) != 2 || out.Leased[0].EventID != r0.Event.ID || string(out.Leased[1].Payload) != `{"b":1}` {
			t.Errorf("leased %+v", out.Leased)
		}
		var leased, due int
		s.DB().GetContext(ctx, &leased, s.DB().Rebind(`SELECT COUNT(*) FROM deliveries WHERE lease_owner = 'me' AND webhook_id = ?`), second.ID)
		s.DB().GetContext(ctx, &due, `SELECT COUNT(*) FROM deliveries WHERE lease_owner = ''`)
		if leased != 2 || due != 2 {
			t.Errorf("%d deliveries leased, %d due; want 2 of each", leased, due)
		}
		// Written again, the key replays the stored event.
		again, err := s.IngestBatch(ctx, reqs[:1], store.IngestLease{})
		if err != nil || !again.Results[0].Replayed || again.Results[0].Event.ID != r0.Event.ID || again.Results[0].Deliveries != 2 {
			t.Errorf("replay: %+v, %v", again.Results, err)
		}
	})
}

// A lease that cannot give a reservation back (no Unreserve) gets no
// rate-limited delivery: they are stored due for the claim, which takes
// their tokens, and count as queued but not refused, so the sender is
// woken for them.
func TestIngestRateLimitedIsQueuedNotRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s, func(in *hook.WebhookInput) { in.RateLimit = 5 })
		asked := 0
		lease := store.IngestLease{Owner: "me", Lease: time.Minute, Reserve: func(string) bool { asked++; return true }}
		out, err := s.IngestBatch(ctx, []store.IngestRequest{{AppID: app.ID, EventType: "invoice.paid", Payload: []byte(`{}`)}}, lease)
		if err != nil || out.Errs[0] != nil {
			t.Fatal(err, out.Errs)
		}
		if r := out.Results[0]; r.Queued != 1 || r.Refused != 0 || asked != 0 || len(out.Leased) != 0 {
			t.Errorf("result %+v, lease asked %d times, %d leased; want 1 queued, none refused or leased", r, asked, len(out.Leased))
		}
	})
}

// A rate-limited webhook's deliveries go to the sender at ingestion as far
// as its bucket has tokens, taken in the batch's transaction (at 50/s, a
// burst of 2); the rest are stored due for the claim, their reservations
// given back, and count as queued (a wake-up). The claim then finds no
// token left for them and defers them.
func TestIngestRateLimitedHandedOverWhileTokensLast(t *testing.T) {
	clock := clockAt() // stopped: no token comes free before the claim
	storetest.EachWith(t, storetest.Options{Now: clock.Now}, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s, func(in *hook.WebhookInput) { in.RateLimit = 50 })
		reserved := 0
		lease := store.IngestLease{Owner: "me", Lease: time.Minute,
			Reserve: func(string) bool { reserved++; return true }, Unreserve: func(string) { reserved-- }}
		reqs := make([]store.IngestRequest, 5)
		for i := range reqs {
			reqs[i] = store.IngestRequest{AppID: app.ID, EventType: "invoice.paid", Payload: []byte(`{"n":` + strconv.Itoa(i) + `}`)}
		}
		out, err := s.IngestBatch(ctx, reqs, lease)
		if err != nil {
			t.Fatal(err)
		}
		queued := 0
		for i, r := range out.Results {
			if out.Errs[i] != nil || r.Refused != 0 {
				t.Fatalf("request %d: %+v %v", i, r, out.Errs[i])
			}
			queued += r.Queued
		}
		if len(out.Leased) != 2 || reserved != 2 || queued != 3 {
			t.Fatalf("%d leased, %d reservations kept, %d queued; want 2, 2 and 3", len(out.Leased), reserved, queued)
		}
		var leased, due int
		s.DB().GetContext(ctx, &leased, s.DB().Rebind(`SELECT COUNT(*) FROM deliveries WHERE lease_owner = 'me' AND lease_until IS NOT NULL`))
		s.DB().GetContext(ctx, &due, s.DB().Rebind(`SELECT COUNT(*) FROM deliveries WHERE lease_owner = '' AND lease_until IS NULL AND next_attempt_at IS NOT NULL`))
		if leased != 2 || due != 3 {
			t.Errorf("stored %d leased and %d due, want 2 and 3", leased, due)
		}
		for _, j := range out.Leased {
			if j.WebhookID == "" || len(j.Payload) == 0 || j.Status != hook.StatusPending {
				t.Errorf("leased job %+v", j)
			}
		}
		jobs, err := s.ClaimDue(ctx, "other", 10, time.Minute, nil)
		if err != nil || len(jobs) != 0 || s.Deferred() != 3 {
			t.Errorf("claim right after: %d jobs, %d deferred, %v; want none and 3 deferred (no token left)", len(jobs), s.Deferred(), err)
		}
	})
}

// A batch too large for one multi-row INSERT goes through the bulk path
// (COPY on PostgreSQL): no response is still NULL there, an empty body
// still empty, and every field as given.
func TestRecordAttemptsBulkKeepsNulls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s)
		const n = 40
		for i := range n {
			if _, err := s.IngestEvent(ctx, app.ID, "invoice.paid", []byte(`{"n":`+strconv.Itoa(i)+`}`), ""); err != nil {
				t.Fatal(err)
			}
		}
		jobs, err := s.ClaimDue(ctx, "me", n, time.Minute, nil)
		if err != nil || len(jobs) != n {
			t.Fatalf("claimed %d, %v", len(jobs), err)
		}
		recs := make([]store.AttemptRecord, n)
		for i, j := range jobs {
			a := hook.Attempt{Trigger: hook.TriggerAutomatic, RequestURL: "https://example.com/\"q\"", RequestHeaders: map[string][]string{"Webhook-Id": {j.EventID}},
				Error: "timeout \\ {x}", Duration: 7 * time.Millisecond}
			if i%2 == 1 {
				a = hook.Attempt{Trigger: hook.TriggerAutomatic, Succeeded: true, RequestURL: "https://example.com/", RequestHeaders: map[string][]string{},
					ResponseStatus: 204, ResponseBody: []byte{}, ResponseHeaders: map[string][]string{"X": {"1"}}}
			}
			recs[i] = store.AttemptRecord{Job: j, Attempt: a, Outcome: hook.Outcome{Status: hook.StatusSucceeded}}
		}
		if _, err := s.RecordAttempts(ctx, "me", recs); err != nil || store.BatchRetries(s) != 0 {
			t.Fatalf("%v (batches retried one by one: %d)", err, store.BatchRetries(s))
		}
		var nullBody, emptyBody, nullStatus, errs int
		s.DB().GetContext(ctx, &nullBody, `SELECT COUNT(*) FROM attempts WHERE response_body IS NULL`)
		s.DB().GetContext(ctx, &emptyBody, `SELECT COUNT(*) FROM attempts WHERE response_body IS NOT NULL AND length(response_body) = 0`)
		s.DB().GetContext(ctx, &nullStatus, `SELECT COUNT(*) FROM attempts WHERE response_status IS NULL`)
		s.DB().GetContext(ctx, &errs, `SELECT COUNT(*) FROM attempts WHERE error = 'timeout \ {x}' AND request_url = 'https://example.com/"q"' AND duration_ms = 7`)
		if nullBody != n/2 || emptyBody != n/2 || nullStatus != n/2 || errs != n/2 {
			t.Errorf("NULL bodies %d, empty bodies %d, NULL statuses %d, errors kept %d; want %d of each", nullBody, emptyBody, nullStatus, errs, n/2)
		}
	})
}

// Deleting a webhook takes its deliveries and their attempts with it and
// leaves the other webhook's, though PostgreSQL no longer ties an attempt
// to its webhook by a foreign key (migration 0014): nothing is left that
// names the deleted webhook.
func TestDeleteWebhookLeavesNothingOfIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s)
		second := secondWebhook(t, s, app.ID, "*")
		for i := range 5 {
			if _, err := s.IngestEvent(ctx, app.ID, "invoice.paid", []byte(`{"n":`+strconv.Itoa(i)+`}`), "key-"+strconv.Itoa(i)); err != nil {
				t.Fatal(err)
			}
		}
		jobs, err := s.ClaimDue(ctx, "me", 100, time.Minute, nil)
		if err != nil || len(jobs) != 10 {
			t.Fatalf("claimed %d of 10: %v", len(jobs), err)
		}
		recs := succeededRecords(jobs)
		if _, err := s.RecordAttempts(ctx, "me", recs); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteWebhook(ctx, actor, app.ID, second.ID); err != nil {
			t.Fatal(err)
		}
		count := func(q string, args ...any) int {
			var n int
			if err := s.DB().GetContext(ctx, &n, s.DB().Rebind(q), args...); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, table := range []string{"deliveries", "attempts"} {
			if n := count(`SELECT COUNT(*) FROM `+table+` WHERE webhook_id = ?`, second.ID); n != 0 {
				t.Errorf("%d %s of the deleted webhook left", n, table)
			}
			if n := count(`SELECT COUNT(*) FROM ` + table); n != 5 {
				t.Errorf("%d %s left, want the other webhook's 5", n, table)
			}
		}
		if n := count(`SELECT COUNT(*) FROM attempts a WHERE NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = a.delivery_id AND d.webhook_id = a.webhook_id)`); n != 0 {
			t.Errorf("%d attempts whose webhook is not their delivery's", n)
		}
		if n := count(`SELECT COUNT(*) FROM events`) + count(`SELECT COUNT(*) FROM idempotency_keys`); n != 10 {
			t.Errorf("%d events and idempotency keys, want the 5 of each", n)
		}
	})
}
