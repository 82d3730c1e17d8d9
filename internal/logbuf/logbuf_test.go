package logbuf

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer counts the writes it gets.
type syncBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes++
	return b.buf.Write(p)
}

func (b *syncBuffer) read() (string, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String(), b.writes
}

// Lines wait until Flush, and then go in one write, in the order made.
func TestLinesWaitForFlushAndGoInOneWrite(t *testing.T) {
	var out syncBuffer
	w := New(&out)
	for i := range 10 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	if s, n := out.read(); s != "" || n != 0 {
		t.Fatalf("before Flush: %d writes, %q", n, s)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	s, n := out.read()
	var want strings.Builder
	for i := range 10 {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	if s != want.String() || n != 1 {
		t.Errorf("after Flush: %d writes of %q, want 1 of %q", n, s, want.String())
	}
	w.Flush() // nothing waiting: no empty write
	if _, n := out.read(); n != 1 {
		t.Errorf("an empty Flush wrote: %d writes", n)
	}
}

// A burst flushes by itself at flushAt bytes, so memory stays bounded;
// concurrent writers' lines arrive whole and each writer's in its order.
func TestBurstFlushesItselfAndKeepsLinesWhole(t *testing.T) {
	var out syncBuffer
	w := New(&out)
	const writers, lines = 8, 2000
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(w, "writer=%d line=%05d %s\n", g, i, strings.Repeat("x", 40))
			}
		})
	}
	wg.Wait()
	if _, n := out.read(); n == 0 {
		t.Errorf("%d bytes written, none flushed before Flush (flushAt %d)", writers*lines*70, flushAt)
	}
	w.Flush()
	s, _ := out.read()
	next := make([]int, writers)
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		var g, i int
		var xs string
		if _, err := fmt.Sscanf(line, "writer=%d line=%d %s", &g, &i, &xs); err != nil || len(xs) != 40 {
			t.Fatalf("torn line %q", line)
		}
		if i != next[g] {
			t.Fatalf("writer %d: line %d after %d", g, i, next[g]-1)
		}
		next[g]++
	}
	for g, n := range next {
		if n != lines {
			t.Errorf("writer %d: %d lines, want %d", g, n, lines)
		}
	}
}

// Through Handler, an Info line waits and a warning is written at once,
// with everything before it.
func TestWarningsAreWrittenAtOnce(t *testing.T) {
	var out syncBuffer
	w := New(&out)
	log := slog.New(Handler(slog.NewTextHandler(w, nil), w)).With("part", "test")
	log.Info("first")
	if s, _ := out.read(); s != "" {
		t.Fatalf("Info written at once: %q", s)
	}
	log.WithGroup("g").Warn("second", "k", "v")
	s, _ := out.read()
	if !strings.Contains(s, "msg=first part=test") || !strings.Contains(s, "msg=second part=test g.k=v") {
		t.Errorf("after a warning: %q, want both lines", s)
	}
	log.Error("third")
	if s, _ := out.read(); !strings.Contains(s, "msg=third") {
		t.Errorf("error not written at once: %q", s)
	}
}

// Run writes what waits every FlushEvery, and what is left when it ends.
func TestRunFlushesUntilItEnds(t *testing.T) {
	var out syncBuffer
	w := New(&out)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()
	fmt.Fprintln(w, "while running")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if s, _ := out.read(); s == "while running\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run never flushed")
		}
	}
	fmt.Fprintln(w, "last")
	cancel()
	<-done
	if s, _ := out.read(); s != "while running\nlast\n" {
		t.Errorf("after Run ended: %q", s)
	}
}
