-- The whole data model. Later features add code, not tables.

CREATE TABLE apps (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX apps_name_key ON apps (lower(name));

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE memberships (
    app_id      TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'support')),
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (app_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- Server-side sign-in sessions: the cookie carries a random token, the row
-- holds its SHA-256, so signing out or expiry ends the session for real.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Failed sign-ins, for throttling per account and per client address.
CREATE TABLE login_failures (
    id          TEXT PRIMARY KEY,
    email       TEXT NOT NULL,
    client_ip   TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, created_at);
CREATE INDEX login_failures_ip ON login_failures (client_ip, created_at);

CREATE TABLE event_types (
    app_id       TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    example      TEXT NOT NULL DEFAULT '',
    archived_at  TIMESTAMP,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (app_id, name)
);

CREATE TABLE webhooks (
    id               TEXT PRIMARY KEY,
    app_id           TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    url              TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    active           BOOLEAN NOT NULL,
    auth_type        TEXT NOT NULL CHECK (auth_type IN ('none', 'basic', 'api_key')),
    auth_username    TEXT NOT NULL DEFAULT '',
    auth_header      TEXT NOT NULL DEFAULT '',
    -- Basic password or API-key value, AES-256-GCM sealed.
    auth_secret      BLOB,
    disabled_reason  TEXT NOT NULL DEFAULT '',
    -- Start of the current unbroken run of failed attempts (NULL when the
    -- latest attempt succeeded): the 5-day auto-disable reads it.
    failing_since    TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX webhooks_app_name_key ON webhooks (app_id, lower(name));

CREATE TABLE webhook_event_types (
    webhook_id  TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_type  TEXT NOT NULL,
    PRIMARY KEY (webhook_id, event_type)
);
CREATE INDEX webhook_event_types_type ON webhook_event_types (event_type);

CREATE TABLE signing_secrets (
    id          TEXT PRIMARY KEY,
    webhook_id  TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    secret      BLOB NOT NULL, -- AES-256-GCM sealed "whsec_…"
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP      -- NULL for the current secret
);
CREATE INDEX signing_secrets_webhook ON signing_secrets (webhook_id, id DESC);

CREATE TABLE events (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    event_type  TEXT NOT NULL,
    payload     BLOB NOT NULL, -- the bytes the product sent, never re-encoded
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX events_app ON events (app_id, id DESC);
CREATE INDEX events_created ON events (created_at);

CREATE TABLE idempotency_keys (
    app_id      TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    idem_key    TEXT NOT NULL,
    event_id    TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (app_id, idem_key)
);

CREATE TABLE deliveries (
    id               TEXT PRIMARY KEY,
    app_id           TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id         TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL, -- copied from the event so list filters stay on one index
    status           TEXT NOT NULL CHECK (status IN ('pending', 'retrying', 'succeeded', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP,
    lease_owner      TEXT NOT NULL DEFAULT '',
    lease_until      TIMESTAMP,
    last_attempt_at  TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL
);
CREATE INDEX deliveries_app ON deliveries (app_id, id DESC);
CREATE INDEX deliveries_app_status ON deliveries (app_id, status, id DESC);
CREATE INDEX deliveries_app_type ON deliveries (app_id, event_type, id DESC);
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, id DESC);
CREATE INDEX deliveries_webhook_status ON deliveries (webhook_id, status, id DESC);
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at)
    WHERE status IN ('pending', 'retrying');
CREATE INDEX deliveries_created ON deliveries (created_at);

CREATE TABLE attempts (
    id                  TEXT PRIMARY KEY,
    delivery_id         TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    webhook_id          TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    trigger_type        TEXT NOT NULL CHECK (trigger_type IN ('automatic', 'manual', 'test')),
    succeeded           BOOLEAN NOT NULL,
    request_url         TEXT NOT NULL,
    request_headers     TEXT NOT NULL, -- JSON, secrets masked
    response_status     INTEGER,
    response_headers    TEXT NOT NULL DEFAULT '',
    response_body       BLOB,
    response_truncated  BOOLEAN NOT NULL DEFAULT 0,
    duration_ms         INTEGER NOT NULL,
    error               TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMP NOT NULL
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, id DESC);
CREATE INDEX attempts_webhook ON attempts (webhook_id, created_at);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    app_id        TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE, -- SHA-256 of the full key
    created_by    TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at    TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP,
    revoked_at    TIMESTAMP
);
CREATE INDEX api_keys_app ON api_keys (app_id, id DESC);

CREATE TABLE audit_entries (
    id           TEXT PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    actor_id     TEXT REFERENCES users (id) ON DELETE SET NULL,
    actor        TEXT NOT NULL, -- e-mail or "api key <prefix>", kept after the user goes
    action       TEXT NOT NULL,
    object_type  TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    detail       TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX audit_entries_app ON audit_entries (app_id, id DESC);
