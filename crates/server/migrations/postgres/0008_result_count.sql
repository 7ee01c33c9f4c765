-- Nothing to do on PostgreSQL: /api/stats estimates the number of results from the
-- table's statistics (pg_class), where SQLite keeps a count (migrations/sqlite). This file
-- keeps both backends' migrations numbered alike.
SELECT 1;
