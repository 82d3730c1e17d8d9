package sender_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/sender"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// Many concurrent requests with one Idempotency-Key, written by concurrent
// ingestion batches: one event and one delivery, every request answered
// with it; other keys in the same batches are unaffected.
func TestConcurrentIdempotentIngestion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		f.webhook("A", "http://127.0.0.1:9/hook", []string{"*"}, true)
		ing := f.ingester(nil)
		const n = 200
		results := make([]store.IngestResult, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				key := "same"
				if i%2 == 1 {
					key = "k" + strconv.Itoa(i)
				}
				res, err := ing.IngestEvent(ctx, f.app.ID, "invoice.paid", []byte(`{"a":1}`), key)
				if err != nil {
					t.Error(err)
				}
				results[i] = res
			})
		}
		wg.Wait()
		first, replays := results[0].Event.ID, 0
		for i := 0; i < n; i += 2 {
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

// Batches of every size are written whole: no batch fails and falls back
// to one-by-one writes (which would hide a broken batch statement behind
// slow success). A request's own error (an unknown type) fails only it.
func TestLargeBatchesWrittenWhole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		f.webhook("A", "http://127.0.0.1:9/a", []string{"*"}, true)
		f.webhook("B", "http://127.0.0.1:9/b", []string{"invoice.paid"}, true)
		ing := f.ingester(nil)
		const events = 700
		var wg sync.WaitGroup
		for i := range events {
			wg.Go(func() {
				if _, err := ing.IngestEvent(ctx, f.app.ID, "invoice.paid", []byte(`{"n":`+strconv.Itoa(i)+`}`), ""); err != nil {
					t.Error(err)
				}
			})
			if i%100 == 0 {
				wg.Go(func() {
					if _, err := ing.IngestEvent(ctx, f.app.ID, "not.in.catalog", []byte(`{}`), ""); hook.ErrorCode(err) != hook.EINVALID {
						t.Errorf("unknown type: %v", err)
					}
				})
			}
		}
		wg.Wait()
		if n := sender.BatchRetries(ing); n != 0 {
			t.Errorf("%d batches failed whole and were written one by one", n)
		}
		var deliveries int
		s.DB().GetContext(ctx, &deliveries, `SELECT COUNT(*) FROM deliveries WHERE lease_owner = ''`)
		if deliveries != 2*events {
			t.Errorf("%d deliveries stored due, want %d", deliveries, 2*events)
		}
	})
}

// After Close, ingestion fails instead of waiting forever.
func TestIngesterClosed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := newFixture(t, s, nil)
		ing := f.ingester(nil)
		ing.Close()
		if _, err := ing.IngestEvent(ctx, f.app.ID, "invoice.paid", []byte(`{}`), ""); !errors.Is(err, sender.ErrIngesterClosed) {
			t.Errorf("after Close: %v", err)
		}
	})
}

