//! The alert outbox in SQL: alerts are inserted with the results that raise them (or alone,
//! for system alerts), the notifier claims due deliveries, sends them and records what
//! happened; the alerts page reads them back.
//!
//! A claim is a lease (`claimed_by`, `claimed_until`): several server processes on one
//! PostgreSQL take disjoint deliveries (`FOR UPDATE SKIP LOCKED`), and a process that dies
//! mid-send leaves its deliveries to be claimed again when the lease ends. Outcomes are only
//! recorded by the claim's holder.
//!
//! `outbox_queries!` expands to the functions whose SQL is the same on both backends; the
//! others are in `postgres` and `sqlite`, with the JSON-array statements of each.

use serde::Serialize;

use super::alerts::DeliveryOutcome;

/// Columns of an alert ([`super::rows::alert_record`]), prefixed by the table alias `a`.
macro_rules! alert_cols {
    () => {
        "a.id, a.created_at, a.kind, a.task_id, a.result_id, a.netloc, a.url, a.check_name, \
         a.ip_version, a.previous, a.severity, a.since, a.detail"
    };
}
pub(crate) use alert_cols;

/// Due deliveries not under a live claim, for channels not busy: `$1` now, `$2` the batch.
macro_rules! due_deliveries {
    ($not_busy:literal) => {
        concat!(
            "SELECT id FROM argos_alert_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
             AND (claimed_until IS NULL OR claimed_until < $1) AND ",
            $not_busy,
            " ORDER BY next_attempt_at, id LIMIT $2"
        )
    };
}
pub(crate) use due_deliveries;

/// One page of alerts, newest first: `$1` the last id of the previous page, `$2` the size.
pub(crate) const ALERTS_PAGE: &str = concat!(
    "SELECT ",
    alert_cols!(),
    " FROM argos_alerts a WHERE a.id < $1 ORDER BY a.id DESC LIMIT $2"
);

/// The deliveries of a page's alerts, whose ids span `$1..=$2`.
pub(crate) const PAGE_DELIVERIES: &str = "SELECT alert_id, channel, status, attempts, last_error, sent_at, \
     next_attempt_at FROM argos_alert_deliveries WHERE alert_id >= $1 AND alert_id <= $2 \
     ORDER BY alert_id, channel";

pub(crate) const GET_META: &str = "SELECT value FROM argos_meta WHERE key = $1";
pub(crate) const SET_META: &str = "INSERT INTO argos_meta (key, value) VALUES ($1, $2) \
     ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/// Compare-and-set of a meta value: insert when there was none...
pub(crate) const META_INSERT: &str =
    "INSERT INTO argos_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING";
/// ... or update when it is still the value read.
pub(crate) const META_SWAP: &str = "UPDATE argos_meta SET value = $3 WHERE key = $1 AND value = $2";

/// Extends every live claim of `$1` to `$2`.
pub(crate) const RENEW_CLAIMS: &str = "UPDATE argos_alert_deliveries SET claimed_until = $2 \
     WHERE claimed_by = $1 AND status = 'pending'";

/// Deliveries not yet sent (the notifier's backlog, for the pages and the benchmark).
pub(crate) const PENDING_COUNT: &str =
    "SELECT count(*) FROM argos_alert_deliveries WHERE status = 'pending'";

/// One recorded outcome, as an element of the update statement's JSON array.
#[derive(Serialize)]
pub(crate) struct OutcomeRow<T> {
    pub id: i64,
    pub status: &'static str,
    /// Kept as it was when `None` (sent or failed for good).
    pub next_attempt_at: Option<T>,
    pub last_error: Option<String>,
    pub done_targets: Option<String>,
    pub sent_at: Option<T>,
}

