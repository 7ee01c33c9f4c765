-- Alerting (see migrations/postgres for the commented twin). Times are unix milliseconds.
ALTER TABLE argos_tasks ADD COLUMN alert_state TEXT;

CREATE TABLE argos_alerts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    task_id     INTEGER REFERENCES argos_tasks (id) ON DELETE SET NULL,
    result_id   INTEGER,
    netloc      TEXT,
    url         TEXT,
    check_name  TEXT,
    ip_version  TEXT,
    previous    TEXT,
    severity    TEXT NOT NULL,
    since       INTEGER NOT NULL,
    detail      TEXT
);
CREATE INDEX argos_alerts_task ON argos_alerts (task_id, id DESC) WHERE task_id IS NOT NULL;

CREATE TABLE argos_alert_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id        INTEGER NOT NULL REFERENCES argos_alerts (id) ON DELETE CASCADE,
    channel         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_by      TEXT,
    claimed_until   INTEGER,
    done_targets    TEXT,
    last_error      TEXT,
    sent_at         INTEGER
);
CREATE INDEX argos_alert_deliveries_due ON argos_alert_deliveries (next_attempt_at, id)
    WHERE status = 'pending';
CREATE INDEX argos_alert_deliveries_alert ON argos_alert_deliveries (alert_id);

CREATE TABLE argos_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
