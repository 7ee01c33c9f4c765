//! Seeds the page bench's store with set-based SQL, never through the API: 24 hours of raw
//! results every 5 minutes, each task's latest result denormalised onto it, and the
//! roll-ups of 30 days (hourly) and a year (daily), for the tasks the server synced from the
//! bench config.
//!
//! The same statements on both backends but for three fragments: how a time is written
//! (every bind is unix milliseconds), how a JSON object is built, and the insertion order.
//! Rows are inserted in time order on PostgreSQL, as ingest writes them (so a task's rows
//! are spread over the heap as in production); SQLite's roll-ups are clustered by
//! `(task_id, bucket)` whatever the order, so they go in key order, which is faster.
//!
//! The data is deterministic: 2 % of tasks (`id % 50 = 0`) failing for the last 2 hours,
//! 2.7 % (`id % 37 = 0`) in warning for the last hour, rare failures elsewhere.

use std::time::{Duration, Instant};

use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

/// A connection pool of either backend, for the bench's own statements.
pub enum Db {
    Pg(PgPool),
    Sqlite(SqlitePool),
}

impl Db {
    /// Runs `sql` with `binds` (all integers), returning the rows affected.
    pub async fn exec(&self, sql: &str, binds: &[i64]) -> anyhow::Result<u64> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        Ok(match self {
            Db::Pg(pool) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = q.bind(*b);
                }
                q.execute(pool).await?.rows_affected()
            }
            Db::Sqlite(pool) => {
                let mut q = sqlx::query(sql);
                for b in binds {
                    q = q.bind(*b);
                }
                q.execute(pool).await?.rows_affected()
            }
        })
    }

    /// One integer.
    pub async fn scalar(&self, sql: &'static str) -> anyhow::Result<i64> {
        Ok(match self {
            Db::Pg(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
            Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
        })
    }

    /// `t` (an SQL expression in unix milliseconds) as the backend stores times.
    fn time(&self, t: &str) -> String {
        match self {
            Db::Pg(_) => format!("to_timestamp(({t}) / 1000.0)"),
            Db::Sqlite(_) => format!("({t})"),
        }
    }

    fn json_object(&self) -> &'static str {
        match self {
            Db::Pg(_) => "jsonb_build_object",
            Db::Sqlite(_) => "json_object",
        }
    }

    /// Roll-up insertion order (`h` the bucket number counted back from now, `t` the task).
    fn rollup_order(&self) -> &'static str {
        match self {
            Db::Pg(_) => "s.h DESC, t.id",
            Db::Sqlite(_) => "t.id, s.h DESC",
        }
    }
}

/// Integers `$2..=$3` as `s(<col>)`.
fn series(col: &str) -> String {
    format!(
        "WITH RECURSIVE s({col}) AS (SELECT CAST($2 AS INTEGER) UNION ALL \
         SELECT {col} + 1 FROM s WHERE {col} < $3) "
    )
}

const SEVERITY: &str = "CASE WHEN t.id % 50 = 0 AND s.k < 24 THEN 'critical' \
     WHEN t.id % 37 = 0 AND s.k < 12 THEN 'warning' \
     WHEN (t.id * 7919 + s.k * 104729) % 1000 < 3 THEN 'critical' ELSE 'ok' END";

fn results_sql(db: &Db) -> String {
    let obj = db.json_object();
    format!(
        "{}INSERT INTO argos_results (task_id, agent_id, submitted_at, status, severity, context, elapsed_ms) \
         SELECT task_id, 'bench', {}, CASE WHEN sev = 'critical' THEN 'failure' ELSE 'success' END, sev, \
           {obj}('certificate', {obj}('expires_in_days', days, 'expires_in_seconds', days * 86400 + 3600), \
                 'timings', {obj}('total_ms', ms)), ms \
         FROM (SELECT t.id AS task_id, s.k AS k, {SEVERITY} AS sev, \
                 40 + (t.id * 31 + s.k * 17) % 160 AS ms, t.id % 90 + 1 AS days \
               FROM s CROSS JOIN argos_tasks t) AS x \
         ORDER BY k DESC, task_id",
        series("k"),
        db.time("$1 - CAST(k AS BIGINT) * 300000")
    )
}

fn task_state_sql(db: &Db) -> String {
    format!(
        "UPDATE argos_tasks AS t SET last_result_id = r.id, last_status = r.status, severity = r.severity, \
           last_run = r.submitted_at, last_elapsed_ms = r.elapsed_ms, next_run = {} \
         FROM argos_results r WHERE r.task_id = t.id AND r.submitted_at = {}",
        db.time("$1 + 300000"),
        db.time("$1")
    )
}

