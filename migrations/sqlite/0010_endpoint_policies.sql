-- Endpoint policies (issue 18): a webhook's pace, its own request headers
-- and its ordering.
-- rate_limit: requests per second, NULL for no limit.
ALTER TABLE webhooks ADD COLUMN rate_limit INTEGER;
-- The limit's state, shared by every process: the theoretical arrival time
-- of the next request (GCRA), in microseconds since the epoch. Claims move
-- it forward with a compare-and-set.
ALTER TABLE webhooks ADD COLUMN rate_tat BIGINT NOT NULL DEFAULT 0;
-- Custom request headers: JSON [{"name","value"}], AES-256-GCM sealed like
-- auth_secret (the values are credentials). NULL for none.
ALTER TABLE webhooks ADD COLUMN custom_headers BLOB;
-- Their names, newline-separated, in clear: pages list them without
-- opening the values.
ALTER TABLE webhooks ADD COLUMN custom_header_names TEXT NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN ordering TEXT NOT NULL DEFAULT 'none' CHECK (ordering IN ('none', 'fifo'));
-- FIFO: the one delivery that may be due (the head); the others wait with
-- no next_attempt_at (parked) until the head succeeds or fails for good.
ALTER TABLE webhooks ADD COLUMN fifo_head TEXT;
CREATE INDEX webhooks_fifo ON webhooks (id) WHERE ordering = 'fifo';
-- The parked deliveries of FIFO webhooks in event order. Other deliveries
-- always have a next_attempt_at while pending, so they never enter it.
CREATE INDEX deliveries_parked ON deliveries (webhook_id, created_at, event_id)
    WHERE next_attempt_at IS NULL AND status IN ('pending', 'retrying');
