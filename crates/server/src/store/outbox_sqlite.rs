//! The outbox statements of SQLite (batches through `jsonb_each`; one writer, so a claim is
//! a single `UPDATE`).

use chrono::{DateTime, Utc};
use sqlx::Transaction;
use sqlx::sqlite::{Sqlite, SqlitePool};
use sqlx::types::Json;

use super::alerts::{AlertRow, Delivery, DeliveryOutcome, NewAlert, delivery_rows};
use super::outbox::{OutcomeRow, alert_cols, due_deliveries};
use super::sqlite::ms;
use super::{Error, rows};

const INSERT_ALERTS: &str = "INSERT INTO argos_alerts (created_at, kind, task_id, result_id, netloc, url, \
       check_name, ip_version, previous, severity, since, detail) \
     SELECT $2, value ->> 'kind', value ->> 'task_id', value ->> 'result_id', value ->> 'netloc', \
       value ->> 'url', value ->> 'check_name', value ->> 'ip_version', value ->> 'previous', \
       value ->> 'severity', value ->> 'since', value ->> 'detail' \
     FROM jsonb_each($1) RETURNING id, result_id";

const INSERT_DELIVERIES: &str = "INSERT INTO argos_alert_deliveries (alert_id, channel, next_attempt_at) \
     SELECT value ->> 'alert_id', value ->> 'channel', $2 FROM jsonb_each($1)";

/// Inserts `alerts` and their deliveries; `(alert id, result id)` of each.
pub(super) async fn insert_alerts(
    tx: &mut Transaction<'static, Sqlite>,
    alerts: &[NewAlert],
    now: DateTime<Utc>,
) -> Result<Vec<(i64, Option<i64>)>, Error> {
    let rows: Vec<AlertRow<'_, i64>> = alerts
        .iter()
        .map(|a| AlertRow::new(a, ms(a.since)))
        .collect();
    let ids: Vec<(i64, Option<i64>)> = sqlx::query_as(INSERT_ALERTS)
        .bind(Json(&rows))
        .bind(ms(now))
        .fetch_all(&mut **tx)
        .await?;
    let deliveries = delivery_rows(alerts, &ids);
    if !deliveries.is_empty() {
        sqlx::query(INSERT_DELIVERIES)
            .bind(Json(&deliveries))
            .bind(ms(now))
            .execute(&mut **tx)
            .await?;
    }
    Ok(ids)
}

const CLAIM: &str = concat!(
    "UPDATE argos_alert_deliveries SET claimed_by = $4, claimed_until = $5 WHERE id IN (",
    due_deliveries!("channel NOT IN (SELECT value FROM jsonb_each($3))"),
    ") RETURNING id"
);

const CLAIMED: &str = concat!(
    "SELECT d.id AS delivery_id, d.channel, d.attempts, d.done_targets, ",
    alert_cols!(),
    " FROM argos_alert_deliveries d JOIN argos_alerts a ON a.id = d.alert_id \
     WHERE d.id IN (SELECT value FROM jsonb_each($1)) ORDER BY d.id"
);

pub(super) async fn claim_deliveries(
    pool: &SqlitePool,
    claimer: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: i64,
    busy: &[String],
) -> Result<Vec<Delivery>, Error> {
    let ids: Vec<i64> = sqlx::query_scalar(CLAIM)
        .bind(ms(now))
        .bind(limit)
        .bind(Json(busy))
        .bind(claimer)
        .bind(ms(until))
        .fetch_all(pool)
        .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(CLAIMED)
        .bind(Json(&ids))
        .fetch_all(pool)
        .await?;
    Ok(rows.iter().map(rows::delivery).collect::<Result<_, _>>()?)
}

const RECORD: &str = "UPDATE argos_alert_deliveries SET status = x.status, attempts = attempts + 1, \
       next_attempt_at = coalesce(x.next_attempt_at, argos_alert_deliveries.next_attempt_at), \
       last_error = x.last_error, \
       done_targets = coalesce(x.done_targets, argos_alert_deliveries.done_targets), \
       sent_at = x.sent_at, claimed_by = NULL, claimed_until = NULL \
     FROM (SELECT value ->> 'id' AS id, value ->> 'status' AS status, \
       value ->> 'next_attempt_at' AS next_attempt_at, value ->> 'last_error' AS last_error, \
       value ->> 'done_targets' AS done_targets, value ->> 'sent_at' AS sent_at FROM jsonb_each($1)) AS x \
     WHERE argos_alert_deliveries.id = x.id AND argos_alert_deliveries.claimed_by = $2";

pub(super) async fn record_deliveries(
    pool: &SqlitePool,
    claimer: &str,
    outcomes: &[(i64, DeliveryOutcome)],
    now: DateTime<Utc>,
) -> Result<u64, Error> {
    let rows: Vec<OutcomeRow<i64>> = outcomes
        .iter()
        .map(|(id, o)| OutcomeRow::new(*id, o, ms, now))
        .collect();
    Ok(sqlx::query(RECORD)
        .bind(Json(&rows))
        .bind(claimer)
        .execute(pool)
        .await?
        .rows_affected())
}
