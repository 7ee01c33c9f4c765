//! Result retention on PostgreSQL: `argos_results` is partitioned by day (migration 0011),
//! so retention drops whole days, O(1) per day however many results a day holds.
//!
//! - Partitions are prepared [`DAYS_AHEAD`] days ahead by each maintenance round, so that
//!   ingestion never waits for one; a result no partition covers lands in the default
//!   partition, still stored.
//! - A day is dropped once all of it is older than the cutoff: results of the day the cutoff
//!   falls in stay until that day has expired entirely (at most a day past
//!   `max_results_age`), rather than deleting rows from a live partition. Each task's latest
//!   result is kept (moved to the default partition before its day is dropped).
//! - The default partition is purged row by row, in bounded batches: it only holds strays.
//! - Everything runs under the maintenance advisory lock (one replica at a time), with a
//!   short `lock_timeout`: attaching and dropping partitions take strong locks on
//!   `argos_results`, and a long page query holding it must not make every ingest queue
//!   behind our waiting lock request. A round that times out is retried by the next one.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sqlx::postgres::PgPool;
use sqlx::{Postgres, Transaction};

use super::Error;
use super::queries as q;

/// Days prepared ahead of today (UTC).
pub(crate) const DAYS_AHEAD: i64 = 3;

/// Rows of the default partition deleted per transaction.
const PURGE_BATCH: i64 = 10_000;

/// Opens a transaction holding the maintenance advisory lock: `None` while another replica
/// holds it (that one does the work).
pub(super) async fn locked(pool: &PgPool) -> Result<Option<Transaction<'static, Postgres>>, Error> {
    let mut tx = pool.begin().await?;
    let (locked,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_xact_lock($1)")
        .bind(super::MAINTENANCE_LOCK)
        .fetch_one(&mut *tx)
        .await?;
    Ok(locked.then_some(tx))
}

/// A [`locked`] transaction whose statements give up after 2 s waiting for a table lock
/// (partition DDL waits for every reader): the next round tries again.
async fn maintenance(pool: &PgPool) -> Result<Option<Transaction<'static, Postgres>>, Error> {
    let Some(mut tx) = locked(pool).await? else {
        return Ok(None);
    };
    sqlx::query("SET LOCAL lock_timeout = '2s'")
        .execute(&mut *tx)
        .await?;
    Ok(Some(tx))
}

/// Creates the day partitions of today and the next [`DAYS_AHEAD`] days that are missing.
/// Returns how many were created (0 while another replica is at it).
pub(crate) async fn prepare_results(pool: &PgPool, now: DateTime<Utc>) -> Result<u64, Error> {
    let today = now.duration_trunc(TimeDelta::days(1)).unwrap_or(now);
    let mut created = 0;
    for d in 0..=DAYS_AHEAD {
        let Some(mut tx) = maintenance(pool).await? else {
            return Ok(created);
        };
        let lo = today + TimeDelta::days(d);
        let (added,): (bool,) = sqlx::query_as("SELECT argos_results_add_partition($1, $2)")
            .bind(lo)
            .bind(lo + TimeDelta::days(1))
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        created += u64::from(added);
    }
    Ok(created)
}

/// Drops the partitions wholly older than `older_than`, then purges the default partition.
/// Returns how many results went (a dropped day counts by its statistics); 0 while another
/// replica is at it.
pub(crate) async fn purge_results(pool: &PgPool, older_than: DateTime<Utc>) -> Result<u64, Error> {
    let expired: Vec<String> =
        sqlx::query_scalar("SELECT name FROM argos_result_partitions WHERE hi <= $1 ORDER BY hi")
            .bind(older_than)
            .fetch_all(pool)
            .await?;
    let mut total = 0;
    for name in expired {
        let Some(mut tx) = maintenance(pool).await? else {
            return Ok(total);
        };
        let (gone,): (i64,) = sqlx::query_as("SELECT argos_results_drop_partition($1)")
            .bind(&name)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        total += u64::try_from(gone).unwrap_or(0);
    }
    loop {
        let Some(mut tx) = maintenance(pool).await? else {
            return Ok(total);
        };
        let done = sqlx::query(q::PURGE_DEFAULT_PARTITION)
            .bind(older_than)
            .bind(PURGE_BATCH)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        total += done;
        if done < PURGE_BATCH as u64 {
            return Ok(total);
        }
    }
}
