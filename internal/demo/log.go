package demo

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hookboard/hookboard/internal/store"
)

// QuietLog is the program's log handler in demo mode: it passes every
// record on except the sender's line per automatic attempt to a demo
// webhook, which it counts instead, for a summary line a minute
// (Summary). Attempts to other apps' webhooks, and resends and test events
// (they carry a trigger), keep their lines.
type QuietLog struct {
	next slog.Handler
	st   *quietState
}

type quietState struct {
	mu         sync.Mutex
	hooks      map[string]bool
	ok, failed int
}

// NewQuietLog wraps next.
func NewQuietLog(next slog.Handler) *QuietLog {
	return &QuietLog{next: next, st: &quietState{hooks: map[string]bool{}}}
}

// Watch sets the demo's webhooks, whose attempts are counted, not logged.
func (q *QuietLog) Watch(ids []string) {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	q.st.mu.Lock()
	q.st.hooks = m
	q.st.mu.Unlock()
}

// Summary returns the attempts counted since the last call.
func (q *QuietLog) Summary() (succeeded, failed int) {
	q.st.mu.Lock()
	defer q.st.mu.Unlock()
	succeeded, failed = q.st.ok, q.st.failed
	q.st.ok, q.st.failed = 0, 0
	return succeeded, failed
}

func (q *QuietLog) Enabled(ctx context.Context, l slog.Level) bool { return q.next.Enabled(ctx, l) }

func (q *QuietLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "attempt" {
		var webhook string
		var ok, manual bool
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "webhook":
				webhook = a.Value.String()
			case "succeeded":
				ok = a.Value.Kind() == slog.KindBool && a.Value.Bool()
			case "trigger":
				// A resend or test event someone made is worth its own
				// line; a recovery job's many requests are summed up.
				manual = a.Value.String() != "recovery"
			}
			return true
		})
		q.st.mu.Lock()
		watched := !manual && q.st.hooks[webhook]
		if watched {
			if ok {
				q.st.ok++
			} else {
				q.st.failed++
			}
		}
		q.st.mu.Unlock()
		if watched {
			return nil
		}
	}
	return q.next.Handle(ctx, r)
}

func (q *QuietLog) WithAttrs(as []slog.Attr) slog.Handler {
	return &QuietLog{next: q.next.WithAttrs(as), st: q.st}
}

func (q *QuietLog) WithGroup(name string) slog.Handler {
	return &QuietLog{next: q.next.WithGroup(name), st: q.st}
}

// Summarize logs, every interval until ctx ends, one line with the demo's
// attempts since the last one (when there were any), and refreshes the
// webhooks QuietLog watches: those of the demo app, including ones the
// user added.
func Summarize(ctx context.Context, st *store.Store, appID string, q *QuietLog, log *slog.Logger, every time.Duration) {
	watch := func() {
		whs, err := st.ListWebhooks(ctx, appID)
		if err != nil {
			return
		}
		ids := make([]string, len(whs))
		for i, wh := range whs {
			ids[i] = wh.ID
		}
		q.Watch(ids)
	}
	watch()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		watch()
		if ok, failed := q.Summary(); ok+failed > 0 {
			log.Info("demo: attempts in the last minute (one line a minute in demo mode)", "attempts", ok+failed, "succeeded", ok, "failed", failed)
		}
	}
}
