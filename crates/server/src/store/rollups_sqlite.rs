//! Roll-ups on SQLite: the batch upsert (one statement per table, the batch read through
//! `jsonb_each`), retention in bounded batches, and the shared reads.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::Transaction;
use sqlx::sqlite::{Sqlite, SqlitePool};
use sqlx::types::Json;

use super::Error;
use super::ingest::Accepted;
use super::rollups::{self, CertExpiry, Point, Scope, Step, Uptime, Windows};
use super::rollups_sql::{self as sql, merge, rollup_queries};
use super::sqlite::ms;

/// `$1` the batch, `$2` its bucket. `WHERE true` tells SQLite's parser that `ON CONFLICT`
/// belongs to the upsert, not to a join.
macro_rules! record {
    ($table:literal) => {
        concat!(
            "INSERT INTO ",
            $table,
            " AS r (task_id, bucket, checks, ok, timed, elapsed_sum, elapsed_max) \
             SELECT value ->> 'task_id', $2, value ->> 'checks', value ->> 'ok', value ->> 'timed', \
               value ->> 'elapsed_sum', value ->> 'elapsed_max' FROM jsonb_each($1) WHERE true",
            merge!("max")
        )
    };
}
const RECORD_HOURLY: &str = record!("argos_rollups_hourly");
const RECORD_DAILY: &str = record!("argos_rollups_daily");

/// Buckets deleted per retention statement: a task's buckets are clustered together, so the
/// oldest bucket of every task is on its own page; 2,000 take about 50 ms at 30,000 tasks,
/// the longest an ingest then waits for the single writer.
const PURGE_BATCH: i64 = 2_000;
/// Pause between two retention statements. A writer waiting on the busy timeout retries at
/// most every 100 ms; without a longer gap, a long catch-up (a day of buckets after a
/// retention change) could keep it out until its timeout.
const PURGE_PAUSE: Duration = Duration::from_millis(150);

/// Adds the accepted results of a batch, submitted at `now`, to their tasks' roll-ups.
pub(super) async fn record(
    tx: &mut Transaction<'static, Sqlite>,
    accepted: &[Accepted<'_>],
    now: DateTime<Utc>,
) -> Result<(), Error> {
    let rows = rollups::added(accepted);
    if rows.is_empty() {
        return Ok(());
    }
    let rows = Json(&rows);
    for (sql, step) in [(RECORD_HOURLY, Step::Hour), (RECORD_DAILY, Step::Day)] {
        sqlx::query(sql)
            .bind(rows)
            .bind(ms(step.start(now)))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Deletes buckets past their retention, one bounded batch per statement and a pause
/// between them, so that ingest (the single writer's other user) waits at most one batch.
/// SQLite has one server process: no lock to take.
pub(crate) async fn purge_rollups(
    pool: &SqlitePool,
    hourly_before: DateTime<Utc>,
    daily_before: DateTime<Utc>,
) -> Result<u64, Error> {
    let mut total = 0;
    for (sql, before) in [
        (sql::PURGE_HOURLY, hourly_before),
        (sql::PURGE_DAILY, daily_before),
    ] {
        loop {
            let done = sqlx::query(sql)
                .bind(ms(before))
                .bind(PURGE_BATCH)
                .execute(pool)
                .await?
                .rows_affected();
            total += done;
            if done < PURGE_BATCH as u64 {
                break;
            }
            tokio::time::sleep(PURGE_PAUSE).await;
        }
    }
    Ok(total)
}

rollup_queries!(SqlitePool, ms);
