//! The roll-up SQL that is the same text on both backends, and `rollup_queries!`, which
//! expands to the read functions in `rollups_pg` and `rollups_sqlite` (they differ only in
//! the pool type and how a time is bound, as in `reads`).
//!
//! Every read goes through the primary key `(task_id, bucket)`: the tasks of the scope (one,
//! or a netloc's through `argos_tasks_netloc`), then a range of recent buckets of each.

use super::rollups::{CertExpiry, Point, Tally, Uptime, cert_expiry};
use super::rows::Cols;

/// `task_id` restricted to the scope, whose value is `$1`.
macro_rules! scope {
    (task) => {
        "task_id = $1"
    };
    (domain) => {
        "task_id IN (SELECT id FROM argos_tasks WHERE netloc = $1)"
    };
}

/// Per task of the scope: results and ok results since `$2` and since `$3` (hourly
/// roll-ups), and since `$4` (daily), in one statement.
macro_rules! uptimes {
    ($scope:ident) => {
        concat!(
            "SELECT task_id, CAST(sum(c_day) AS BIGINT) AS c_day, CAST(sum(o_day) AS BIGINT) AS o_day, \
               CAST(sum(c_week) AS BIGINT) AS c_week, CAST(sum(o_week) AS BIGINT) AS o_week, \
               CAST(sum(c_month) AS BIGINT) AS c_month, CAST(sum(o_month) AS BIGINT) AS o_month \
             FROM (SELECT task_id, CASE WHEN bucket >= $2 THEN checks ELSE 0 END AS c_day, \
                 CASE WHEN bucket >= $2 THEN ok ELSE 0 END AS o_day, checks AS c_week, ok AS o_week, \
                 0 AS c_month, 0 AS o_month \
               FROM argos_rollups_hourly WHERE ",
            scope!($scope),
            " AND bucket >= $3 \
               UNION ALL SELECT task_id, 0, 0, 0, 0, checks, ok FROM argos_rollups_daily WHERE ",
            scope!($scope),
            " AND bucket >= $4) AS x GROUP BY task_id"
        )
    };
}
pub(crate) const UPTIMES_TASK: &str = uptimes!(task);
pub(crate) const UPTIMES_DOMAIN: &str = uptimes!(domain);

/// The scope's buckets in `[$2, $3)`, summed over its tasks, oldest first.
macro_rules! series {
    ($table:literal, $scope:ident) => {
        concat!(
            "SELECT bucket, CAST(sum(checks) AS BIGINT) AS checks, CAST(sum(ok) AS BIGINT) AS ok, \
               CAST(sum(timed) AS BIGINT) AS timed, \
               CAST(sum(elapsed_sum) AS DOUBLE PRECISION) AS elapsed_sum, \
               CAST(max(elapsed_max) AS DOUBLE PRECISION) AS elapsed_max \
             FROM ",
            $table,
            " WHERE ",
            scope!($scope),
            " AND bucket >= $2 AND bucket < $3 GROUP BY bucket ORDER BY bucket"
        )
    };
}
pub(crate) const SERIES_HOUR_TASK: &str = series!("argos_rollups_hourly", task);
pub(crate) const SERIES_HOUR_DOMAIN: &str = series!("argos_rollups_hourly", domain);
pub(crate) const SERIES_DAY_TASK: &str = series!("argos_rollups_daily", task);
pub(crate) const SERIES_DAY_DOMAIN: &str = series!("argos_rollups_daily", domain);

/// The certificate figures of the latest result of each task of netloc `$1`: one primary-key
/// lookup per task, and only the three numbers leave the database, not the whole context.
/// `->` with a plain key is the same operator on PostgreSQL (`jsonb`) and SQLite (JSON text).
/// A result's `submitted_at` is its task's `last_run` (ingestion writes both from one time):
/// on PostgreSQL that lets each lookup go to the one day partition holding it.
pub(crate) const CERTIFICATES: &str = "SELECT t.id AS task_id, r.submitted_at, \
       CAST(r.context -> 'certificate' -> 'expires_in_seconds' AS TEXT) AS probe_seconds, \
       CAST(r.context -> 'expires_in_seconds' AS TEXT) AS check_seconds, \
       CAST(r.context -> 'expires_in' AS TEXT) AS days \
     FROM argos_tasks t JOIN argos_results r ON r.id = t.last_result_id \
       AND r.submitted_at = t.last_run WHERE t.netloc = $1";

/// One batch of retention: at most `$2` buckets older than `$1`, oldest first (through the
/// `bucket` index), so that no single statement holds the writer long.
macro_rules! purge {
    ($table:literal) => {
        concat!(
            "DELETE FROM ",
            $table,
            " WHERE (task_id, bucket) IN (SELECT task_id, bucket FROM ",
            $table,
            " WHERE bucket < $1 ORDER BY bucket LIMIT $2)"
        )
    };
}
pub(crate) const PURGE_HOURLY: &str = purge!("argos_rollups_hourly");
pub(crate) const PURGE_DAILY: &str = purge!("argos_rollups_daily");

