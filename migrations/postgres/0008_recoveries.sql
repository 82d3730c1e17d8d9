-- Outage recovery (issue 16): a recovery job resends a webhook's failed
-- deliveries (recover), those matching an event-log filter (bulk-resend),
-- or creates and sends the deliveries a webhook never had (replay). A job
-- is durable work: its row is leased like a delivery, and each item it
-- covers is snapshotted at the start with its own state, so a job resumes
-- where it was on whichever process takes it, and never sends an item
-- twice (an item is marked in flight, committed, before its request).

-- The attempts a job makes carry trigger 'recovery'.
ALTER TABLE attempts DROP CONSTRAINT attempts_trigger_type_check;
ALTER TABLE attempts ADD CONSTRAINT attempts_trigger_type_check
    CHECK (trigger_type IN ('automatic', 'manual', 'test', 'recovery'));

CREATE TABLE recoveries (
    id             UUID PRIMARY KEY,
    app_id         UUID NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    kind           TEXT NOT NULL CHECK (kind IN ('recover', 'bulk-resend', 'replay')),
    status         TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'cancelled', 'failed')),
    -- What the job covers, as asked (the items below are the snapshot).
    webhook_id     UUID,      -- recover and replay; bulk-resend when filtered by webhook
    since_time     TIMESTAMPTZ, -- recover and replay
    until_time     TIMESTAMPTZ, -- recover, optional
    filter_status  TEXT NOT NULL DEFAULT '', -- bulk-resend: '', failed or retrying
    event_type     TEXT NOT NULL DEFAULT '', -- bulk-resend
    from_time      TIMESTAMPTZ, -- bulk-resend
    to_time        TIMESTAMPTZ, -- bulk-resend
    rate           INTEGER NOT NULL, -- requests per second to each webhook
    total          INTEGER NOT NULL DEFAULT 0,
    sent           INTEGER NOT NULL DEFAULT 0, -- requests made and recorded
    succeeded      INTEGER NOT NULL DEFAULT 0,
    failed         INTEGER NOT NULL DEFAULT 0, -- interrupted ones included
    skipped        INTEGER NOT NULL DEFAULT 0,
    interrupted    INTEGER NOT NULL DEFAULT 0, -- in flight when their process died: not sent again
    error          TEXT NOT NULL DEFAULT '',
    started_by     TEXT NOT NULL, -- actor label, kept after the user goes
    started_by_id  UUID REFERENCES users (id) ON DELETE SET NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    started_at     TIMESTAMPTZ,
    finished_at    TIMESTAMPTZ,
    lease_owner    TEXT NOT NULL DEFAULT '',
    lease_until    TIMESTAMPTZ
);
CREATE INDEX recoveries_app ON recoveries (app_id, id DESC);
CREATE INDEX recoveries_open ON recoveries (created_at) WHERE status IN ('queued', 'running');

-- The webhooks a job sends to; "active" while the job is queued or running.
-- The unique index makes one open job per webhook a rule of the database.
CREATE TABLE recovery_webhooks (
    recovery_id  UUID NOT NULL REFERENCES recoveries (id) ON DELETE CASCADE,
    webhook_id   UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    active       BOOLEAN NOT NULL,
    PRIMARY KEY (recovery_id, webhook_id)
);
CREATE UNIQUE INDEX recovery_webhooks_active ON recovery_webhooks (webhook_id) WHERE active;

-- One row per delivery the job resends (item_id = the delivery) or, for a
-- replay, per event it delivers (item_id = the event; delivery_id is set
-- when the delivery is created). Items go queued → inflight (committed
-- before the request) → succeeded | failed, or queued → skipped; an item
-- found in flight when a job is taken over is "interrupted" and never sent
-- again. No foreign key to deliveries: retention may delete them, and the
-- job's record stays.
CREATE TABLE recovery_items (
    recovery_id  UUID NOT NULL REFERENCES recoveries (id) ON DELETE CASCADE,
    item_id      UUID NOT NULL,
    delivery_id  UUID,
    event_id     UUID NOT NULL,
    webhook_id   UUID NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'inflight', 'succeeded', 'failed', 'skipped', 'interrupted')),
    detail       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (recovery_id, item_id)
);
CREATE INDEX recovery_items_state ON recovery_items (recovery_id, state, item_id);
