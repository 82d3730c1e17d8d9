-- An Idempotency-Key reused with a different request is a client bug, not
-- a retry: keep a hash of the first request to tell the two apart.
ALTER TABLE idempotency_keys ADD COLUMN request_hash TEXT NOT NULL DEFAULT '';
