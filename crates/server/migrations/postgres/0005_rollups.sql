-- Roll-ups (issue 7): per task, the results of each hour and of each day, counted and timed,
-- so that the uptime figures and the response-time chart of the domain page never read
-- argos_results. Ingest adds each batch to them (one upsert per table); the maintenance loop
-- deletes buckets older than general.rollups (hourly: 30 days, daily: a year by default).

CREATE TABLE argos_rollups_hourly (
    task_id     BIGINT NOT NULL REFERENCES argos_tasks (id) ON DELETE CASCADE,
    -- Start of the UTC hour.
    bucket      TIMESTAMPTZ NOT NULL,
    -- Results in the bucket, and how many of them were ok.
    checks      INTEGER NOT NULL,
    ok          INTEGER NOT NULL,
    -- Results that carried a response time, the sum and the maximum of those times (ms;
    -- 0 when timed is 0).
    timed       INTEGER NOT NULL,
    elapsed_sum DOUBLE PRECISION NOT NULL,
    elapsed_max DOUBLE PRECISION NOT NULL,
    -- Uptime and chart read one task's (or one domain's tasks') recent buckets.
    PRIMARY KEY (task_id, bucket)
-- A bucket is rewritten at every result of its task in that hour (or day): room on each page
-- keeps those updates HOT (no new index entries).
) WITH (fillfactor = 70);
-- Retention: the oldest buckets of every task.
CREATE INDEX argos_rollups_hourly_bucket ON argos_rollups_hourly (bucket);

-- The same per UTC day.
CREATE TABLE argos_rollups_daily (
    task_id     BIGINT NOT NULL REFERENCES argos_tasks (id) ON DELETE CASCADE,
    bucket      TIMESTAMPTZ NOT NULL,
    checks      INTEGER NOT NULL,
    ok          INTEGER NOT NULL,
    timed       INTEGER NOT NULL,
    elapsed_sum DOUBLE PRECISION NOT NULL,
    elapsed_max DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (task_id, bucket)
) WITH (fillfactor = 70);
CREATE INDEX argos_rollups_daily_bucket ON argos_rollups_daily (bucket);
