-- Taking tokens of a rate-limited webhook's bucket (ratelimit.go) read
-- webhooks.rate_tat, then moved it forward with a compare-and-set: two
-- round trips, each planned at every call (planning cost more than
-- running, in hookbench's policies scenario), and a third pair whenever
-- another process had moved it meanwhile. Here it is one call whose plans
-- are kept. The row is locked as it is read, so a concurrent taker waits
-- for this one's transaction, as it waited for the compare-and-set's
-- UPDATE, and then reads what it left.
--
-- The arithmetic is takeTokensStepwise's, in microseconds: p_t between two
-- tokens, p_tau the burst's reach, p_now the time; it returns how many of
-- p_n it took and the bucket's new theoretical arrival time (the old one,
-- or p_now if later, when it took none). A deleted webhook gives all p_n
-- and NULL: the sender finds out and drops them.
CREATE FUNCTION hookboard_take_tokens(p_webhook UUID, p_t BIGINT, p_tau BIGINT, p_n BIGINT, p_now BIGINT,
    OUT taken BIGINT, OUT tat BIGINT)
LANGUAGE plpgsql
VOLATILE
SET enable_seqscan = off
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    base BIGINT;
BEGIN
    SELECT w.rate_tat INTO tat FROM webhooks w WHERE w.id = p_webhook FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        taken := p_n;
        tat := NULL;
        RETURN;
    END IF;
    base := GREATEST(tat, p_now);
    -- Integer division truncates toward zero, as Go's does.
    taken := LEAST(GREATEST((p_now + p_tau + p_t - base) / p_t, 0), p_n);
    tat := base + taken * p_t;
    IF taken > 0 THEN
        UPDATE webhooks SET rate_tat = tat WHERE id = p_webhook;
    END IF;
END
$$;
