package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// On SQLite a write transaction that finds another under way waits in the
// store's queue, not in SQLite's busy handler (which polls with sleeps of
// up to 100 ms: under load it left a fifth of the machine idle and put
// seconds on the p99, BENCHMARKS.md); so it can also give up as soon as
// its context ends. On PostgreSQL writers do not queue.
func TestWriteTransactionsQueueInTheStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		release := make(chan struct{})
		held := make(chan bool)
		first := make(chan error)
		go func() {
			first <- store.InTx(ctx, s, func() error {
				held <- store.WriterQueued(s)
				<-release
				return nil
			})
		}()
		queued := <-held
		if want := s.Dialect() == store.SQLite; queued != want {
			t.Fatalf("writer queue held: %v, want %v", queued, want)
		}
		if s.Dialect() == store.SQLite {
			waiting, cancel := context.WithCancel(ctx)
			second := make(chan error)
			ran := false
			go func() { second <- store.InTx(waiting, s, func() error { ran = true; return nil }) }()
			cancel()
			if err := <-second; !errors.Is(err, context.Canceled) || ran {
				t.Errorf("second writer, cancelled while the first holds the file: %v (ran: %v), want context.Canceled without running", err, ran)
			}
		}
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if store.WriterQueued(s) {
			t.Error("the writer queue is still held after the commit")
		}
		// And the next writer goes ahead.
		if err := store.InTx(ctx, s, func() error { return nil }); err != nil {
			t.Fatal(err)
		}
	})
}