impl<T> OutcomeRow<T> {
    pub fn new(
        id: i64,
        outcome: &DeliveryOutcome,
        time: impl Fn(chrono::DateTime<chrono::Utc>) -> T,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        let done = |d: &Vec<String>| {
            (!d.is_empty()).then(|| serde_json::to_string(d).expect("strings serialise"))
        };
        match outcome {
            DeliveryOutcome::Sent => OutcomeRow {
                id,
                status: "sent",
                next_attempt_at: None,
                last_error: None,
                done_targets: None,
                sent_at: Some(time(now)),
            },
            DeliveryOutcome::Retry { at, error, done: d } => OutcomeRow {
                id,
                status: "pending",
                next_attempt_at: Some(time(*at)),
                last_error: Some(error.clone()),
                done_targets: done(d),
                sent_at: None,
            },
            DeliveryOutcome::Failed { error, done: d } => OutcomeRow {
                id,
                status: "failed",
                next_attempt_at: None,
                last_error: Some(error.clone()),
                done_targets: done(d),
                sent_at: None,
            },
        }
    }
}

/// `outbox_queries!(Pool, bind_time)`: the outbox functions written once.
macro_rules! outbox_queries {
    ($Pool:ty, $time:path) => {
        pub(super) async fn alerts_page(
            pool: &$Pool,
            before: i64,
            limit: i64,
        ) -> Result<Vec<AlertView>, Error> {
            let rows = sqlx::query(outbox::ALERTS_PAGE)
                .bind(before)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            let alerts = rows
                .iter()
                .map(rows::alert_record)
                .collect::<Result<Vec<_>, _>>()?;
            let (Some(last), Some(first)) = (alerts.first(), alerts.last()) else {
                return Ok(Vec::new());
            };
            let rows = sqlx::query(outbox::PAGE_DELIVERIES)
                .bind(first.id)
                .bind(last.id)
                .fetch_all(pool)
                .await?;
            let deliveries = rows
                .iter()
                .map(rows::delivery_view)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(alerts::views(alerts, deliveries))
        }

        pub(super) async fn get_meta(pool: &$Pool, key: &str) -> Result<Option<String>, Error> {
            Ok(sqlx::query_scalar(outbox::GET_META)
                .bind(key)
                .fetch_optional(pool)
                .await?)
        }

        pub(super) async fn set_meta(pool: &$Pool, key: &str, value: &str) -> Result<(), Error> {
            sqlx::query(outbox::SET_META)
                .bind(key)
                .bind(value)
                .execute(pool)
                .await?;
            Ok(())
        }

        pub(super) async fn pending_deliveries(pool: &$Pool) -> Result<i64, Error> {
            Ok(sqlx::query_scalar(outbox::PENDING_COUNT)
                .fetch_one(pool)
                .await?)
        }

        pub(super) async fn renew_claims(
            pool: &$Pool,
            claimer: &str,
            until: DateTime<Utc>,
        ) -> Result<(), Error> {
            sqlx::query(outbox::RENEW_CLAIMS)
                .bind(claimer)
                .bind($time(until))
                .execute(pool)
                .await?;
            Ok(())
        }

        pub(super) async fn swap_meta_with_alert(
            pool: &$Pool,
            key: &str,
            old: Option<&str>,
            new: &str,
            alert: &NewAlert,
            now: DateTime<Utc>,
        ) -> Result<bool, Error> {
            let mut tx = pool.begin().await?;
            let swapped = match old {
                None => sqlx::query(outbox::META_INSERT).bind(key).bind(new),
                Some(old) => sqlx::query(outbox::META_SWAP).bind(key).bind(old).bind(new),
            }
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if swapped != 1 {
                return Ok(false);
            }
            insert_alerts(&mut tx, std::slice::from_ref(alert), now).await?;
            tx.commit().await?;
            Ok(true)
        }

        pub(super) async fn insert_alert(
            pool: &$Pool,
            alert: &NewAlert,
            now: DateTime<Utc>,
        ) -> Result<i64, Error> {
            let mut tx = pool.begin().await?;
            let ids = insert_alerts(&mut tx, std::slice::from_ref(alert), now).await?;
            tx.commit().await?;
            Ok(ids.first().map(|(id, _)| *id).unwrap_or_default())
        }
    };
}
pub(crate) use outbox_queries;
