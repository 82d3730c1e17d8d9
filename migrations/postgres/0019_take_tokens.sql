-- Taking tokens of a rate-limited webhook's bucket (ratelimit.go) read
-- webhooks.rate_tat, then moved it forward with a compare-and-set: two
-- round trips, each planned at every call (planning cost more than
-- running, in hookbench's policies scenario), and another pair whenever a
-- concurrent taker had moved it meanwhile. Here the same read and
-- compare-and-set run in one call whose plans are kept. As before, the row
-- is locked only when tokens are taken (by the UPDATE, until commit): an
-- empty bucket, read inside an ingestion batch's transaction, holds no
-- other writer back.
--
-- The arithmetic is takeTokensStepwise's, in microseconds: p_t between two
-- tokens, p_tau the burst's reach, p_now the time; it returns how many of
-- p_n it took and the bucket's new theoretical arrival time (the old one,
-- or p_now if later, when it took none). A deleted webhook gives all p_n
-- and NULL: the sender finds out and drops them. After 16 lost
-- compare-and-sets it takes none and says the next token is one interval
-- away, as takeTokensStepwise does.
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
    FOR i IN 1..16 LOOP
        -- Each statement of a volatile function takes a new snapshot: a
        -- second pass reads what the concurrent taker committed.
        SELECT w.rate_tat INTO tat FROM webhooks w WHERE w.id = p_webhook;
        IF NOT FOUND THEN
            taken := p_n;
            tat := NULL;
            RETURN;
        END IF;
        base := GREATEST(tat, p_now);
        -- Integer division truncates toward zero, as Go's does.
        taken := LEAST(GREATEST((p_now + p_tau + p_t - base) / p_t, 0), p_n);
        IF taken = 0 THEN
            tat := base;
            RETURN;
        END IF;
        UPDATE webhooks w SET rate_tat = base + taken * p_t WHERE w.id = p_webhook AND w.rate_tat = tat;
        IF FOUND THEN
            tat := base + taken * p_t;
            RETURN;
        END IF;
    END LOOP;
    taken := 0;
    tat := p_now + p_tau + p_t;
END
$$;
