package config

import "runtime/debug"

// Garbage collector settings for the server, unless the operator set GOGC
// or GOMEMLIMIT. Hookboard keeps little in memory (tens of MB) but
// allocates for every request, so Go's default (collect when the heap has
// doubled) runs the collector very often: under full delivery load it took
// a fifth of the process's CPU. Letting the heap grow to five times what is
// live, with a soft limit well under the 150 MB the product promises, cut
// the process's CPU per delivery by about 20 % (BENCHMARKS.md).
const (
	GCPercent   = 400
	MemoryLimit = 120 << 20
)

// TuneGC applies GCPercent and MemoryLimit where the environment does not
// choose otherwise.
func TuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(MemoryLimit)
	}
}
