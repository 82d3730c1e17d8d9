-- The chart's closed hours, counted once (Store.RollUpAttemptHours, every
-- minute) instead of on every page view: one row per webhook and hour
-- [hour, hour+1h) with attempts. app_id makes the app-wide chart one index
-- range.
CREATE TABLE attempt_hours (
    webhook_id  UUID NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    app_id      UUID NOT NULL,
    hour        TIMESTAMPTZ NOT NULL,
    succeeded   INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    PRIMARY KEY (webhook_id, hour)
);
CREATE INDEX attempt_hours_app ON attempt_hours (app_id, hour);
CREATE INDEX attempt_hours_hour ON attempt_hours (hour);

-- Which hours attempt_hours holds: every hour from since_hour up to (not
-- including) through_hour, in hours since the epoch. One row, written by
-- the first roll-up; until then every hour is read from attempts.
CREATE TABLE attempt_rollup (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    since_hour    BIGINT NOT NULL,
    through_hour  BIGINT NOT NULL
);
