package sender

import "time"

// OnWake makes in call f, too, each time it would wake its sender (it has
// none: just f). Call it
// before the first IngestEvent.
func OnWake(in *Ingester, f func()) {
	wake := in.wakeSender
	in.wakeSender = func() {
		f()
		if wake != nil {
			wake()
		}
	}
}

// BatchRetries tells tests how many batches fell back to one-by-one writes.
func BatchRetries(in *Ingester) int64 { return in.retries.Load() }

// Woken reports whether s has a wake-up waiting (and takes it).
func Woken(s *Sender) bool {
	select {
	case <-s.wake:
		return true
	default:
		return false
	}
}

// SetIngestLinger sets how long in's writer, beside another process, waits
// for a fuller batch (for the next request too: the gap is the linger until
// SetIngestGap), and how recent its last batch must be for it to wait.
// Call it before the first IngestEvent.
func SetIngestLinger(in *Ingester, linger, steady time.Duration) {
	in.linger, in.gap, in.steady = linger, linger, steady
}

// SetIngestGap sets how long in's lingering writer waits for the next
// request before it writes what it has.
func SetIngestGap(in *Ingester, gap time.Duration) { in.gap = gap }

// IngestBatches tells tests how many batches in has written.
func IngestBatches(in *Ingester) int64 { return in.batches.Load() }
