//! Retention, run by the maintenance round: results (partitions ahead and expired ones on
//! PostgreSQL, bounded batches on SQLite), roll-ups and expired sessions.

use chrono::{DateTime, Utc};

use super::{Error, Inner, Store, postgres, rollups_pg, rollups_sqlite, sqlite};

impl Store {
    /// Makes ready where the coming days' results go: on PostgreSQL, the day partitions of
    /// `argos_results` for today and a few days ahead (see `retention_pg`); nothing to do on
    /// SQLite. Returns how many partitions were created.
    ///
    /// # Errors
    /// Database errors (a lock not obtained in time included: the next round retries).
    pub async fn prepare_results(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        match &self.inner {
            Inner::Pg(pool) => postgres::prepare_results(pool, now).await,
            Inner::Sqlite(_) => Ok(0),
        }
    }

    /// Deletes results submitted before `older_than`, except each task's latest one.
    /// Returns how many were deleted. On PostgreSQL whole days go, once all of a day is
    /// older than `older_than` (the rest of the cutoff's day stays until then), and a dropped
    /// day counts by its statistics; SQLite deletes row by row in bounded batches.
    ///
    /// # Errors
    /// Database errors.
    pub async fn purge_results(&self, older_than: DateTime<Utc>) -> Result<u64, Error> {
        dispatch!(self.purge_results(older_than))
    }

    /// Deletes hourly roll-ups of buckets before `hourly_before` and daily ones before
    /// `daily_before`. Returns how many were deleted (on PostgreSQL, 0 while another replica
    /// is doing it).
    ///
    /// # Errors
    /// Database errors.
    pub async fn purge_rollups(
        &self,
        hourly_before: DateTime<Utc>,
        daily_before: DateTime<Utc>,
    ) -> Result<u64, Error> {
        dispatch_rollups!(self.purge_rollups(hourly_before, daily_before))
    }

    /// Deletes the sessions expired at `now`; how many.
    ///
    /// # Errors
    /// Database errors.
    pub async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        dispatch!(self.purge_sessions(now))
    }
}
