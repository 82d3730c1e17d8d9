// Package logbuf gathers log lines in memory and writes them in batches:
// under full load Hookboard logs two lines per delivery (the API request
// and the attempt), and writing each with its own system call cost more
// than formatting it. Lines wait at most until the next Flush, which the
// program calls every FlushEvery, at once after a warning or an error (the
// Handler wrapper), and when it stops.
package logbuf

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// FlushEvery is how long an Info line may wait in memory: the most a hard
// crash can lose, and the most a line lags behind what it reports.
const FlushEvery = 100 * time.Millisecond

// flushAt is how much is gathered before a Write flushes by itself, so a
// burst never holds more than this much in memory.
const flushAt = 32 << 10

// Writer is an io.Writer that keeps what is written until Flush, or until
// flushAt bytes are waiting. It is safe for concurrent use, and writes
// reach w whole and in the order they were made.
type Writer struct {
	w io.Writer

	out   sync.Mutex // held while writing to w, so flushes keep their order
	spare []byte     // the buffer last written, reused; guarded by out

	mu  sync.Mutex // guards buf
	buf []byte
}

// New returns a Writer that writes to w.
func New(w io.Writer) *Writer { return &Writer{w: w} }

// Write keeps p to be written at the next flush. It never fails: an error
// writing to the underlying writer is returned by the Flush that met it.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	b.buf = append(b.buf, p...)
	full := len(b.buf) >= flushAt
	b.mu.Unlock()
	if full {
		b.Flush()
	}
	return len(p), nil
}

// Flush writes everything kept so far.
func (b *Writer) Flush() error {
	b.out.Lock()
	defer b.out.Unlock()
	b.mu.Lock()
	buf := b.buf
	b.buf = b.spare[:0]
	b.mu.Unlock()
	if len(buf) == 0 {
		b.spare = buf
		return nil
	}
	_, err := b.w.Write(buf)
	if cap(buf) <= 4*flushAt { // a rare huge line's buffer is not kept
		b.spare = buf[:0]
	} else {
		b.spare = nil
	}
	return err
}

// Run flushes every FlushEvery until ctx ends, then once more.
func (b *Writer) Run(ctx context.Context) {
	t := time.NewTicker(FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			b.Flush()
			return
		case <-t.C:
			b.Flush()
		}
	}
}

// Handler wraps h (which writes to b) so that a record at Warn or above is
// written at once, with everything before it.
func Handler(h slog.Handler, b *Writer) slog.Handler { return &flushing{Handler: h, b: b} }

type flushing struct {
	slog.Handler
	b *Writer
}

func (h *flushing) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.b.Flush()
	}
	return err
}

func (h *flushing) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &flushing{Handler: h.Handler.WithAttrs(attrs), b: h.b}
}

func (h *flushing) WithGroup(name string) slog.Handler {
	return &flushing{Handler: h.Handler.WithGroup(name), b: h.b}
}
