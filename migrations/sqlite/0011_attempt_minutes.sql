-- The chart's attempts per webhook and minute, counted as they are recorded
-- (in the same transaction), so the overview and a webhook's page read a row
-- per webhook and minute for the hours attempt_hours does not hold yet,
-- instead of every attempt of them (1.5 s for the overview with 1,000,000
-- attempts in the last hour).
CREATE TABLE attempt_minutes (
    webhook_id  TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    minute      BIGINT NOT NULL, -- minutes since the epoch of the attempts' start
    succeeded   INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    PRIMARY KEY (webhook_id, minute)
);
-- Minutes rolled up into attempt_hours a day ago are dropped by minute.
CREATE INDEX attempt_minutes_minute ON attempt_minutes (minute);

-- The first minute attempt_minutes counts whole (one row, written when the
-- store opens: the next minute). Earlier minutes are read from attempts.
-- Processes of an older version on the same database record attempts
-- without counting them, so upgrade them all at once.
CREATE TABLE attempt_minutes_since (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    minute  BIGINT NOT NULL
);
