-- A task's due time and lease in a narrow table (see migrations/postgres for the commented
-- twin): leases and results rewrite a small row with two indexes, not the wide task row.
CREATE TABLE argos_task_runs (
    task_id     INTEGER PRIMARY KEY REFERENCES argos_tasks (id) ON DELETE CASCADE,
    next_run    INTEGER NOT NULL,
    scheduled   INTEGER NOT NULL,
    leased_by   TEXT,
    lease_until INTEGER,
    lease_id    TEXT
);
INSERT INTO argos_task_runs (task_id, next_run, scheduled, leased_by, lease_until, lease_id)
SELECT id, CASE WHEN lease_until > next_run THEN lease_until ELSE next_run END, next_run,
       leased_by, lease_until, lease_id
FROM argos_tasks;
CREATE INDEX argos_task_runs_next_run ON argos_task_runs (next_run, task_id);

DROP INDEX argos_tasks_next_run;
DROP INDEX argos_tasks_lease_until;
ALTER TABLE argos_tasks DROP COLUMN next_run;
ALTER TABLE argos_tasks DROP COLUMN leased_by;
ALTER TABLE argos_tasks DROP COLUMN lease_until;
ALTER TABLE argos_tasks DROP COLUMN lease_id;
