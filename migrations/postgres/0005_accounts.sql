-- A password someone else set (a new member's one-time password, `hookboard
-- user add`, `hookboard user passwd`) must be changed at the next sign-in.
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;

-- What the Account page shows about each session: when it was last used,
-- and from which browser and address it was started.
ALTER TABLE sessions ADD COLUMN last_seen_at TIMESTAMPTZ;
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN client_ip TEXT NOT NULL DEFAULT '';
UPDATE sessions SET last_seen_at = created_at;
