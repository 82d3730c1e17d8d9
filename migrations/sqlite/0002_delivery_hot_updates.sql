-- No query uses deliveries_created (retention goes by events), so it only
-- cost writes. (PostgreSQL also gets a fillfactor here; SQLite has none.)
DROP INDEX IF EXISTS deliveries_created;
