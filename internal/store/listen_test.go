package store_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// Deployments that share one PostgreSQL database, each in its own schema,
// do not hear each other's notices of new deliveries; processes on one
// schema do.
func TestNoticesStayInTheirSchema(t *testing.T) {
	if !slices.Contains(storetest.Dialects(t), store.Postgres) {
		t.Skip("TEST_DATABASE_URL is not set: notices are PostgreSQL's")
	}
	dsnA, dsnB := storetest.DSN(t, store.Postgres), storetest.DSN(t, store.Postgres)
	a1, a2 := storetest.Open(t, dsnA, storetest.Options{}), storetest.Open(t, dsnA, storetest.Options{})
	b1, b2 := storetest.Open(t, dsnB, storetest.Options{}), storetest.Open(t, dsnB, storetest.Options{})
	listenCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }() // before the schemas are dropped
	heard := func(s *store.Store) func() []string {
		var mu sync.Mutex
		var got []string
		wg.Go(func() {
			s.Listen(listenCtx, func(from string) { mu.Lock(); got = append(got, from); mu.Unlock() }, func(err error) { t.Error(err) })
		})
		return func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(got) }
	}
	heardA2, heardB2 := heard(a2), heard(b2)
	// Notify until each listener has heard its own schema's notice: both
	// are listening from then on.
	for _, c := range []struct {
		from  *store.Store
		name  string
		heard func() []string
	}{{b1, "b1", heardB2}, {a1, "a1", heardA2}} {
		deadline := time.Now().Add(5 * time.Second)
		for !slices.Contains(c.heard(), c.name) {
			if time.Now().After(deadline) {
				t.Fatalf("a process on %s's schema heard %v, not its notice", c.name, c.heard())
			}
			if err := c.from.NotifyDeliveries(ctx, c.name); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for range 5 {
		if err := a1.NotifyDeliveries(ctx, "a1"); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if got := heardB2(); slices.Contains(got, "a1") {
		t.Errorf("a process on another schema heard %v, notices of deliveries it cannot see", got)
	}
	if got := heardA2(); slices.Contains(got, "b1") {
		t.Errorf("a process on another schema heard %v, notices of deliveries it cannot see", got)
	}
}

// Each schema's channel fits PostgreSQL's 63 bytes and is its own; the
// public schema keeps the channel it had before schemas had their own, so
// processes of both versions hear each other during an upgrade.
func TestSchemaChannels(t *testing.T) {
	if got := store.SchemaChannel("public"); got != "hookboard_deliveries" {
		t.Errorf("public's channel %q, want hookboard_deliveries", got)
	}
	seen := map[string]string{}
	for _, schema := range []string{"t_0a1b2c3d4e5f", "t_0a1b2c3d4e5e", "tenant", strings.Repeat("long", 16), ""} {
		ch := store.SchemaChannel(schema)
		if len(ch) > 63 || !strings.HasPrefix(ch, "hookboard_deliveries_") {
			t.Errorf("schema %q: channel %q", schema, ch)
		}
		if other, ok := seen[ch]; ok {
			t.Errorf("schemas %q and %q share the channel %q", other, schema, ch)
		}
		seen[ch] = schema
	}
}
