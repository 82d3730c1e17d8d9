package sender

import (
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

// A recorder writes a batch at once when it is full enough, holds an
// urgent attempt (a FIFO webhook's, whose next delivery waits on it), or
// no other batch is being written (a quiet sender); otherwise it waits
// (recordLinger) for more, and no longer.
func TestRecorderBatches(t *testing.T) {
	rec := func(urgent bool) pendingRecord {
		return pendingRecord{AttemptRecord: store.AttemptRecord{Job: hook.Job{Delivery: hook.Delivery{ID: "d"}}}, urgent: urgent}
	}
	newSender := func(queued int) *Sender {
		s := &Sender{records: make(chan pendingRecord, 512)}
		s.writing.Store(1) // the other recorder is writing a batch
		for range queued {
			s.records <- rec(false)
		}
		return s
	}
	// collect runs one collection with wait; it fails the test if that
	// takes a second or more (it waited when it had no reason to).
	collect := func(s *Sender, first pendingRecord, wait time.Duration) ([]store.AttemptRecord, time.Duration) {
		t.Helper()
		linger := time.NewTimer(time.Hour)
		linger.Stop()
		start := time.Now()
		done := make(chan []store.AttemptRecord, 1)
		go func() {
			done <- s.collectRecords(append(make([]store.AttemptRecord, 0, 256), first.AttemptRecord), first.urgent, linger, wait)
		}()
		select {
		case b := <-done:
			return b, time.Since(start)
		case <-time.After(time.Second):
			t.Fatal("the recorder waited for more where it should have written at once")
			return nil, 0
		}
	}

	// A few, then one more within the wait: one batch of all of them,
	// written once the wait is over.
	s := newSender(2)
	go func() { time.Sleep(time.Millisecond); s.records <- rec(false) }()
	if b, took := collect(s, rec(false), recordLinger); len(b) != 4 || took < recordLinger {
		t.Errorf("a few attempts: a batch of %d after %v, want 4 after at least %v", len(b), took, recordLinger)
	}

	// A full batch goes at once, however long the wait would be.
	s = newSender(recordBatch + 5)
	if b, _ := collect(s, rec(false), time.Hour); len(b) != recordBatch+6 {
		t.Errorf("a full batch: %d written, want %d", len(b), recordBatch+6)
	}

	// An urgent attempt, first or queued, goes at once with what is queued.
	for _, first := range []bool{true, false} {
		s = newSender(2)
		want := 3
		if !first {
			s.records <- rec(true)
			want = 4
		}
		if b, _ := collect(s, rec(first), time.Hour); len(b) != want {
			t.Errorf("urgent (first: %v): a batch of %d, want %d", first, len(b), want)
		}
	}

	// With no other batch being written there is nothing to wait for.
	s = newSender(2)
	s.writing.Store(0)
	if b, _ := collect(s, rec(false), time.Hour); len(b) != 3 {
		t.Errorf("quiet: a batch of %d, want 3 at once", len(b))
	}

	// The queue closing (the sender stopping) ends the wait.
	s = newSender(1)
	close(s.records)
	if b, _ := collect(s, rec(false), time.Hour); len(b) != 2 {
		t.Errorf("closed: a batch of %d, want 2", len(b))
	}

	// The wait is bounded: nothing more comes, the batch goes after it.
	if b, took := collect(newSender(0), rec(false), recordLinger); len(b) != 1 || took < recordLinger {
		t.Errorf("alone: a batch of %d after %v", len(b), took)
	}
}
