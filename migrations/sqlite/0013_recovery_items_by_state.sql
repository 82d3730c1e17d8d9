-- A recovery job's queued items and its items in flight each get their own
-- partial index, in place of one index over (recovery_id, state, item_id),
-- as on PostgreSQL (where stale statistics had the planner walk every item
-- already done to find the next batch). The partial index holds only the
-- queued items, in item order, so the next ones are first however many
-- went before, and an item moving on leaves it.
DROP INDEX recovery_items_state;
CREATE INDEX recovery_items_queued ON recovery_items (recovery_id, item_id) WHERE state = 'queued';
CREATE INDEX recovery_items_inflight ON recovery_items (recovery_id, item_id) WHERE state = 'inflight';
