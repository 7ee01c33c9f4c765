-- Nothing to do on SQLite: it has no partitions, and retention purges in bounded batches
-- (see store/sqlite.rs). This file keeps both backends' migrations numbered alike.
SELECT 1;
