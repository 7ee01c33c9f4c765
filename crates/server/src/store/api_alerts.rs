//! The alert outbox (alerts and their deliveries) and the small shared key-value table.

use chrono::{DateTime, Utc};

use super::{
    AlertView, Delivery, DeliveryOutcome, Error, Inner, NewAlert, Store, postgres, sqlite,
};

impl Store {
    /// Writes one alert that no result raised (no agent, agent back, test) and its
    /// deliveries. Returns its id.
    ///
    /// # Errors
    /// Database errors.
    pub async fn insert_alert(&self, alert: &NewAlert, now: DateTime<Utc>) -> Result<i64, Error> {
        dispatch!(self.insert_alert(alert, now))
    }

    /// Claims up to `limit` due deliveries for `claimer` until `until`, skipping the channels
    /// in `busy` (still sending an earlier batch). Each delivery comes with its alert.
    ///
    /// # Errors
    /// Database errors.
    pub async fn claim_deliveries(
        &self,
        claimer: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
        busy: &[String],
    ) -> Result<Vec<Delivery>, Error> {
        dispatch!(self.claim_deliveries(claimer, now, until, limit.max(1), busy))
    }

    /// Records what happened to deliveries `claimer` holds (others are left alone: their
    /// claim ran out and someone else may be sending them). Returns how many were recorded.
    ///
    /// # Errors
    /// Database errors.
    pub async fn record_deliveries(
        &self,
        claimer: &str,
        outcomes: &[(i64, DeliveryOutcome)],
        now: DateTime<Utc>,
    ) -> Result<u64, Error> {
        if outcomes.is_empty() {
            return Ok(0);
        }
        dispatch!(self.record_deliveries(claimer, outcomes, now))
    }

    /// Alerts, newest first, with their deliveries: up to `limit` older than `before_id`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn alerts_page(
        &self,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AlertView>, Error> {
        dispatch!(self.alerts_page(before_id.unwrap_or(i64::MAX), limit.max(0)))
    }

    /// Deliveries waiting to be sent (or retried).
    ///
    /// # Errors
    /// Database errors.
    pub async fn pending_deliveries(&self) -> Result<i64, Error> {
        dispatch!(self.pending_deliveries())
    }

    /// A value of the small shared key-value table.
    ///
    /// # Errors
    /// Database errors.
    pub async fn get_meta(&self, key: &str) -> Result<Option<String>, Error> {
        dispatch!(self.get_meta(key))
    }

    /// Sets a value of the small shared key-value table.
    ///
    /// # Errors
    /// Database errors.
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<(), Error> {
        dispatch!(self.set_meta(key, value))
    }

    /// Extends every live claim of `claimer` to `until` (it is still sending them).
    ///
    /// # Errors
    /// Database errors.
    pub async fn renew_claims(&self, claimer: &str, until: DateTime<Utc>) -> Result<(), Error> {
        dispatch!(self.renew_claims(claimer, until))
    }

    /// Sets `key` to `new` if it still is `old` (`None`: absent) and, in the same
    /// transaction, writes `alert`. False (and nothing written) when another process changed
    /// `key` first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn swap_meta_with_alert(
        &self,
        key: &str,
        old: Option<&str>,
        new: &str,
        alert: &NewAlert,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        dispatch!(self.swap_meta_with_alert(key, old, new, alert, now))
    }
}
