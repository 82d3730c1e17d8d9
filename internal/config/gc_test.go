package config

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestTuneGC(t *testing.T) {
	oldPercent := debug.SetGCPercent(100)
	oldLimit := debug.SetMemoryLimit(math.MaxInt64)
	defer func() {
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	}()

	// The operator's GOGC and GOMEMLIMIT win.
	TuneGC(func(k string) string { return map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}[k] })
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GOGC set: percent changed to %d", p)
	}
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT set: limit changed to %d", l)
	}

	TuneGC(func(string) string { return "" })
	if p := debug.SetGCPercent(100); p != GCPercent {
		t.Errorf("percent %d, want %d", p, GCPercent)
	}
	if l := debug.SetMemoryLimit(-1); l != MemoryLimit {
		t.Errorf("limit %d, want %d", l, MemoryLimit)
	}
}
