-- A webhook's health figures (its latest attempts of the last 24 hours:
-- how many, how many succeeded, their median duration) are read from the
-- index alone (an index-only scan): attempts_webhook includes succeeded and
-- duration_ms. Reading them from the table took one heap fetch per attempt
-- (up to 2,000 per webhook). Still one index per attempt.
DROP INDEX attempts_webhook;
CREATE INDEX attempts_webhook ON attempts (webhook_id, created_at) INCLUDE (succeeded, duration_ms);
