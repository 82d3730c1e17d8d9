-- hookboard_record_outcomes (0017) was meant to be planned once per
-- session, but PL/pgSQL keeps a plan only once the generic one looks no
-- dearer than the custom ones it made so far. Its UPDATE's generic plan
-- counts on a hundred outcomes (unnest of an array it cannot see), a
-- custom plan on the batch's few: the generic one always looked dearer,
-- so the UPDATE was planned again at every batch. pg_stat_statements, at
-- hookbench's 500 events a second: 9,418 batches, 1,481 ms planning it
-- against 1,826 ms running it.
--
-- The SET clauses of 0017 leave the planner one way whatever the
-- arguments (a lookup by primary key per outcome), so the generic plan is
-- the custom one: keep it from the first call, as the later functions do.
ALTER FUNCTION hookboard_record_outcomes(UUID[], TEXT[], TIMESTAMPTZ[], TIMESTAMPTZ[], INTEGER[], TIMESTAMPTZ, TEXT)
    SET plan_cache_mode = force_generic_plan;
