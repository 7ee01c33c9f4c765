//! Roll-ups on PostgreSQL: the batch upsert (both tables in one statement, the batch read
//! once through `jsonb_to_recordset`), retention under the maintenance advisory lock, and
//! the shared reads.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::postgres::PgPool;
use sqlx::{Postgres, Transaction};

use super::Error;
use super::ingest::Accepted;
use super::ingest_pg::json_chunks;
use super::rollups::{self, CertExpiry, Point, Scope, Step, Uptime, Windows};
use super::rollups_sql::{self as sql, merge, rollup_queries};

/// `$1` the batch, `$2` its hour, `$3` its day.
const RECORD: &str = concat!(
    "WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(task_id bigint, checks integer, \
       ok integer, timed integer, elapsed_sum double precision, elapsed_max double precision)), \
     hourly AS (INSERT INTO argos_rollups_hourly AS r \
         (task_id, bucket, checks, ok, timed, elapsed_sum, elapsed_max) \
       SELECT task_id, $2, checks, ok, timed, elapsed_sum, elapsed_max FROM x",
    merge!("GREATEST"),
    ") INSERT INTO argos_rollups_daily AS r \
       (task_id, bucket, checks, ok, timed, elapsed_sum, elapsed_max) \
     SELECT task_id, $3, checks, ok, timed, elapsed_sum, elapsed_max FROM x",
    merge!("GREATEST")
);

/// Buckets deleted per retention transaction (10,000 take about 0.1 s at 30,000 tasks).
const PURGE_BATCH: i64 = 10_000;

/// Adds the accepted results of a batch, submitted at `now`, to their tasks' roll-ups.
pub(super) async fn record(
    tx: &mut Transaction<'static, Postgres>,
    accepted: &[Accepted<'_>],
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let rows = rollups::added(accepted);
    if rows.is_empty() {
        return Ok(());
    }
    // In statements of a few rows each: see `ingest_pg` for why.
    for (_, json) in json_chunks(&rows)? {
        sqlx::query(RECORD)
            .bind(json)
            .bind(Step::Hour.start(now))
            .bind(Step::Day.start(now))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Deletes buckets past their retention, one bounded batch per transaction, each under the
/// maintenance advisory lock: when another replica holds it, this one stops (`Ok` with what
/// it deleted so far) and the other finishes the work.
pub(crate) async fn purge_rollups(
    pool: &PgPool,
    hourly_before: DateTime<Utc>,
    daily_before: DateTime<Utc>,
) -> Result<u64, Error> {
    let mut total = 0;
    for (sql, before) in [
        (sql::PURGE_HOURLY, hourly_before),
        (sql::PURGE_DAILY, daily_before),
    ] {
        loop {
            let Some(mut tx) = super::retention_pg::locked(pool).await? else {
                return Ok(total);
            };
            let done = sqlx::query(sql)
                .bind(before)
                .bind(PURGE_BATCH)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            total += done;
            if done < PURGE_BATCH as u64 {
                break;
            }
        }
    }
    Ok(total)
}

/// Times bind as `timestamptz` as they are.
fn bind_time(t: DateTime<Utc>) -> DateTime<Utc> {
    t
}

rollup_queries!(PgPool, bind_time);
