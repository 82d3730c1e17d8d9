package logbuf

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkRequestLine is one request's log line, as the API writes it
// under load, to a file: "direct" with a write per line (how the program
// logged before logbuf), "batched" through a Writer flushed as Run would.
func BenchmarkRequestLine(b *testing.B) {
	for _, batched := range []bool{false, true} {
		name := "direct"
		if batched {
			name = "batched"
		}
		b.Run(name, func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "log"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			h := slog.Handler(slog.NewTextHandler(f, nil))
			var w *Writer
			if batched {
				w = New(f)
				h = Handler(slog.NewTextHandler(w, nil), w)
			}
			log := slog.New(h)
			ctx := context.Background()
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				log.Log(ctx, slog.LevelInfo, "request", "method", "POST", "path", "/api/v1/apps/01a222c0-1085-7000-bf2d-7c150982c66e/events",
					"route", "POST /api/v1/apps/{appID}/events", "status", 202, "bytes", 154, "duration_ms", 1.234)
				if i++; batched && i%700 == 0 { // about 100 ms of lines at 7,000 deliveries/s
					w.Flush()
				}
			}
			if batched {
				w.Flush()
			}
		})
	}
}
