-- A FIFO webhook's chain runs one step per attempt: recording the head's
-- attempt promotes the next delivery, and ingestion looks whether the head
-- is still under way. Sent as statements with arguments, both were parsed
-- and planned at every step, and planning cost PostgreSQL two to six times
-- what running them did (about 1 ms a step in hookbench's policies
-- scenario, with deliveries' eight indexes to weigh). As functions, their
-- statements are planned once per session (plan_cache_mode), and the
-- promotion takes its lock in the same round trip.
--
-- A plan kept from the first call is made without the arguments, on the
-- table as it was then: the enable_* settings, as in 0017, leave the
-- planner one way whatever the statistics, by primary key and by
-- deliveries_parked (TestFIFOStepsNeverScanDeliveries).

-- Whether the webhook's head is pending or waiting for a retry (read
-- without a lock, in the caller's snapshot).
CREATE FUNCTION hookboard_fifo_head_live(p_webhook UUID) RETURNS BOOLEAN
LANGUAGE plpgsql
STABLE
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM webhooks w JOIN deliveries h ON h.id = w.fifo_head
        WHERE w.id = p_webhook AND h.status IN ('pending', 'retrying') AND h.next_attempt_at IS NOT NULL);
END
$$;

-- Promotes the webhook's next parked delivery, in event order, unless its
-- head is still pending or waiting for a retry: due since it was created
-- (p_owner NULL), or stored leased to p_owner until p_until and returned
-- with its event's payload. Returns no row when nothing was promoted (not
-- a FIFO webhook, the head under way, nothing waiting).
--
-- The first UPDATE locks the webhook's row, so two processes never promote
-- two heads. Each statement of a volatile function takes a new snapshot:
-- the second sees the head that the lock's last holder promoted.
CREATE FUNCTION hookboard_fifo_promote(p_webhook UUID, p_now TIMESTAMPTZ, p_owner TEXT, p_until TIMESTAMPTZ)
RETURNS TABLE (id UUID, app_id UUID, webhook_id UUID, event_id UUID, event_type TEXT, status TEXT,
    attempts INTEGER, automatic_attempts INTEGER, next_attempt_at TIMESTAMPTZ, last_attempt_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ, payload BYTEA)
LANGUAGE plpgsql
VOLATILE
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
BEGIN
    UPDATE webhooks SET fifo_head = fifo_head WHERE webhooks.id = p_webhook AND webhooks.ordering = 'fifo';
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- Leased (p_owner set): stored leased and returned with its payload;
    -- else only made due, its lease and payload left alone.
    RETURN QUERY
    WITH head AS (
        SELECT 1 FROM webhooks w JOIN deliveries h ON h.id = w.fifo_head
        WHERE w.id = p_webhook AND h.status IN ('pending', 'retrying') AND h.next_attempt_at IS NOT NULL
    ), next AS (
        SELECT p.id, p.created_at FROM deliveries p
        WHERE p.webhook_id = p_webhook AND p.next_attempt_at IS NULL AND p.status IN ('pending', 'retrying')
            AND p.lease_owner = '' AND NOT EXISTS (SELECT 1 FROM head)
        ORDER BY p.created_at, p.event_id LIMIT 1
    ), moved AS (
        UPDATE webhooks SET fifo_head = (SELECT n.id FROM next n)
        WHERE webhooks.id = p_webhook AND NOT EXISTS (SELECT 1 FROM head)
    )
    UPDATE deliveries d SET next_attempt_at = LEAST(n.created_at, p_now),
        lease_owner = COALESCE(p_owner, d.lease_owner),
        lease_until = CASE WHEN p_owner IS NULL THEN d.lease_until ELSE p_until END,
        updated_at = CASE WHEN p_owner IS NULL THEN d.updated_at ELSE p_now END
    FROM next n, events e WHERE d.id = n.id AND e.id = d.event_id
    RETURNING d.id, d.app_id, d.webhook_id, d.event_id, d.event_type, d.status, d.attempts,
        d.automatic_attempts, d.next_attempt_at, d.last_attempt_at, d.created_at, d.updated_at,
        CASE WHEN p_owner IS NULL THEN NULL ELSE e.payload END;
END
$$;
