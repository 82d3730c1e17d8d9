package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/hookboard/hookboard/internal/hook"
)

// AttemptRecord is one finished attempt and the outcome for its delivery.
type AttemptRecord struct {
	Job     hook.Job
	Attempt hook.Attempt
	Outcome hook.Outcome
}

// maxRecordBatch keeps a batch's statements under every driver's parameter
// limit (14 per attempt row).
const maxRecordBatch = 500

// RecordAttempts stores many attempts in one transaction with a few
// multi-row statements: the sender's hot path. Deliveries whose lease owner
// has changed keep their state (the attempt is still recorded); deliveries
// deleted meanwhile (retention, their webhook deleted) get no attempt. It
// returns the webhooks it turned off. If a chunk fails (a deadlock, say),
// it records that chunk's attempts one by one instead; every chunk is
// tried, and the errors of the attempts that could not be recorded are
// joined.
func (s *Store) RecordAttempts(ctx context.Context, owner string, recs []AttemptRecord) ([]string, error) {
	disabled, _, err := s.RecordAttemptsHanding(ctx, owner, recs, Handover{})
	return disabled, err
}

// Handover lets recording hand the FIFO deliveries it promotes straight to
// the recording sender. For each one Reserve takes (the sender has room),
// the delivery is stored leased to the owner for Lease and returned with
// its payload: no claim, and no wake-up, for it. Unreserve gives back a
// reservation whose delivery was not handed over after all. A rate-limited
// FIFO webhook's next delivery is never handed over (it needs a token).
type Handover struct {
	Lease     time.Duration
	Reserve   func(webhookID string) bool
	Unreserve func(webhookID string)
}

// RecordAttemptsHanding is RecordAttempts that also returns the FIFO
// deliveries it promoted and handed over (h; none without Reserve).
func (s *Store) RecordAttemptsHanding(ctx context.Context, owner string, recs []AttemptRecord, h Handover) ([]string, []hook.Job, error) {
	var disabled []string
	var handed []hook.Job
	var errs []error
	for len(recs) > 0 {
		n := min(len(recs), maxRecordBatch)
		out, err := s.recordBatch(ctx, owner, recs[:n], h)
		if err != nil {
			s.batchRetries.Add(1)
			out = recorded{}
			for _, r := range recs[:n] {
				off, err := s.RecordAttempt(ctx, owner, r.Job, r.Attempt, r.Outcome)
				if err != nil {
					errs = append(errs, fmt.Errorf("record attempt of delivery %s: %w", r.Job.ID, err))
				}
				if off {
					out.disabled = append(out.disabled, r.Job.WebhookID)
				}
			}
		}
		disabled, handed = append(disabled, out.disabled...), append(handed, out.handed...)
		recs = recs[n:]
	}
	return disabled, handed, errors.Join(errs...)
}

// recorded is what recording a batch did besides storing its attempts.
type recorded struct {
	disabled []string   // webhooks turned off after their run of failures
	promoted int        // FIFO deliveries made due, for a claim to find
	handed   []hook.Job // FIFO deliveries promoted and stored leased (Handover)
}

func (s *Store) recordBatch(ctx context.Context, owner string, recs []AttemptRecord, h Handover) (recorded, error) {
	fifo, err := s.endedFIFO(ctx, recs)
	if err != nil {
		return recorded{}, err
	}
	var out recorded
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		out, err = s.recordIn(ctx, tx, owner, recs, fifo, h)
		return err
	})
	if err != nil {
		for _, j := range out.handed {
			h.Unreserve(j.WebhookID) // not committed: the claim finds them
		}
		return recorded{}, err
	}
	if out.promoted > 0 {
		s.dueNow()
	}
	return out, nil
}

