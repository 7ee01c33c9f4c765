-- Roll-ups (see migrations/postgres for the commented PostgreSQL twin). Buckets are the
-- start of the UTC hour or day, in unix milliseconds. WITHOUT ROWID: rows are stored in
-- (task_id, bucket) order, so one task's recent buckets are read from adjacent pages.

CREATE TABLE argos_rollups_hourly (
    task_id     INTEGER NOT NULL REFERENCES argos_tasks (id) ON DELETE CASCADE,
    bucket      INTEGER NOT NULL,
    checks      INTEGER NOT NULL,
    ok          INTEGER NOT NULL,
    timed       INTEGER NOT NULL,
    elapsed_sum REAL NOT NULL,
    elapsed_max REAL NOT NULL,
    PRIMARY KEY (task_id, bucket)
) WITHOUT ROWID;
CREATE INDEX argos_rollups_hourly_bucket ON argos_rollups_hourly (bucket);

CREATE TABLE argos_rollups_daily (
    task_id     INTEGER NOT NULL REFERENCES argos_tasks (id) ON DELETE CASCADE,
    bucket      INTEGER NOT NULL,
    checks      INTEGER NOT NULL,
    ok          INTEGER NOT NULL,
    timed       INTEGER NOT NULL,
    elapsed_sum REAL NOT NULL,
    elapsed_max REAL NOT NULL,
    PRIMARY KEY (task_id, bucket)
) WITHOUT ROWID;
CREATE INDEX argos_rollups_daily_bucket ON argos_rollups_daily (bucket);
