package store_test

import (
	"testing"
	"time"

	"github.com/hookboard/hookboard/internal/hook"
	"github.com/hookboard/hookboard/internal/store"
	"github.com/hookboard/hookboard/internal/store/storetest"
)

// openTwice opens two stores on one fresh database of the dialect: two
// processes sharing it.
func openTwice(t *testing.T, dialect string) (*store.Store, *store.Store) {
	t.Helper()
	dsn := storetest.DSN(t, dialect)
	var out [2]*store.Store
	for i := range out {
		s, err := store.Open(ctx, dsn, store.Options{Box: storetest.Box(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		out[i] = s
	}
	return out[0], out[1]
}

func mustKey(t *testing.T, s *store.Store, appID string) (store.APIKey, string) {
	t.Helper()
	k, key, err := s.CreateAPIKey(ctx, actor, appID, "billing")
	if err != nil {
		t.Fatal(err)
	}
	return k, key
}

func wantRevoked(t *testing.T, s *store.Store, key, when string) {
	t.Helper()
	if _, err := s.AuthenticateAPIKey(ctx, key); hook.ErrorCode(err) != hook.EUNAUTHORIZED {
		t.Errorf("%s: the revoked key still works (%v)", when, err)
	}
}

// TestRevokedKeyRefusedAtOnce: in the process that revoked it, the very
// next lookup refuses a key that was cached a moment before.
func TestRevokedKeyRefusedAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		app := mustApp(t, s, "Acme")
		k, key := mustKey(t, s, app.ID)
		other, otherKey := mustKey(t, s, app.ID)
		for range 2 { // the second comes from the cache
			if _, err := s.AuthenticateAPIKey(ctx, key); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.RevokeAPIKey(ctx, actor, app.ID, k.ID); err != nil {
			t.Fatal(err)
		}
		wantRevoked(t, s, key, "next lookup")
		if got, err := s.AuthenticateAPIKey(ctx, otherKey); err != nil || got.ID != other.ID {
			t.Errorf("another key: %v, %v", got.ID, err)
		}
	})
}

// TestRevokeRacesLookup: lookups that read the key from the database while
// the revocation is under way must not leave it cached once it is
// committed. Deterministic: test hooks stop each side at the point where
// the other one must act.
func TestRevokeRacesLookup(t *testing.T) {
	// A lookup reads the key after the revocation's UPDATE but before its
	// commit, so it sees the key live. (The old code cleared the cache
	// inside the transaction, before this lookup filled it again.)
	t.Run("lookup during the revoke transaction", func(t *testing.T) {
		for _, d := range storetest.Dialects(t) {
			t.Run(d, func(t *testing.T) {
				s, other := openTwice(t, d)
				app := mustApp(t, s, "Acme")
				k, key := mustKey(t, s, app.ID)
				// Another process uses the key first: its last use is
				// recent, so the lookup below reads without writing (a write
				// would wait for the revoking transaction).
				if _, err := other.AuthenticateAPIKey(ctx, key); err != nil {
					t.Fatal(err)
				}
				var during error
				store.SetKeyTestHooks(s, func() { _, during = s.AuthenticateAPIKey(ctx, key) }, nil)
				if _, err := s.RevokeAPIKey(ctx, actor, app.ID, k.ID); err != nil {
					t.Fatal(err)
				}
				if during != nil {
					t.Fatalf("lookup during the revocation: %v (it should still see the key live)", during)
				}
				wantRevoked(t, s, key, "after the commit")
			})
		}
	})
	// A lookup reads the key before the revocation starts and stores it in
	// the cache only after the revocation has committed and cleared the
	// cache: clearing after the commit alone is not enough.
	t.Run("lookup caching after the revoke", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, s *store.Store) {
			app := mustApp(t, s, "Acme")
			k, key := mustKey(t, s, app.ID)
			read, revoked, done := make(chan struct{}), make(chan struct{}), make(chan error)
			store.SetKeyTestHooks(s, nil, func() {
				close(read)
				<-revoked
			})
			go func() {
				_, err := s.AuthenticateAPIKey(ctx, key)
				done <- err
			}()
			<-read
			store.SetKeyTestHooks(s, nil, nil)
			if _, err := s.RevokeAPIKey(ctx, actor, app.ID, k.ID); err != nil {
				t.Fatal(err)
			}
			close(revoked)
			if err := <-done; err != nil {
				t.Fatalf("the lookup that started first: %v", err)
			}
			wantRevoked(t, s, key, "after the late cache fill")
		})
	})
}

// TestRevokedKeyRefusedByOtherProcess: another store on the same database
// (another process) that has the key cached refuses it within 2 s of the
// revocation.
func TestRevokedKeyRefusedByOtherProcess(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			a, b := openTwice(t, d)
			app := mustApp(t, a, "Acme")
			k, key := mustKey(t, a, app.ID)
			if _, err := b.AuthenticateAPIKey(ctx, key); err != nil {
				t.Fatal(err)
			}
			if _, err := a.RevokeAPIKey(ctx, actor, app.ID, k.ID); err != nil {
				t.Fatal(err)
			}
			revoked := time.Now()
			wantRevoked(t, a, key, "the revoking process")
			deadline := revoked.Add(2 * time.Second)
			for {
				_, err := b.AuthenticateAPIKey(ctx, key)
				if hook.ErrorCode(err) == hook.EUNAUTHORIZED {
					t.Logf("refused by the other process after %v", time.Since(revoked).Round(time.Millisecond))
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if time.Now().After(deadline) {
					t.Fatalf("the other process still accepts the key %v after the revocation", time.Since(revoked))
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}