// BenchmarkIngest measures ingestion as the API drives it: 64 concurrent
// callers, one subscribed webhook, no sender (each delivery stored due).
// Concurrent calls share transactions (group commit). "beside_another"
// splits the callers over two ingesters on the database, each told it
// shares it with another process, as two processes' would be: each
// writes one batch at a time, waiting under load for a fuller one, and
// its events per batch should be about one process's.
func BenchmarkIngest(b *testing.B) {
	for _, dialect := range storetest.Dialects(b) {
		for _, procs := range []int{1, 2} {
			if procs == 2 && dialect != "postgres" {
				continue // one process serves a SQLite database
			}
			name := dialect
			if procs == 2 {
				name += "/beside_another"
			}
			b.Run(name, func(b *testing.B) {
				s := storetest.New(b, dialect, storetest.Options{})
				app, err := s.CreateApp(ctx, "Acme")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.CreateEventType(ctx, actor, app.ID, hook.EventTypeInput{Name: "invoice.paid"}); err != nil {
					b.Fatal(err)
				}
				if _, _, err := s.CreateWebhook(ctx, actor, app.ID, hook.WebhookInput{Name: "A", URL: "http://127.0.0.1:9/", Events: []string{"*"}, Active: true, AuthType: hook.AuthNone}, dev); err != nil {
					b.Fatal(err)
				}
				ings := make([]*sender.Ingester, procs)
				for i := range ings {
					ings[i] = sender.NewIngester(s, nil)
					ings[i].SetProcesses(procs)
					b.Cleanup(ings[i].Close)
				}
				payload := []byte(`{"invoiceId":"inv_0001","amount":4200}`)
				var next atomic.Int64
				b.ReportAllocs()
				b.SetParallelism(32) // × GOMAXPROCS callers
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					ing := ings[int(next.Add(1))%procs]
					for pb.Next() {
						if _, err := ing.IngestEvent(ctx, app.ID, "invoice.paid", payload, ""); err != nil {
							b.Error(err)
							return
						}
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
				var batches int64
				for _, ing := range ings {
					batches += sender.IngestBatches(ing)
				}
				if batches > 0 {
					b.ReportMetric(float64(b.N)/float64(batches), "events/batch")
				}
			})
		}
	}
}

// pausedStore is an IngestStore with two writers whose batches stop where
// the test says: before their statements end, and between their statements
// and their commit.
type pausedStore struct {
	started chan *pausedBatch
	done    chan struct{} // closed at the end: every batch goes on
}

type pausedBatch struct {
	n      int
	step   chan error // nil: the statements end; else the batch fails
	commit chan struct{}
}

func (p *pausedStore) IngestBatch(ctx context.Context, reqs []store.IngestRequest, lease store.IngestLease) (store.IngestOutcome, error) {
	out := store.IngestOutcome{Results: make([]store.IngestResult, len(reqs)), Errs: make([]error, len(reqs))}
	b := &pausedBatch{n: len(reqs), step: make(chan error, 1), commit: make(chan struct{}, 1)}
	select {
	case p.started <- b:
	case <-p.done:
		return out, nil
	}
	select {
	case err := <-b.step:
		if err != nil {
			return out, err // failed before its statements ended: no Written
		}
	case <-p.done:
		return out, nil
	}
	lease.Written()
	select {
	case <-b.commit:
	case <-p.done:
	}
	return out, nil
}
func (p *pausedStore) IngestWriters() int                                      { return 2 }
func (p *pausedStore) NotifiesOthers() bool                                    { return false }
func (p *pausedStore) NotifyDeliveries(ctx context.Context, from string) error { return nil }

// pausedIngester is an Ingester over a pausedStore, with the steps its
// tests take: send requests, wait for a batch of them to start, let it
// finish, collect the answers.
type pausedIngester struct {
	t    *testing.T
	ing  *sender.Ingester
	p    *pausedStore
	errs chan error
}

func newPausedIngester(t *testing.T) *pausedIngester {
	p := &pausedStore{started: make(chan *pausedBatch), done: make(chan struct{})}
	pi := &pausedIngester{t: t, ing: sender.NewIngester(p, nil), p: p, errs: make(chan error, 16)}
	t.Cleanup(func() {
		close(p.done)
		pi.ing.Close()
	})
	return pi
}

// ingest sends n requests, each from a goroutine of its own.
func (pi *pausedIngester) ingest(n int) {
	for range n {
		go func() {
			_, err := pi.ing.IngestEvent(ctx, "app", "invoice.paid", []byte(`{}`), "")
			pi.errs <- err
		}()
	}
}

// started is the next batch to start, which must hold want requests.
func (pi *pausedIngester) started(want int, what string) *pausedBatch {
	pi.t.Helper()
	select {
	case b := <-pi.p.started:
		if b.n != want {
			pi.t.Fatalf("%s: a batch of %d, want %d", what, b.n, want)
		}
		return b
	case <-time.After(5 * time.Second):
		pi.t.Fatalf("%s: no batch started", what)
	}
	return nil
}

// noBatch fails the test if a batch starts within 200 ms.
func (pi *pausedIngester) noBatch(what string) {
	pi.t.Helper()
	select {
	case b := <-pi.p.started:
		pi.t.Fatalf("a batch of %d started %s", b.n, what)
	case <-time.After(200 * time.Millisecond):
	}
}

// finish lets b's statements end and b commit.
func (pi *pausedIngester) finish(b *pausedBatch) {
	b.step <- nil
	b.commit <- struct{}{}
}

// answered takes n answers, which must all be without an error.
func (pi *pausedIngester) answered(n int) {
	pi.t.Helper()
	for range n {
		if err := <-pi.errs; err != nil {
			pi.t.Fatal(err)
		}
	}
}

// While a batch of several is written, the second writer waits and the
// requests that arrive meanwhile queue for it: it starts as the first
// commits, with all of them in one batch (not the first of them alone).
// Under a light load (batches of one) each request is written at once.
// A batch that fails before its statements end lets the next one start.
func TestIngestBatchesGatherWhileOtherWrites(t *testing.T) {
	pi := newPausedIngester(t)
	ingest, started, finish, answered := pi.ingest, pi.started, pi.finish, pi.answered

	ingest(1)
	lone := started(1, "a lone request")
	ingest(1)
	other := started(1, "a request while a lone one is written")

	// Both writers are busy: four requests queue, and the first writer to
	// finish takes them.
	ingest(4)
	time.Sleep(100 * time.Millisecond)
	finish(lone)
	four := started(4, "what queued while both wrote")
	finish(other)
	answered(2)

	ingest(3)
	pi.noBatch("while a batch of 4 was written")
	four.step <- nil // the four's statements end; their commit waits
	three := started(3, "the second writer, as the first commits")
	four.commit <- struct{}{}
	finish(three)
	answered(7)

	// A batch of several fails, and so do its requests written one by
	// one, before their statements end: the next request is still written.
	ingest(1)
	lone = started(1, "a lone request")
	ingest(1)
	other = started(1, "a request while a lone one is written")
	ingest(4)
	time.Sleep(100 * time.Millisecond)
	finish(lone)
	failing := started(4, "what queued while both wrote")
	failing.step <- errors.New("deadlock detected")
	for range 4 {
		started(1, "a request of the failed batch, alone").step <- errors.New("deadlock detected")
	}
	finish(other)
	// Six answers, in no set order: the lone two written, the four failed.
	var ok, failed int
	for range 6 {
		if err := <-pi.errs; err == nil {
			ok++
		} else {
			failed++
		}
	}
	if ok != 2 || failed != 4 {
		t.Errorf("%d requests answered without an error and %d with one; want 2 and the failed batch's 4", ok, failed)
	}
	ingest(1)
	finish(started(1, "the next request after a batch failed"))
	answered(1)
}

// While another process sends from the same database, the ingester writes
// one batch at a time: a request that arrives while a lone one is written
// waits for it (alone, the second writer would write it at once), and what
// queues meanwhile is the next batch. The two processes' writers together
// are as many as one process's. Alone again, it writes two at once.
func TestIngesterWritesItsShareBesideAnotherProcess(t *testing.T) {
	pi := newPausedIngester(t)
	if n := pi.ing.Writers(); n != 2 {
		t.Fatalf("alone: %d writers, want 2", n)
	}
	pi.ing.SetProcesses(2)
	if n := pi.ing.Writers(); n != 1 {
		t.Fatalf("beside another process: %d writers, want 1", n)
	}
	time.Sleep(100 * time.Millisecond) // the second writer sees its lane close

	pi.ingest(1)
	lone := pi.started(1, "a lone request")
	pi.ingest(2)
	pi.noBatch("beside another process, while a lone request was written")
	pi.finish(lone)
	two := pi.started(2, "what queued while the one writer wrote")
	pi.finish(two)
	pi.answered(3)

	pi.ing.SetProcesses(1)
	pi.ingest(1)
	lone = pi.started(1, "alone again, a lone request")
	pi.ingest(1)
	other := pi.started(1, "alone again, a request while a lone one is written")
	pi.finish(lone)
	pi.finish(other)
	pi.answered(2)
}

// Beside another process, under a heavy steady load, the one writer waits
// (up to its linger) for a fuller batch, as one process's second writer
// gathers while the first writes; under a light load (a batch of fewer
// than four), after a quiet spell, or alone, it writes at once.
func TestIngesterGathersBesideAnotherProcessUnderLoad(t *testing.T) {
	pi := newPausedIngester(t)
	const linger, steady = 400 * time.Millisecond, time.Second
	sender.SetIngestLinger(pi.ing, linger, steady)
	pi.ing.SetProcesses(2)
	time.Sleep(100 * time.Millisecond) // the second writer sees its lane close

	// heavy writes a batch of four, queued while a lone request was written.
	heavy := func() {
		t.Helper()
		pi.ingest(1)
		lone := pi.started(1, "a lone request")
		pi.ingest(4)
		time.Sleep(100 * time.Millisecond)
		pi.finish(lone)
		pi.finish(pi.started(4, "what queued while the lone request was written"))
		pi.answered(5)
	}
	// atOnce sends one request, which must be written without a wait.
	atOnce := func(what string) {
		t.Helper()
		start := time.Now()
		pi.ingest(1)
		pi.finish(pi.started(1, what))
		if waited := time.Since(start); waited > linger/2 {
			t.Errorf("%s: written after %v; want at once", what, waited)
		}
		pi.answered(1)
	}

	heavy()
	// The next request waits for those that follow it.
	pi.ingest(1)
	time.Sleep(100 * time.Millisecond)
	pi.ingest(3)
	pi.finish(pi.started(4, "beside another process under a heavy load, a request and those that came within the linger"))
	pi.answered(4)

	// It waits no longer than the linger.
	start := time.Now()
	pi.ingest(1)
	b := pi.started(1, "a request nothing followed")
	if waited := time.Since(start); waited < linger-50*time.Millisecond {
		t.Errorf("a lone request under a heavy load was written after %v; want it to wait about %v for others", waited, linger)
	}
	pi.finish(b)
	pi.answered(1)

	// A light load (the last batch held one): written at once.
	atOnce("a request under a light load")

	// With a gap shorter than the linger, the wait ends when nothing came
	// for the gap: a few callers that all sent are not kept waiting.
	sender.SetIngestGap(pi.ing, 100*time.Millisecond)
	heavy()
	start = time.Now()
	pi.ingest(2)
	b = pi.started(2, "two requests nothing followed, with a gap")
	if waited := time.Since(start); waited < 80*time.Millisecond || waited > linger-100*time.Millisecond {
		t.Errorf("two requests under a heavy load were written after %v; want the gap (100ms), not the linger (%v)", waited, linger)
	}
	pi.finish(b)
	pi.answered(2)
	sender.SetIngestGap(pi.ing, linger)

	// A quiet spell after a heavy batch: written at once.
	heavy()
	time.Sleep(steady + 100*time.Millisecond)
	atOnce("a request after a quiet spell")

	// Alone, under the same heavy load: written at once.
	pi.ing.SetProcesses(1)
	pi.ingest(1)
	lone := pi.started(1, "alone, a lone request")
	pi.ingest(1)
	other := pi.started(1, "alone, a request while a lone one is written")
	pi.ingest(4)
	time.Sleep(100 * time.Millisecond)
	pi.finish(lone)
	four := pi.started(4, "alone, what queued while both wrote")
	pi.finish(other)
	pi.answered(2)
	pi.finish(four)
	pi.answered(4)
	atOnce("alone, right after a heavy batch")
}
