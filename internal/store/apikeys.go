package store

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/hookboard/hookboard/internal/hook"
)

// APIKeyPrefix starts every API key, so a leaked one is easy to recognise.
const APIKeyPrefix = "hbk_"

// APIKey is a key's record; the key itself is only ever shown at creation.
type APIKey struct {
	ID         string     `db:"id"`
	AppID      string     `db:"app_id"`
	Name       string     `db:"name"`
	Prefix     string     `db:"prefix"`
	CreatedBy  *string    `db:"created_by"`
	CreatedAt  time.Time  `db:"created_at"`
	LastUsedAt *time.Time `db:"last_used_at"`
	RevokedAt  *time.Time `db:"revoked_at"`
}

const apiKeyColumns = `id, app_id, name, prefix, created_by, created_at, last_used_at, revoked_at`

// CreateAPIKey makes a key for the app and returns it with its record. Only
// its SHA-256 is stored.
func (s *Store) CreateAPIKey(ctx context.Context, actor hook.Actor, appID, name string) (APIKey, string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return APIKey{}, "", hook.FieldErrors{{Field: "name", Message: "Enter a name that says where the key is used, for example “billing service”."}}
	case utf8.RuneCountInString(name) > hook.MaxNameLen:
		return APIKey{}, "", hook.FieldErrors{{Field: "name", Message: "Name must be at most 100 characters."}}
	}
	key := APIKeyPrefix + randomToken(24)
	k := APIKey{ID: s.newID(), AppID: appID, Name: name, Prefix: key[:len(APIKeyPrefix)+6], CreatedAt: s.now()}
	if actor.UserID != "" {
		k.CreatedBy = &actor.UserID
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO api_keys (id, app_id, name, prefix, key_hash, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			k.ID, appID, k.Name, k.Prefix, hashToken(key), k.CreatedBy, k.CreatedAt); err != nil {
			return err
		}
		return s.audit(ctx, tx, appID, actor, "api_key.create", "api_key", k.ID, k.Name+" ("+k.Prefix+"…)")
	})
	if err != nil {
		return APIKey{}, "", err
	}
	return k, key, nil
}

// ListAPIKeys returns the app's keys, newest first, revoked ones included.
func (s *Store) ListAPIKeys(ctx context.Context, appID string) ([]APIKey, error) {
	var out []APIKey
	err := s.db.SelectContext(ctx, &out, s.db.Rebind(`SELECT `+apiKeyColumns+` FROM api_keys WHERE app_id = ? ORDER BY id DESC`), appID)
	return out, err
}

// RevokeAPIKey stops a key from working.
func (s *Store) RevokeAPIKey(ctx context.Context, actor hook.Actor, appID, id string) (APIKey, error) {
	var k APIKey
	if !validID(id) {
		return k, hook.Errorf(hook.ENOTFOUND, "API key not found.")
	}
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &k, tx.Rebind(`SELECT `+apiKeyColumns+` FROM api_keys WHERE id = ? AND app_id = ?`), id, appID); err != nil {
			return notFound(err, "API key")
		}
		if k.RevokedAt != nil {
			return nil
		}
		now := s.now()
		k.RevokedAt = &now
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE api_keys SET revoked_at = ? WHERE id = ?`), now, id); err != nil {
			return err
		}
		if s.testHookRevoked != nil {
			s.testHookRevoked()
		}
		return s.audit(ctx, tx, appID, actor, "api_key.revoke", "api_key", k.ID, k.Name+" ("+k.Prefix+"…)")
	})
	// After the commit (and after a failed one too, whose outcome may be
	// unknown): a lookup that read the key before the commit must not leave
	// it cached, so the next request in this process asks the database.
	s.forgetKeys()
	return k, err
}

// forgetKeys drops every cached API key. Bumping the generation first
// invalidates the entries of lookups still in flight, which read the
// database before this call and would otherwise store what they read after
// it; clearing the map frees the rest.
func (s *Store) forgetKeys() {
	s.keyGen.Add(1)
	s.keyCache.Clear()
}

// keyCacheTTL is how long a checked API key is trusted without asking the
// database again: every ingestion carries one, so this saves a query each.
// A revocation in this process takes effect at once; in another process
// sharing the database, within this time.
const keyCacheTTL = 2 * time.Second

type cachedKey struct {
	key     APIKey
	checked time.Time // when the database was asked: the entry expires keyCacheTTL later
	gen     uint64    // Store.keyGen then; a revocation since makes the entry stale
}

// AuthenticateAPIKey returns the live key for a presented key; EUNAUTHORIZED
// when it is unknown or revoked. It notes the use (at most once a minute).
func (s *Store) AuthenticateAPIKey(ctx context.Context, key string) (APIKey, error) {
	var k APIKey
	if !strings.HasPrefix(key, APIKeyPrefix) || len(key) > 200 {
		return k, hook.Errorf(hook.EUNAUTHORIZED, "The API key is not valid.")
	}
	hash := hashToken(key)
	if v, ok := s.keyCache.Load(hash); ok {
		if c := v.(cachedKey); c.gen == s.keyGen.Load() && time.Since(c.checked) < keyCacheTTL {
			return c.key, nil
		}
	}
	// Both are taken before the query: an entry never outlives the
	// database's answer by more than keyCacheTTL, nor a revocation here.
	gen, checked := s.keyGen.Load(), time.Now()
	err := s.db.GetContext(ctx, &k, s.db.Rebind(`SELECT `+apiKeyColumns+` FROM api_keys WHERE key_hash = ?`), hash)
	if err != nil {
		if hook.ErrorCode(notFound(err, "")) == hook.ENOTFOUND {
			return k, hook.Errorf(hook.EUNAUTHORIZED, "The API key is not valid.")
		}
		return k, err
	}
	if k.RevokedAt != nil {
		return k, hook.Errorf(hook.EUNAUTHORIZED, "The API key has been revoked.")
	}
	now := s.now()
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > time.Minute {
		if _, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE api_keys SET last_used_at = ? WHERE id = ?`), now, k.ID); err != nil {
			return k, err
		}
		k.LastUsedAt = &now
	}
	if s.testHookKeyRead != nil {
		s.testHookKeyRead()
	}
	s.keyCache.Store(hash, cachedKey{key: k, checked: checked, gen: gen})
	return k, nil
}
