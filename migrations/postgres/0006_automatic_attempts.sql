-- The retry schedule counts automatic attempts only: a manual resend must
-- never use it up (seven failed resends used to make the next automatic
-- failure final). `attempts` stays the count of every attempt, for the
-- dashboard and the API.
ALTER TABLE deliveries ADD COLUMN automatic_attempts INTEGER NOT NULL DEFAULT 0;
-- Only deliveries still on the schedule need the true count; the others
-- are never retried automatically again.
UPDATE deliveries d SET automatic_attempts = (
    SELECT COUNT(*) FROM attempts a WHERE a.delivery_id = d.id AND a.trigger_type = 'automatic'
) WHERE d.status IN ('pending', 'retrying') AND d.attempts > 0;
