-- Issue 8: the hot, frequently written state of a task (when it is due, who leases it) moves
-- to a narrow table of its own. A lease and a result each rewrite this small row instead of
-- the wide task row with its six indexes; the task row then changes once per check (its
-- latest result), and only in columns no index covers while the severity stays the same,
-- so PostgreSQL can update it in place (HOT) given room on its page (fillfactor).
--
-- next_run: when the task is due for leasing. A lease sets it to the lease's end, so that a
-- poll's scan of the due range never walks past tasks out with agents, and an expired lease
-- makes its task due again by itself. scheduled: the slot of the fixed-rate schedule the
-- task is in (what lateness is measured from), which a lease leaves alone.
CREATE TABLE argos_task_runs (
    task_id     BIGINT PRIMARY KEY REFERENCES argos_tasks (id) ON DELETE CASCADE,
    next_run    TIMESTAMPTZ NOT NULL,
    scheduled   TIMESTAMPTZ NOT NULL,
    leased_by   TEXT,
    lease_until TIMESTAMPTZ,
    lease_id    TEXT
) WITH (fillfactor = 80);
INSERT INTO argos_task_runs (task_id, next_run, scheduled, leased_by, lease_until, lease_id)
SELECT id, CASE WHEN lease_until > next_run THEN lease_until ELSE next_run END, next_run,
       leased_by, lease_until, lease_id
FROM argos_tasks;
-- lease, waiting_count, oldest_waiting: the due range.
CREATE INDEX argos_task_runs_next_run ON argos_task_runs (next_run, task_id);

DROP INDEX argos_tasks_next_run;
DROP INDEX argos_tasks_lease_until;
ALTER TABLE argos_tasks DROP COLUMN next_run, DROP COLUMN leased_by, DROP COLUMN lease_until,
    DROP COLUMN lease_id;
-- Room for in-place (HOT) updates of a task's latest result; applies to pages written from
-- now on (a VACUUM FULL applies it to the existing ones).
ALTER TABLE argos_tasks SET (fillfactor = 70);
