-- A webhook's health figures (its latest attempts of the last 24 hours:
-- how many, how many succeeded, their median duration) are read from the
-- index alone: attempts_webhook carries succeeded and duration_ms after its
-- keys. Reading them from the table took one row lookup per attempt (up to
-- 2,000 per webhook), most of the webhook pages' time over a large history.
-- Still one index per attempt, two small columns wider.
DROP INDEX attempts_webhook;
CREATE INDEX attempts_webhook ON attempts (webhook_id, created_at, succeeded, duration_ms);
