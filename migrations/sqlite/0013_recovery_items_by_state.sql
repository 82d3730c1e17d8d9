-- A recovery job's queued items and its items in flight each get their own
-- partial index, in place of one index over (recovery_id, state, item_id),
-- as on PostgreSQL (where the planner, without statistics, read all of a
-- job's queued items for every batch it took). The partial index keeps the
-- next queued items first in item order, and an item moving on leaves it.
DROP INDEX recovery_items_state;
CREATE INDEX recovery_items_queued ON recovery_items (recovery_id, item_id) WHERE state = 'queued';
CREATE INDEX recovery_items_inflight ON recovery_items (recovery_id, item_id) WHERE state = 'inflight';
