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

	// Beats that fail (the table is gone for a while) are logged once,
	// and the recovery once; the share stays.
	db := storetest.Open(t, dsn, storetest.Options{}).DB()
	if _, err := db.Exec(`ALTER TABLE processes RENAME TO processes_away`); err != nil {
		t.Fatal(err)
	}
	failed := regexp.MustCompile(`level=WARN msg="beat failed; the writers' share stays as it was until a beat succeeds" processes=1`)
	await(logs1, failed, "a failed beat")
	time.Sleep(2 * store.BeatEvery)
	if n := len(failed.FindAllString(logs1.String(), -1)); n != 1 {
		t.Errorf("failed beats logged %d times, want once:\n%s", n, logs1.String())
	}
	if _, err := db.Exec(`ALTER TABLE processes_away RENAME TO processes`); err != nil {
		t.Fatal(err)
	}
	await(logs1, regexp.MustCompile(`msg="beat succeeded again" processes=1`), "a beat after the table came back")
}