/// `table`'s buckets `$2..=$3` back from `$1`, `n` results each of which `fails` failed.
fn rollups_sql(db: &Db, table: &str, bucket_ms: i64, n: i64, fails: &str) -> String {
    format!(
        "{}INSERT INTO {table} (task_id, bucket, checks, ok, timed, elapsed_sum, elapsed_max) \
         SELECT t.id, {}, {n}, {n} - ({fails}), {n}, {n}.0 * (40 + (t.id * 31 + s.h * 17) % 160), \
           200 + (t.id * 13 + s.h * 7) % 800 \
         FROM s CROSS JOIN argos_tasks t ORDER BY {}",
        series("h"),
        db.time(&format!("$1 - CAST(s.h AS BIGINT) * {bucket_ms}")),
        db.rollup_order()
    )
}

const HOURLY_FAILS: &str = "CASE WHEN t.id % 50 = 0 AND s.h < 2 THEN 12 \
     WHEN (t.id * 7919 + s.h * 104729) % 100 < 2 THEN 1 ELSE 0 END";
const DAILY_FAILS: &str = "CASE WHEN t.id % 50 = 0 AND s.h = 0 THEN 24 \
     WHEN (t.id * 7919 + s.h * 104729) % 10 < 3 THEN 1 ELSE 0 END";

/// Runs `sql` over the numbers `0..total` in chunks of `chunk`, printing progress.
async fn chunked(
    db: &Db,
    what: &str,
    sql: &str,
    base: i64,
    total: i64,
    chunk: i64,
) -> anyhow::Result<()> {
    let t = Instant::now();
    let mut rows = 0;
    for from in (0..total).step_by(chunk as usize) {
        let to = (from + chunk).min(total) - 1;
        rows += db.exec(sql, &[base, from, to]).await?;
        eprint!(
            "\r  {what}: {rows} rows, {:.0} s   ",
            t.elapsed().as_secs_f64()
        );
    }
    eprintln!();
    Ok(())
}

/// Seeds everything, `now_ms` being the bench's "now" in unix milliseconds.
pub async fn seed(db: &Db, now_ms: i64) -> anyhow::Result<()> {
    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;
    let last_run = now_ms - now_ms.rem_euclid(300_000);
    chunked(
        db,
        "raw results (24 h, every 5 min)",
        &results_sql(db),
        last_run,
        288,
        24,
    )
    .await?;
    db.exec(&task_state_sql(db), &[last_run]).await?;
    let hour0 = now_ms - now_ms.rem_euclid(HOUR);
    let hourly = rollups_sql(db, "argos_rollups_hourly", HOUR, 12, HOURLY_FAILS);
    chunked(db, "hourly roll-ups (30 days)", &hourly, hour0, 30 * 24, 24).await?;
    let day0 = now_ms - now_ms.rem_euclid(DAY);
    let daily = rollups_sql(db, "argos_rollups_daily", DAY, 288, DAILY_FAILS);
    chunked(db, "daily roll-ups (a year)", &daily, day0, 366, 30).await?;
    let t = Instant::now();
    match db {
        Db::Pg(pool) => {
            // What autovacuum does in production: statistics, and the visibility map that
            // index-only scans need.
            for table in [
                "argos_tasks",
                "argos_results",
                "argos_rollups_hourly",
                "argos_rollups_daily",
            ] {
                let sql = format!("VACUUM ANALYZE {table}");
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                    .execute(pool)
                    .await?;
            }
        }
        Db::Sqlite(pool) => {
            // No ANALYZE: the server never runs it, so the planner works without statistics.
            sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await?;
        }
    }
    eprintln!("  vacuum / checkpoint: {:.0} s", t.elapsed().as_secs_f64());
    Ok(())
}

/// A pool on `url`; `seeding` gives SQLite a large page cache (random inserts into indexes).
pub async fn connect(url: &str, seeding: bool) -> anyhow::Result<Db> {
    use argos_server::store::{DbTarget, parse_db_url};
    Ok(match parse_db_url(url).map_err(anyhow::Error::msg)? {
        DbTarget::Postgres(url) => Db::Pg(PgPool::connect(&url).await?),
        DbTarget::Sqlite(path) => {
            let cache = if seeding { "-1000000" } else { "-2000" };
            let opts = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(path)
                .busy_timeout(Duration::from_secs(60))
                .pragma("cache_size", cache);
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(opts)
                .await?;
            Db::Sqlite(pool)
        }
        DbTarget::SqliteMemory => anyhow::bail!("the bench needs a file"),
    })
}
