-- The sender's claim leases the due deliveries and returns them with their
-- payloads. Sent as a statement with arguments, it was planned at every
-- claim, and so was hookboard_due_deliveries inside it (a SQL function
-- with SET clauses is never inlined, and its plan lasts one call):
-- pg_stat_statements counted 0.25 to 0.9 ms of planning a claim, more than
-- running it took. As one PL/pgSQL function its statement is planned once
-- per session (plan_cache_mode).
--
-- A plan kept from the first call is made without the arguments, on the
-- table as it was then. The SET clauses leave the planner one way whatever
-- the statistics: the due ids in order down deliveries_due (never a bitmap,
-- 0004 says why), then each delivery and its event by primary key
-- (TestClaimKeepsToTheDueIndex).
--
-- hookboard_due_deliveries stays for processes of the previous version
-- still running beside this one.
CREATE FUNCTION hookboard_claim(p_owner TEXT, p_until TIMESTAMPTZ, p_now TIMESTAMPTZ, p_limit INTEGER, p_skip UUID[])
RETURNS TABLE (id UUID, app_id UUID, webhook_id UUID, event_id UUID, event_type TEXT, status TEXT,
    attempts INTEGER, automatic_attempts INTEGER, next_attempt_at TIMESTAMPTZ, last_attempt_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ, payload BYTEA)
LANGUAGE plpgsql
VOLATILE
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET plan_cache_mode = force_generic_plan
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    UPDATE deliveries d SET lease_owner = p_owner, lease_until = p_until, updated_at = p_now
    FROM events e
    WHERE e.id = d.event_id AND d.id = ANY (ARRAY(
        SELECT q.id FROM deliveries q
        WHERE q.status IN ('pending', 'retrying') AND q.next_attempt_at <= p_now
            AND (q.lease_until IS NULL OR q.lease_until < p_now)
            AND q.webhook_id <> ALL (p_skip)
        ORDER BY q.next_attempt_at
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED))
    RETURNING d.id, d.app_id, d.webhook_id, d.event_id, d.event_type, d.status, d.attempts,
        d.automatic_attempts, d.next_attempt_at, d.last_attempt_at, d.created_at, d.updated_at, e.payload;
END
$$;
