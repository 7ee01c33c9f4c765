-- One row per netloc with its task counts per severity and its latest check, kept by
-- ingestion (for the netlocs of each batch) and by config sync (all of them), so that the
-- domains page reads 10,000 rows instead of grouping 30,000 tasks at every view.
CREATE TABLE argos_domains (
    netloc     TEXT PRIMARY KEY,
    n_ok       BIGINT NOT NULL DEFAULT 0,
    n_warning  BIGINT NOT NULL DEFAULT 0,
    n_unknown  BIGINT NOT NULL DEFAULT 0,
    n_critical BIGINT NOT NULL DEFAULT 0,
    last_check TIMESTAMPTZ
);
INSERT INTO argos_domains (netloc, n_ok, n_warning, n_unknown, n_critical, last_check)
SELECT netloc,
       count(*) FILTER (WHERE severity = 'ok'),
       count(*) FILTER (WHERE severity = 'warning'),
       count(*) FILTER (WHERE severity = 'unknown'),
       count(*) FILTER (WHERE severity = 'critical'),
       max(last_run)
FROM argos_tasks GROUP BY netloc;
