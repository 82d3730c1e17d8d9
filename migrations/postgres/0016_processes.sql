-- The processes that send from this database: each beats every few seconds
-- under its sender's lease owner (Store.Beat), and counts the others that
-- beat lately to share the database's writers with them (two ingestion
-- writers and two recorders in all, not two per process), so that their
-- batches stay large. A row that stops beating is ignored, then deleted.
CREATE TABLE processes (
    owner    TEXT PRIMARY KEY,
    beat_at  TIMESTAMPTZ NOT NULL
);
