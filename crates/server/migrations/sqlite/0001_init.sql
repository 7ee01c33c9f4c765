-- Argos tables (see migrations/postgres for the commented PostgreSQL twin).
-- Times are INTEGER unix milliseconds (UTC), so comparisons and indexes are numeric.
-- AUTOINCREMENT: ids are never reused, so a bookmarked /task/<id> never shows another task.

CREATE TABLE argos_tasks (
    id                          INTEGER PRIMARY KEY AUTOINCREMENT,
    task_key                    TEXT NOT NULL UNIQUE,
    task_group                  TEXT NOT NULL,
    domain                      TEXT NOT NULL,
    netloc                      TEXT NOT NULL,
    url                         TEXT NOT NULL,
    method                      TEXT NOT NULL,
    request_data                TEXT,
    check_name                  TEXT NOT NULL,
    expected                    TEXT NOT NULL,
    ip_version                  TEXT NOT NULL CHECK (ip_version IN ('4', '6')),
    frequency_s                 REAL NOT NULL CHECK (frequency_s > 0),
    recheck_delay_s             REAL,
    retry_before_notification   INTEGER NOT NULL DEFAULT 0,
    add_alerts_recipients       TEXT,
    overwrite_alerts_recipients TEXT,
    severity                    TEXT NOT NULL DEFAULT 'unknown'
                                CHECK (severity IN ('ok', 'warning', 'critical', 'unknown')),
    already_retried             INTEGER NOT NULL DEFAULT 0 CHECK (already_retried IN (0, 1)),
    contiguous_failures         INTEGER NOT NULL DEFAULT 0,
    next_run                    INTEGER NOT NULL,
    leased_by                   TEXT,
    lease_until                 INTEGER,
    last_result_id              INTEGER,
    last_status                 TEXT CHECK (last_status IN ('success', 'failure', 'error', 'on-check')),
    last_run                    INTEGER,
    last_elapsed_ms             REAL,
    created_at                  INTEGER NOT NULL
);
CREATE INDEX argos_tasks_next_run ON argos_tasks (next_run, id);
CREATE INDEX argos_tasks_task_group ON argos_tasks (task_group);
CREATE INDEX argos_tasks_netloc ON argos_tasks (netloc, url);
CREATE INDEX argos_tasks_severity ON argos_tasks (severity);
CREATE INDEX argos_tasks_lease_until ON argos_tasks (lease_until) WHERE lease_until IS NOT NULL;

CREATE TABLE argos_results (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id      INTEGER NOT NULL REFERENCES argos_tasks (id) ON DELETE CASCADE,
    agent_id     TEXT,
    submitted_at INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('success', 'failure', 'error', 'on-check')),
    severity     TEXT NOT NULL CHECK (severity IN ('ok', 'warning', 'critical', 'unknown')),
    -- JSON text.
    context      TEXT NOT NULL,
    elapsed_ms   REAL
);
CREATE INDEX argos_results_task ON argos_results (task_id, id DESC);
CREATE INDEX argos_results_submitted_at ON argos_results (submitted_at);

CREATE TABLE argos_agents (
    name        TEXT PRIMARY KEY,
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    last_result INTEGER
);