// recordIn is recordBatch within tx (a recovery job records its items'
// outcomes in the same transaction). fifo holds the policies of the FIFO
// webhooks among recs (endedFIFO, read before the transaction).
//
// The outcomes go first: updating a delivery locks it until commit, so it
// cannot be deleted (retention, its webhook deleted) before its attempt is
// in. A delivery whose lease moved meanwhile is locked on its own
// (stillThere). A delivery already gone gets no attempt: on PostgreSQL no
// foreign key stops one (migration 0015), this order does.
func (s *Store) recordIn(ctx context.Context, tx *sqlx.Tx, owner string, recs []AttemptRecord, fifo map[string]policy, h Handover) (recorded, error) {
	now := s.now()
	outs := make([]outcomeRow, len(recs))
	for i, r := range recs {
		outs[i] = outcomeRow{r.Job.ID, string(r.Outcome.Status), r.Outcome.NextAttemptAt, attemptTime(r, now), automatic(r.Attempt)}
	}
	changed, err := s.sqlDialect.recordOutcomes(ctx, tx, s.kept, outs, owner, now)
	if err != nil {
		return recorded{}, err
	}
	if recs, err = s.stillThere(ctx, tx, recs, changed); err != nil || len(recs) == 0 {
		return recorded{}, err
	}
	err = s.insertRows(ctx, tx, "attempts", attemptColumns, len(recs), func(i int) []any {
		return attemptArgs(s.newID(), recs[i], now)
	})
	if err != nil {
		return recorded{}, err
	}
	out, err := s.afterBatch(ctx, tx, owner, recs, fifo, h, now)
	if err != nil {
		return out, err
	}
	return out, s.countRecorded(ctx, tx, recs, now)
}

// stillThere returns the records whose delivery still exists: those whose
// outcome was applied (changed), and of the others (their lease moved to
// another owner) those it finds, locked so that they stay until commit.
func (s *Store) stillThere(ctx context.Context, tx *sqlx.Tx, recs []AttemptRecord, changed map[string]bool) ([]AttemptRecord, error) {
	var moved []string
	for _, r := range recs {
		if !changed[r.Job.ID] {
			moved = append(moved, r.Job.ID)
		}
	}
	if len(moved) == 0 {
		return recs, nil
	}
	q, args, err := sqlx.In(`SELECT id FROM deliveries WHERE id IN (?)`+s.sqlDialect.forKeyShare(), moved)
	if err != nil {
		return nil, err
	}
	var found []string
	if err := tx.SelectContext(ctx, &found, tx.Rebind(q), args...); err != nil {
		return nil, err
	}
	there := make(map[string]bool, len(changed)+len(found))
	for id := range changed {
		there[id] = true
	}
	for _, id := range found {
		there[id] = true
	}
	kept := make([]AttemptRecord, 0, len(recs))
	for _, r := range recs {
		if there[r.Job.ID] {
			kept = append(kept, r)
		}
	}
	return kept, nil
}

