-- A recovery job's queued items and its items in flight each get their own
-- partial index, in place of one index over (recovery_id, state, item_id).
-- A job's items go in at once; the runner analyzes the table when it claims
-- the job (without statistics the planner guessed two queued items and read
-- all 100,000 of a job's to move each batch in flight). Those statistics
-- then go stale as the job moves on: still counting every item queued, the
-- planner found the next batch by walking the job's items in key order past
-- every one already done. The partial index holds only the queued items, in
-- item order, so the next ones are first however many went before, and an
-- item moving on leaves it.
DROP INDEX recovery_items_state;
CREATE INDEX recovery_items_queued ON recovery_items (recovery_id, item_id) WHERE state = 'queued';
CREATE INDEX recovery_items_inflight ON recovery_items (recovery_id, item_id) WHERE state = 'inflight';
