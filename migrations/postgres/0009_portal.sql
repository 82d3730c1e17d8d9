-- Portal links (issue 17): the product mints a single-use link with its API
-- key; opening it starts a portal session scoped to one app and a role.
-- Only SHA-256 hashes of the link and session tokens are stored.
CREATE TABLE portal_links (
    token_hash   TEXT PRIMARY KEY,
    app_id       UUID NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_label   TEXT NOT NULL,  -- who, for the audit log ("portal: <user>")
    role         TEXT NOT NULL,
    return_url   TEXT NOT NULL DEFAULT '',
    session_ttl  INTEGER NOT NULL, -- seconds the portal session lasts
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    used_at      TIMESTAMPTZ
);
CREATE INDEX portal_links_expires ON portal_links (expires_at);

CREATE TABLE portal_sessions (
    token_hash   TEXT PRIMARY KEY,
    app_id       UUID NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    user_label   TEXT NOT NULL,
    role         TEXT NOT NULL,
    return_url   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX portal_sessions_app ON portal_sessions (app_id);
CREATE INDEX portal_sessions_expires ON portal_sessions (expires_at);

-- Branding the portal's header shows; empty: Hookboard's own.
ALTER TABLE apps ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN accent_color TEXT NOT NULL DEFAULT '';
ALTER TABLE apps ADD COLUMN logo_url TEXT NOT NULL DEFAULT '';
