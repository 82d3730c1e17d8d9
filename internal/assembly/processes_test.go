package assembly_test

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/assembly"
	"github.com/hookboard/hookboard/internal/config"
	"github.com/hookboard/hookboard/internal/secretbox"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// Two programs sending from one PostgreSQL database find each other by
// their beats and each takes its share of the writers: one ingestion
// writer and one recorder each, as many as one program alone. When one
// stops, the other takes both back within a few beats. (SQLite lets one
// program send from a file.)
func TestProgramsShareTheDatabasesWriters(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("needs PostgreSQL (TEST_DATABASE_URL)")
	}
	dsn := storetest.DSN(t, store.Postgres)
	start := func() (logs *syncBuffer, stop func()) {
		cfg, err := config.Load([]string{"-database-url", dsn, "-addr", "127.0.0.1:0",
			"-session-key", secretbox.NewKey(), "-encryption-key", secretbox.NewKey()},
			func(string) string { return "" }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		logs = &syncBuffer{}
		p, err := assembly.Open(context.Background(), cfg, assembly.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan error, 1)
		go func() { ran <- p.Run(ctx) }()
		stopped := false
		stop = func() {
			if stopped {
				return
			}
			stopped = true
			cancel()
			if err := <-ran; err != nil {
				t.Error(err)
			}
			p.Close()
		}
		t.Cleanup(stop)
		return logs, stop
	}
	shared := regexp.MustCompile(`msg="processes sending from the database" processes=2 ingestion_writers=1 recorders=1`)
	alone := regexp.MustCompile(`msg="processes sending from the database" processes=1 ingestion_writers=2 recorders=2`)
	await := func(logs *syncBuffer, re *regexp.Regexp, what string) {
		t.Helper()
		for deadline := time.Now().Add(4 * store.BeatEvery); !re.MatchString(logs.String()); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: no %q in the log:\n%s", what, re, logs.String())
			}
		}
	}
	logs1, _ := start()
	logs2, stop2 := start()
	await(logs1, shared, "the first program beside the second")
	await(logs2, shared, "the second program beside the first")
	stop2()
	await(logs1, alone, "the first program once the second stopped")
}
