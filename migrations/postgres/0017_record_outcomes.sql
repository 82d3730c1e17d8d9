-- Recording a batch of attempts applies their outcomes to their deliveries
-- in one statement. Sent as an UPDATE joined to a VALUES list, it was
-- parsed and planned at every batch, its text changing with the batch's
-- size: planning it took about a tenth of what running it did. Here its
-- text is one for every batch, and PL/pgSQL keeps its plan for the
-- session. A kept plan is made without the arrays (and again only when
-- the table is analyzed), so on an empty or unanalyzed table it would scan
-- the whole of deliveries for good; the SET clauses leave the planner one
-- way, a lookup by primary key per outcome, right at any size.
CREATE FUNCTION hookboard_record_outcomes(p_ids UUID[], p_statuses TEXT[], p_next TIMESTAMPTZ[],
    p_last TIMESTAMPTZ[], p_auto INTEGER[], p_at TIMESTAMPTZ, p_owner TEXT)
RETURNS SETOF UUID
LANGUAGE plpgsql
VOLATILE
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
BEGIN
    RETURN QUERY
    UPDATE deliveries d SET status = v.status, attempts = d.attempts + 1,
        automatic_attempts = d.automatic_attempts + v.auto, next_attempt_at = v.next_at,
        last_attempt_at = v.last_at, lease_owner = '', lease_until = NULL, updated_at = p_at
    FROM unnest(p_ids, p_statuses, p_next, p_last, p_auto) AS v(id, status, next_at, last_at, auto)
    WHERE d.id = v.id AND d.lease_owner = p_owner
    RETURNING d.id;
END
$$;
