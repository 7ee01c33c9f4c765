-- Per-netloc summary (see migrations/postgres for the commented twin).
CREATE TABLE argos_domains (
    netloc     TEXT PRIMARY KEY,
    n_ok       INTEGER NOT NULL DEFAULT 0,
    n_warning  INTEGER NOT NULL DEFAULT 0,
    n_unknown  INTEGER NOT NULL DEFAULT 0,
    n_critical INTEGER NOT NULL DEFAULT 0,
    last_check INTEGER
);
INSERT INTO argos_domains (netloc, n_ok, n_warning, n_unknown, n_critical, last_check)
SELECT netloc,
       sum(severity = 'ok'), sum(severity = 'warning'), sum(severity = 'unknown'),
       sum(severity = 'critical'), max(last_run)
FROM argos_tasks GROUP BY netloc;