/// The `SET` of the batch upsert: a bucket grows by what the batch adds. `$max` is the
/// two-argument maximum (`GREATEST` on PostgreSQL, `max` on SQLite).
macro_rules! merge {
    ($max:literal) => {
        concat!(
            " ON CONFLICT (task_id, bucket) DO UPDATE SET checks = r.checks + excluded.checks, \
             ok = r.ok + excluded.ok, timed = r.timed + excluded.timed, \
             elapsed_sum = r.elapsed_sum + excluded.elapsed_sum, \
             elapsed_max = ",
            $max,
            "(r.elapsed_max, excluded.elapsed_max)"
        )
    };
}
pub(crate) use merge;

/// A row of `UPTIMES_*`: a task and its uptime.
pub(crate) fn uptime_row(r: &impl Cols) -> Result<(i64, Uptime), sqlx::Error> {
    let tally = |c: &str, o: &str| -> Result<Tally, sqlx::Error> {
        Ok(Tally {
            checks: r.int(c)?,
            ok: r.int(o)?,
        })
    };
    let uptime = Uptime {
        day: tally("c_day", "o_day")?,
        week: tally("c_week", "o_week")?,
        month: tally("c_month", "o_month")?,
    };
    Ok((r.int("task_id")?, uptime))
}

/// A row of `SERIES_*`.
pub(crate) fn point_row(r: &impl Cols) -> Result<Point, sqlx::Error> {
    let tally = Tally {
        checks: r.int("checks")?,
        ok: r.int("ok")?,
    };
    Ok(Point::from_sums(
        r.time("bucket")?,
        tally,
        r.int("timed")?,
        r.float("elapsed_sum")?,
        r.float("elapsed_max")?,
    ))
}

/// A row of `CERTIFICATES`: `None` when the result reports no certificate.
pub(crate) fn cert_row(r: &impl Cols) -> Result<Option<CertExpiry>, sqlx::Error> {
    Ok(cert_expiry(
        r.int("task_id")?,
        r.time("submitted_at")?,
        r.opt_text("probe_seconds")?.as_deref(),
        r.opt_text("check_seconds")?.as_deref(),
        r.opt_text("days")?.as_deref(),
    ))
}

/// `rollup_queries!(Pool, bind_time)`: the read functions of one backend.
macro_rules! rollup_queries {
    ($Pool:ty, $time:path) => {
        pub(crate) async fn uptimes(
            pool: &$Pool,
            scope: Scope<'_>,
            now: DateTime<Utc>,
        ) -> Result<BTreeMap<i64, Uptime>, Error> {
            let w = Windows::at(now);
            let query = match scope {
                Scope::Task(id) => sqlx::query(sql::UPTIMES_TASK).bind(id),
                Scope::Domain(netloc) => sqlx::query(sql::UPTIMES_DOMAIN).bind(netloc),
            };
            let rows = query
                .bind($time(w.day))
                .bind($time(w.week))
                .bind($time(w.month))
                .fetch_all(pool)
                .await?;
            Ok(rows.iter().map(sql::uptime_row).collect::<Result<_, _>>()?)
        }

        pub(crate) async fn response_times(
            pool: &$Pool,
            scope: Scope<'_>,
            step: Step,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
        ) -> Result<Vec<Point>, Error> {
            let query = match (step, scope) {
                (Step::Hour, Scope::Task(id)) => sqlx::query(sql::SERIES_HOUR_TASK).bind(id),
                (Step::Hour, Scope::Domain(n)) => sqlx::query(sql::SERIES_HOUR_DOMAIN).bind(n),
                (Step::Day, Scope::Task(id)) => sqlx::query(sql::SERIES_DAY_TASK).bind(id),
                (Step::Day, Scope::Domain(n)) => sqlx::query(sql::SERIES_DAY_DOMAIN).bind(n),
            };
            let rows = query
                .bind($time(from))
                .bind($time(to))
                .fetch_all(pool)
                .await?;
            Ok(rows.iter().map(sql::point_row).collect::<Result<_, _>>()?)
        }

        pub(crate) async fn certificate_expiries(
            pool: &$Pool,
            netloc: &str,
        ) -> Result<Vec<CertExpiry>, Error> {
            let rows = sqlx::query(sql::CERTIFICATES)
                .bind(netloc)
                .fetch_all(pool)
                .await?;
            let found = rows
                .iter()
                .map(sql::cert_row)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(found.into_iter().flatten().collect())
        }
    };
}
pub(crate) use rollup_queries;
