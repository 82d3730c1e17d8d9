-- Retention finds old events by their id (a UUIDv7 of the store's clock,
-- as the event log's and recovery's time ranges do), not by created_at:
-- the index over events (created_at) served only retention, and every
-- ingested event paid for an entry in it.
DROP INDEX IF EXISTS events_created;
