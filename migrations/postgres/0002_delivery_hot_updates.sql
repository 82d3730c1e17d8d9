-- Each delivery row is updated twice (claimed, then recorded). Room on the
-- page lets PostgreSQL update it in place (HOT) when no indexed column
-- changes, as with the lease. No query uses deliveries_created (retention
-- goes by events), so it only cost writes.
ALTER TABLE deliveries SET (fillfactor = 70);
DROP INDEX IF EXISTS deliveries_created;
