package sender

import (
	"context"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
)

// A recorder writes a batch at once when it is full enough, holds an
// urgent attempt (a FIFO webhook's, whose next delivery waits on it), or
// no other batch is being written (a quiet sender); otherwise it waits
// (recordLinger) for more, and no longer. Beside another process (one
// recorder here) the other batch is that process's, taken to be written
// while this one's last batch was written less than recordLinger ago.
func TestRecorderBatches(t *testing.T) {
	rec := func(urgent bool) pendingRecord {
		return pendingRecord{AttemptRecord: store.AttemptRecord{Job: hook.Job{Delivery: hook.Delivery{ID: "d"}}}, urgent: urgent}
	}
	newSender := func(queued int) *Sender {
		s := &Sender{records: make(chan pendingRecord, 512), recorders: newLanes(recorders)}
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

	// Beside another process, under a steady load (this process's last
	// batch just written): it waits for more, as for its own other
	// recorder.
	s = newSender(2)
	s.writing.Store(0)
	s.recorders.share(2)
	s.flushed.Store(time.Now().UnixNano())
	go func() { time.Sleep(time.Millisecond); s.records <- rec(false) }()
	if b, took := collect(s, rec(false), recordLinger); len(b) != 4 || took < recordLinger {
		t.Errorf("beside another process, under load: a batch of %d after %v, want 4 after at least %v", len(b), took, recordLinger)
	}
	// Beside another process, quiet (the last batch long ago, or none):
	// at once.
	for _, last := range []time.Time{time.Now().Add(-time.Second), {}} {
		s = newSender(2)
		s.writing.Store(0)
		s.recorders.share(2)
		if !last.IsZero() {
			s.flushed.Store(last.UnixNano())
		}
		if b, _ := collect(s, rec(false), time.Hour); len(b) != 3 {
			t.Errorf("beside another process, quiet since %v: a batch of %d, want 3 at once", last, len(b))
		}
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

// heldRecords is a Store whose batches of attempts wait until the test
// releases them, one release each.
type heldRecords struct {
	Store   // nil: the recorders call only RecordAttemptsHanding
	started chan int
	release chan struct{}
}

func (h *heldRecords) RecordAttemptsHanding(ctx context.Context, owner string, recs []store.AttemptRecord, _ store.Handover) ([]string, []hook.Job, error) {
	h.started <- len(recs)
	<-h.release
	return nil, nil, nil
}

// While another process sends from the same database, one recorder writes
// at a time: what is finished while a batch is written waits for it (with
// two recorders, the second would write it once its short wait is over).
// Alone again, the sender writes two batches at once.
func TestRecordersShareBesideAnotherProcess(t *testing.T) {
	h := &heldRecords{started: make(chan int, 8), release: make(chan struct{})}
	s := New(Options{Store: h, Workers: 8})
	stop := s.startRecorder()
	defer stop()
	defer close(h.release) // before stop: every batch held is let go
	rec := pendingRecord{AttemptRecord: store.AttemptRecord{Job: hook.Job{Delivery: hook.Delivery{ID: "d"}}}}
	started := func(what string) {
		t.Helper()
		select {
		case <-h.started:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no batch started", what)
		}
	}
	noBatch := func(what string) {
		t.Helper()
		select {
		case n := <-h.started:
			t.Fatalf("a batch of %d started %s", n, what)
		case <-time.After(10 * recordLinger):
		}
	}

	s.SetProcesses(2)
	if n := s.Recorders(); n != 1 {
		t.Fatalf("beside another process: %d recorders, want 1", n)
	}
	time.Sleep(100 * time.Millisecond) // the second recorder sees its lane close
	s.records <- rec
	started("beside another process, the first attempt")
	s.records <- rec
	noBatch("beside another process, while a batch was written")
	h.release <- struct{}{}
	started("beside another process, what finished meanwhile")
	h.release <- struct{}{}

	s.SetProcesses(1)
	if n := s.Recorders(); n != 2 {
		t.Fatalf("alone again: %d recorders, want 2", n)
	}
	s.records <- rec
	started("alone again, the first attempt")
	s.records <- rec
	started("alone again, an attempt while a batch is written")
	h.release <- struct{}{}
	h.release <- struct{}{}
}
