//! Ingestion on SQLite: the batch's tasks, its results, their roll-ups and the tasks' new
//! state, in one `BEGIN IMMEDIATE` transaction (the single writer), a statement each: no
//! network between us and the database, so no reason to split them (see `ingest_pg`).

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqlitePool;
use sqlx::types::Json;

use super::ingest::{self, Finalize, NewResult, NewState, Posted};
use super::outbox_sqlite::insert_alerts;
use super::queries::{self as q, held_cols, with_runs};
use super::sqlite::ms;
use super::{Error, Ingested, rows};
use crate::alerting::Rules;

const INSERT_RESULTS: &str = "INSERT INTO argos_results \
       (task_id, agent_id, submitted_at, status, severity, context, elapsed_ms) \
     SELECT value ->> 'task_id', $2, $3, value ->> 'status', value ->> 'severity', value -> 'context', \
       value ->> 'elapsed_ms' \
     FROM jsonb_each($1) \
     RETURNING id, task_id";

const UPDATE_STATE: &str = "UPDATE argos_tasks SET severity = x.severity, last_result_id = x.last_result_id, \
       last_status = x.last_status, last_run = $2, last_elapsed_ms = x.last_elapsed_ms, \
       already_retried = x.already_retried, \
       alert_state = x.alert_state, contiguous_failures = x.contiguous_failures \
     FROM (SELECT value ->> 'id' AS id, value ->> 'severity' AS severity, \
       value ->> 'last_result_id' AS last_result_id, value ->> 'last_status' AS last_status, \
       value ->> 'last_elapsed_ms' AS last_elapsed_ms, \
       value ->> 'already_retried' AS already_retried, value ->> 'alert_state' AS alert_state, \
       value ->> 'contiguous_failures' AS contiguous_failures FROM jsonb_each($1)) AS x \
     WHERE argos_tasks.id = x.id";

/// The run state of the same tasks (the same JSON array): next run, lease cleared.
const UPDATE_RUN_STATE: &str = "UPDATE argos_task_runs SET next_run = x.next_run, \
       scheduled = x.next_run, leased_by = NULL, lease_until = NULL, lease_id = NULL \
     FROM (SELECT value ->> 'id' AS id, value ->> 'next_run' AS next_run FROM jsonb_each($1)) AS x \
     WHERE argos_task_runs.task_id = x.id";

pub(crate) async fn ingest(
    pool: &SqlitePool,
    agent: &str,
    posted: &[Posted<'_>],
    finalize: Finalize<'_>,
    rules: &Rules,
    now: DateTime<Utc>,
) -> Result<Vec<Ingested>, Error> {
    if posted.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = posted.iter().map(|p| p.task_id).collect();
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let held = sqlx::query(concat!(
        "SELECT ",
        held_cols!(),
        " FROM ",
        with_runs!(),
        " WHERE id IN (SELECT value FROM jsonb_each($1))"
    ))
    .bind(Json(&ids))
    .fetch_all(&mut *tx)
    .await?;
    let held = held.iter().map(rows::held).collect::<Result<Vec<_>, _>>()?;
    let accepted = ingest::accept(agent, &held, posted, finalize, rules, now);
    if accepted.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<NewResult<'_>> = accepted.iter().map(NewResult::from).collect();
    let returned = sqlx::query(INSERT_RESULTS)
        .bind(Json(&rows))
        .bind(agent)
        .bind(ms(now))
        .fetch_all(&mut *tx)
        .await?;
    let result_ids = rows::ids_in_order(&returned, &accepted)?;
    super::rollups_sqlite::record(&mut tx, &accepted, now).await?;
    let states: Vec<NewState<i64>> = accepted
        .iter()
        .zip(&result_ids)
        .map(|(a, &id)| NewState::new(a, id, ms(a.next_run)))
        .collect();
    sqlx::query(UPDATE_STATE)
        .bind(Json(&states))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
    sqlx::query(UPDATE_RUN_STATE)
        .bind(Json(&states))
        .execute(&mut *tx)
        .await?;
    let mut netlocs: Vec<&str> = held.iter().map(|h| h.netloc.as_str()).collect();
    netlocs.sort_unstable();
    netlocs.dedup();
    sqlx::query(super::domains::REFRESH_SQLITE)
        .bind(Json(&netlocs))
        .execute(&mut *tx)
        .await?;
    let (hour, previous) = q::hours(now);
    sqlx::query(q::AGENT_POSTED)
        .bind(agent)
        .bind(ms(now))
        .bind(ms(hour))
        .bind(ms(previous))
        .bind(accepted.len() as i64)
        .execute(&mut *tx)
        .await?;
    let alerts = ingest::alerts(&accepted, &result_ids);
    if !alerts.is_empty() {
        insert_alerts(&mut tx, &alerts, now).await?;
    }
    tx.commit().await?;
    Ok(ingest::ingested(&accepted, &result_ids))
}