// afterBatch tracks the webhooks' runs of failures (the latest attempt of
// each decides) and promotes the next delivery of the FIFO webhooks whose
// head ended, handing it over where h lets it.
func (s *Store) afterBatch(ctx context.Context, tx *sqlx.Tx, owner string, recs []AttemptRecord, fifo map[string]policy, h Handover, now time.Time) (recorded, error) {
	last := map[string]AttemptRecord{}
	var order []string
	for _, r := range recs {
		if _, ok := last[r.Job.WebhookID]; !ok {
			order = append(order, r.Job.WebhookID)
		}
		last[r.Job.WebhookID] = r
	}
	var out recorded
	// In id order, so that concurrent batches lock webhooks alike.
	slices.Sort(order)
	for _, wid := range order {
		off, err := s.trackFailures(ctx, tx, last[wid], now)
		if err != nil {
			return out, err
		}
		if off {
			out.disabled = append(out.disabled, wid)
		}
		if p, ok := fifo[wid]; ok {
			if err := s.promoteNext(ctx, tx, owner, wid, p, h, now, &out); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// promoteNext promotes a FIFO webhook's next delivery: handed over, leased
// to owner, when h reserves room for it; else due, for a claim.
func (s *Store) promoteNext(ctx context.Context, tx *sqlx.Tx, owner, wid string, p policy, h Handover, now time.Time, out *recorded) error {
	var to *leaseTo
	if h.Reserve != nil && p.limit == 0 && h.Reserve(wid) {
		to = &leaseTo{owner: owner, until: now.Add(h.Lease)}
	}
	job, err := s.promoteFIFO(ctx, tx, wid, now, to)
	switch {
	case to != nil && (err != nil || job.ID == ""):
		h.Unreserve(wid)
	case job.ID == "":
	case to == nil:
		out.promoted++
	default:
		out.handed = append(out.handed, job)
	}
	return err
}

// endedFIFO returns the policies of the FIFO webhooks whose head one of
// recs ended (succeeded, or failed for good): their next delivery is
// promoted in the same transaction.
func (s *Store) endedFIFO(ctx context.Context, recs []AttemptRecord) (map[string]policy, error) {
	var ended []hook.Job
	for _, r := range recs {
		if r.Outcome.Status == hook.StatusSucceeded || r.Outcome.Status == hook.StatusFailed {
			ended = append(ended, r.Job)
		}
	}
	if len(ended) == 0 {
		return nil, nil
	}
	pols, err := s.policiesOf(ctx, ended)
	if err != nil {
		return nil, err
	}
	var out map[string]policy
	for id, p := range pols {
		if p.fifo {
			if out == nil {
				out = map[string]policy{}
			}
			out[id] = p
		}
	}
	return out, nil
}

var attemptColumns = []string{"id", "delivery_id", "webhook_id", "trigger_type", "succeeded", "request_url", "request_headers",
	"response_status", "response_headers", "response_body", "response_truncated", "duration_ms", "error", "created_at"}

// outcomeRow is what recording an attempt changes of its delivery.
type outcomeRow struct {
	id     string
	status string
	nextAt *time.Time
	lastAt time.Time
	auto   int
}

// outcomeSet is the change recordOutcomes makes to each delivery still
// leased to owner (id and lease_owner are the two last parameters).
const outcomeSet = `status = ?, attempts = attempts + 1, automatic_attempts = automatic_attempts + ?,
	next_attempt_at = ?, last_attempt_at = ?, lease_owner = '', lease_until = NULL, updated_at = ?`

// recordOutcomesEach updates each delivery with one prepared statement run
// per row (SQLite: in-process, so a run costs no round trip, and a
// one-row statement, kept prepared, is parsed once per connection, not
// once per row).
func recordOutcomesEach(ctx context.Context, tx *sqlx.Tx, kept keptStmts, outs []outcomeRow, owner string, now time.Time) (map[string]bool, error) {
	stmt := kept.on(ctx, tx, recordOutcomeQuery)
	changed := make(map[string]bool, len(outs))
	for _, o := range outs {
		res, err := stmt.ExecContext(ctx, o.status, o.auto, o.nextAt, o.lastAt, now, o.id, owner)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			changed[o.id] = true
		}
	}
	return changed, nil
}

// recordOutcomesArrays updates all deliveries with one call of
// hookboard_record_outcomes (PostgreSQL, migration 0017), the outcomes as
// five arrays of one element per delivery: one round trip, and an UPDATE
// whose text is the same for every batch, so the function plans it once
// per connection (the call around it costs next to no planning).
func recordOutcomesArrays(ctx context.Context, tx *sqlx.Tx, kept keptStmts, outs []outcomeRow, owner string, now time.Time) (map[string]bool, error) {
	ids, statuses, autos := make(pq.StringArray, len(outs)), make(pq.StringArray, len(outs)), make(pq.Int64Array, len(outs))
	next, last := make([]*time.Time, len(outs)), make([]*time.Time, len(outs))
	for i := range outs {
		o := &outs[i]
		ids[i], statuses[i], autos[i], next[i], last[i] = o.id, o.status, int64(o.auto), o.nextAt, &o.lastAt
	}
	var changedIDs []string
	if err := kept.on(ctx, tx, recordOutcomesQuery).SelectContext(ctx, &changedIDs,
		ids, statuses, timestampArray(next), timestampArray(last), autos, now, owner); err != nil {
		return nil, err
	}
	changed := make(map[string]bool, len(changedIDs))
	for _, id := range changedIDs {
		changed[id] = true
	}
	return changed, nil
}

// recordOutcomeQuery applies one outcome (recordOutcomesEach).
const recordOutcomeQuery = `UPDATE deliveries SET ` + outcomeSet + ` WHERE id = ? AND lease_owner = ?`

// recordOutcomesQuery calls hookboard_record_outcomes (recordOutcomesArrays).
const recordOutcomesQuery = `SELECT id::text FROM hookboard_record_outcomes($1, $2, $3, $4, $5, $6, $7) AS id`

// timestampArray is ts as a PostgreSQL array literal of timestamps (nil
// elements NULL), to the nanosecond as lib/pq sends a single time.Time.
func timestampArray(ts []*time.Time) string {
	b := make([]byte, 0, 2+len(ts)*40)
	b = append(b, '{')
	for i, t := range ts {
		if i > 0 {
			b = append(b, ',')
		}
		if t == nil {
			b = append(b, "NULL"...)
			continue
		}
		b = append(b, '"')
		b = t.AppendFormat(b, "2006-01-02 15:04:05.999999999Z07:00")
		b = append(b, '"')
	}
	return string(append(b, '}'))
}

// automatic is 1 for an attempt that counts toward the retry schedule.
func automatic(a hook.Attempt) int {
	if a.Trigger == hook.TriggerAutomatic {
		return 1
	}
	return 0
}

func attemptTime(r AttemptRecord, now time.Time) time.Time {
	if r.Attempt.CreatedAt.IsZero() {
		return now
	}
	return r.Attempt.CreatedAt.UTC().Truncate(time.Microsecond)
}

func attemptArgs(id string, r AttemptRecord, now time.Time) []any {
	a := r.Attempt
	reqHeaders := headersJSON(a.RequestHeaders)
	var respHeaders []byte
	if a.ResponseHeaders != nil {
		respHeaders = headersJSON(a.ResponseHeaders)
	}
	var status *int
	if a.ResponseStatus != 0 {
		st := a.ResponseStatus
		status = &st
	}
	var body any // no response is NULL: COPY writes a nil []byte as empty
	if a.ResponseBody != nil {
		body = a.ResponseBody
	}
	return []any{id, r.Job.ID, r.Job.WebhookID, a.Trigger, a.Succeeded, a.RequestURL, string(reqHeaders),
		status, string(respHeaders), body, a.ResponseTruncated, a.Duration.Milliseconds(), a.Error, attemptTime(r, now)}
}

// headersJSON is json.Marshal(h), byte for byte, without its reflection
// and key sorting by interface: every attempt stores its request's and its
// response's headers, and encoding them was a fifth of the recorder's
// time in the Go process under full load.
func headersJSON(h map[string][]string) []byte {
	if h == nil {
		return []byte("null")
	}
	keys := make([]string, 0, len(h))
	size := 2
	for k, vs := range h {
		keys = append(keys, k)
		size += len(k) + 6
		for _, v := range vs {
			size += len(v) + 3
		}
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(appendJSONString(b, k), ':')
		vs := h[k]
		if vs == nil {
			b = append(b, "null"...)
			continue
		}
		b = append(b, '[')
		for j, v := range vs {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendJSONString appends s as encoding/json writes it: as it is when it
// holds only printable ASCII that needs no escape, else through
// json.Marshal (control characters, quotes, <, >, &, anything not ASCII).
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// okHookTTL bounds how long a success may skip clearing failing_since.
const okHookTTL = 10 * time.Second

// trackFailures clears a webhook's failing_since on success, starts it on a
// failure, and turns the webhook off once it is older than DisableAfter.
func (s *Store) trackFailures(ctx context.Context, tx *sqlx.Tx, r AttemptRecord, now time.Time) (bool, error) {
	wid := r.Job.WebhookID
	if r.Attempt.Succeeded {
		// A healthy webhook needs this only now and then: after a failure
		// here, or every okHookTTL in case another process saw one.
		if v, ok := s.okHooks.Load(wid); ok && time.Since(v.(time.Time)) < okHookTTL {
			return false, nil
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE webhooks SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL`), wid)
		if err == nil {
			s.okHooks.Store(wid, time.Now())
		}
		return false, err
	}
	s.okHooks.Delete(wid)
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE webhooks SET failing_since = ? WHERE id = ? AND failing_since IS NULL`), now, wid); err != nil {
		return false, err
	}
	reason := fmt.Sprintf("every delivery failed for 5 days (last error: %s). Fix the endpoint, then turn the webhook back on.", summarize(r.Attempt))
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE webhooks SET active = ?, disabled_reason = ?, updated_at = ? WHERE id = ? AND active AND failing_since <= ?`),
		false, reason, now, wid, now.Add(-DisableAfter))
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return true, s.audit(ctx, tx, r.Job.AppID, hook.Actor{Label: "system"}, "webhook.disable", "webhook", wid, reason)
	}
	return false, nil
}
