package store_test

import (
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// handover is a store.Handover whose sender has room or not (room), and
// that counts its reservations.
type handover struct {
	room            bool
	reserved, given []string
	store.Handover
}

func newHandover(room bool) *handover {
	h := &handover{room: room}
	h.Handover = store.Handover{Lease: time.Minute,
		Reserve: func(id string) bool {
			if h.room {
				h.reserved = append(h.reserved, id)
			}
			return h.room
		},
		Unreserve: func(id string) { h.given = append(h.given, id) }}
	return h
}

// Recording the attempt that ends a FIFO webhook's head hands its next
// delivery, in event order, to the recording sender when it has room:
// stored leased to it, with its payload, so no claim finds it. Without
// room it is made due for a claim; with nothing left to promote the
// reservation is given back. A rate-limited FIFO webhook's next delivery
// is never handed over: it needs a token first.
func TestRecordHandsOverNextFIFODelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s, func(in *hook.WebhookInput) { in.Ordering = hook.OrderingFIFO })
		var events []string
		for n := range 3 {
			res, err := s.IngestEvent(ctx, app.ID, "invoice.paid", []byte(`{"n":`+strconv.Itoa(n)+`}`), "")
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, res.Event.ID)
		}
		head := claimAll(t, s, "me", 1)
		if head[0].EventID != events[0] {
			t.Fatalf("the head is event %s, want the first, %s", head[0].EventID, events[0])
		}

		h := newHandover(true)
		_, handed, err := s.RecordAttemptsHanding(ctx, "me", succeededRecords(head), h.Handover)
		if err != nil || len(handed) != 1 {
			t.Fatalf("handed %d, %v; want the next delivery", len(handed), err)
		}
		next := handed[0]
		if next.EventID != events[1] || string(next.Payload) != `{"n":1}` || next.Status != hook.StatusPending || next.NextAttemptAt == nil {
			t.Errorf("handed %+v (payload %s), want event 2's pending delivery with its payload", next.Delivery, next.Payload)
		}
		// Handed over as the store reads it back: PostgreSQL's promotion
		// lists the delivery's columns itself (RETURNING), and a column
		// it missed would reach the sender empty.
		if stored, err := s.Delivery(ctx, app.ID, next.ID); err != nil || !reflect.DeepEqual(stored, next.Delivery) {
			t.Errorf("handed %+v, but the store reads %+v (%v)", next.Delivery, stored, err)
		}
		if !slices.Equal(h.reserved, []string{next.WebhookID}) || len(h.given) != 0 {
			t.Errorf("reserved %v, gave back %v; want one reservation kept", h.reserved, h.given)
		}
		var owner string
		s.DB().GetContext(ctx, &owner, s.DB().Rebind(`SELECT lease_owner FROM deliveries WHERE id = ?`), next.ID)
		if owner != "me" {
			t.Errorf("the handed delivery is leased to %q, want me", owner)
		}
		if jobs, err := s.ClaimDue(ctx, "other", 10, time.Minute, nil); err != nil || len(jobs) != 0 {
			t.Errorf("a claim took %d (%v) while the handed delivery is under way", len(jobs), err)
		}

		// No room: the third is made due, for a claim.
		h = newHandover(false)
		if _, handed, err = s.RecordAttemptsHanding(ctx, "me", succeededRecords(handed), h.Handover); err != nil || len(handed) != 0 {
			t.Fatalf("without room: handed %d, %v", len(handed), err)
		}
		third := claimAll(t, s, "me", 1)
		if third[0].EventID != events[2] {
			t.Errorf("claimed event %s, want the third, %s", third[0].EventID, events[2])
		}

		// Nothing left: the reservation goes back.
		h = newHandover(true)
		if _, handed, err = s.RecordAttemptsHanding(ctx, "me", succeededRecords(third), h.Handover); err != nil || len(handed) != 0 {
			t.Fatalf("with nothing left: handed %d, %v", len(handed), err)
		}
		if len(h.reserved) != 1 || !slices.Equal(h.given, h.reserved) {
			t.Errorf("reserved %v, gave back %v; want the reservation given back", h.reserved, h.given)
		}

		// Rate-limited: never reserved, made due.
		limited := mustApp(t, s, "Limited")
		if _, err := s.CreateEventType(ctx, actor, limited.ID, hook.EventTypeInput{Name: "invoice.paid"}); err != nil {
			t.Fatal(err)
		}
		in := validInput()
		in.Ordering, in.RateLimit = hook.OrderingFIFO, 100
		if _, _, err := s.CreateWebhook(ctx, actor, limited.ID, in, policy); err != nil {
			t.Fatal(err)
		}
		ingestN(t, s, limited.ID, 2)
		head = claimAll(t, s, "me", 1)
		h = newHandover(true)
		if _, handed, err = s.RecordAttemptsHanding(ctx, "me", succeededRecords(head), h.Handover); err != nil || len(handed) != 0 || len(h.reserved) != 0 {
			t.Fatalf("rate-limited: handed %d, reserved %v, %v; want none", len(handed), h.reserved, err)
		}
		claimAll(t, s, "me", 1)
	})
}

// Promoters that race for a FIFO webhook whose head ended elsewhere (as
// when retention deletes it) promote one next delivery between them: each
// reads the head after taking the webhook's lock, so those that waited see
// the one the first promoted. Several rounds, in event order.
func TestConcurrentPromotersPromoteOneHead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := appWithCatchAll(t, s, func(in *hook.WebhookInput) { in.Ordering = hook.OrderingFIFO })
		ingestN(t, s, app.ID, 8)
		var order []string
		if err := s.DB().SelectContext(ctx, &order, `SELECT id FROM deliveries ORDER BY created_at, event_id`); err != nil {
			t.Fatal(err)
		}
		due := func() []string {
			var ids []string
			if err := s.DB().SelectContext(ctx, &ids, `SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at IS NOT NULL`); err != nil {
				t.Fatal(err)
			}
			return ids
		}
		for round := range 5 {
			head := due()
			if !slices.Equal(head, order[round:round+1]) {
				t.Fatalf("round %d: due %v, want the delivery of event %d alone", round, head, round)
			}
			if _, err := s.DB().ExecContext(ctx, s.DB().Rebind(`UPDATE deliveries SET status = 'succeeded', next_attempt_at = NULL WHERE id = ?`), head[0]); err != nil {
				t.Fatal(err)
			}
			const racers = 6
			promoted := make(chan int, racers)
			start := make(chan struct{})
			for range racers {
				go func() {
					<-start
					n, err := s.PromoteFIFO(ctx)
					if err != nil {
						t.Error(err)
					}
					promoted <- n
				}()
			}
			close(start)
			total := 0
			for range racers {
				total += <-promoted
			}
			if total != 1 {
				t.Fatalf("round %d: %d promoted between %d racers, want 1", round, total, racers)
			}
		}
	})
}
