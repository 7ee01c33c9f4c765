//! The outbox statements of PostgreSQL (batches through `jsonb_to_recordset`, claims with
//! `FOR UPDATE SKIP LOCKED`).

use chrono::{DateTime, Utc};
use sqlx::postgres::PgPool;
use sqlx::types::Json;
use sqlx::{Postgres, Transaction};

use super::alerts::{AlertRow, Delivery, DeliveryOutcome, NewAlert, delivery_rows};
use super::ingest_pg::json_chunks;
use super::outbox::{OutcomeRow, alert_cols, due_deliveries};
use super::{Error, rows};

const INSERT_ALERTS: &str = "INSERT INTO argos_alerts (created_at, kind, task_id, result_id, netloc, url, \
       check_name, ip_version, previous, severity, since, detail) \
     SELECT $2, kind, task_id, result_id, netloc, url, check_name, ip_version, previous, severity, since, detail \
     FROM jsonb_to_recordset($1::jsonb) AS x(kind text, task_id bigint, result_id bigint, netloc text, url text, \
       check_name text, ip_version text, previous text, severity text, since timestamptz, detail text) \
     RETURNING id, result_id";

const INSERT_DELIVERIES: &str = "INSERT INTO argos_alert_deliveries (alert_id, channel, next_attempt_at) \
     SELECT alert_id, channel, $2 FROM jsonb_to_recordset($1::jsonb) AS x(alert_id bigint, channel text)";

/// Inserts `alerts` and their deliveries; `(alert id, result id)` of each.
pub(super) async fn insert_alerts(
    tx: &mut Transaction<'static, Postgres>,
    alerts: &[NewAlert],
    now: DateTime<Utc>,
) -> Result<Vec<(i64, Option<i64>)>, Error> {
    let rows: Vec<AlertRow<'_, DateTime<Utc>>> =
        alerts.iter().map(|a| AlertRow::new(a, a.since)).collect();
    // In statements of a few rows each: see `ingest_pg` for why.
    let mut ids: Vec<(i64, Option<i64>)> = Vec::with_capacity(alerts.len());
    for (_, json) in json_chunks(&rows)? {
        let chunk: Vec<(i64, Option<i64>)> = sqlx::query_as(INSERT_ALERTS)
            .bind(json)
            .bind(now)
            .fetch_all(&mut **tx)
            .await?;
        ids.extend(chunk);
    }
    let deliveries = delivery_rows(alerts, &ids);
    for (_, json) in json_chunks(&deliveries)? {
        sqlx::query(INSERT_DELIVERIES)
            .bind(json)
            .bind(now)
            .execute(&mut **tx)
            .await?;
    }
    Ok(ids)
}

const CLAIM: &str = concat!(
    "WITH due AS (",
    due_deliveries!("channel <> ALL($3)"),
    " FOR UPDATE SKIP LOCKED) \
     UPDATE argos_alert_deliveries d SET claimed_by = $4, claimed_until = $5 \
     FROM due WHERE d.id = due.id RETURNING d.id"
);

const CLAIMED: &str = concat!(
    "SELECT d.id AS delivery_id, d.channel, d.attempts, d.done_targets, ",
    alert_cols!(),
    " FROM argos_alert_deliveries d JOIN argos_alerts a ON a.id = d.alert_id \
     WHERE d.id = ANY($1) ORDER BY d.id"
);

pub(super) async fn claim_deliveries(
    pool: &PgPool,
    claimer: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: i64,
    busy: &[String],
) -> Result<Vec<Delivery>, Error> {
    let ids: Vec<i64> = sqlx::query_scalar(CLAIM)
        .bind(now)
        .bind(limit)
        .bind(busy)
        .bind(claimer)
        .bind(until)
        .fetch_all(pool)
        .await?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(CLAIMED).bind(&ids).fetch_all(pool).await?;
    Ok(rows.iter().map(rows::delivery).collect::<Result<_, _>>()?)
}

const RECORD: &str = "UPDATE argos_alert_deliveries d SET status = x.status, attempts = d.attempts + 1, \
       next_attempt_at = coalesce(x.next_attempt_at, d.next_attempt_at), last_error = x.last_error, \
       done_targets = coalesce(x.done_targets, d.done_targets), sent_at = x.sent_at, \
       claimed_by = NULL, claimed_until = NULL \
     FROM jsonb_to_recordset($1) AS x(id bigint, status text, next_attempt_at timestamptz, \
       last_error text, done_targets text, sent_at timestamptz) \
     WHERE d.id = x.id AND d.claimed_by = $2";

pub(super) async fn record_deliveries(
    pool: &PgPool,
    claimer: &str,
    outcomes: &[(i64, DeliveryOutcome)],
    now: DateTime<Utc>,
) -> Result<u64, Error> {
    let rows: Vec<OutcomeRow<DateTime<Utc>>> = outcomes
        .iter()
        .map(|(id, o)| OutcomeRow::new(*id, o, |t| t, now))
        .collect();
    Ok(sqlx::query(RECORD)
        .bind(Json(&rows))
        .bind(claimer)
        .execute(pool)
        .await?
        .rows_affected())
}
