-- The number of stored results, kept by triggers, so that /api/stats reads one row instead
-- of counting a year of results at every call (PostgreSQL estimates it from pg_class).
CREATE TABLE argos_counts (
    name TEXT PRIMARY KEY,
    n    INTEGER NOT NULL
);
INSERT INTO argos_counts (name, n) SELECT 'results', count(*) FROM argos_results;
CREATE TRIGGER argos_results_count_insert AFTER INSERT ON argos_results
BEGIN
    UPDATE argos_counts SET n = n + 1 WHERE name = 'results';
END;
-- Deleting a task deletes its results (ON DELETE CASCADE), which fires this too.
CREATE TRIGGER argos_results_count_delete AFTER DELETE ON argos_results
BEGIN
    UPDATE argos_counts SET n = n - 1 WHERE name = 'results';
END;
