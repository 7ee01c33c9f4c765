//! PostgreSQL: `timestamptz` times, `jsonb` contexts, batches through `jsonb_to_recordset`,
//! leasing with `FOR UPDATE SKIP LOCKED`.

use std::borrow::Cow;

use argos_checks::Task;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::types::Json;
use sqlx::{Postgres, Transaction};

use super::agent_tokens::{self, agent_token_queries};
use super::alerts::{self, AlertView, NewAlert};
use super::ingest::{self, Finalize, NewResult, NewState, Posted};
use super::outbox::{self, outbox_queries};
pub(super) use super::outbox_pg::{claim_deliveries, insert_alerts, record_deliveries};
use super::queries::{self as q, held_cols, waiting, wire_task_cols};
use super::reads::read_queries;
use super::rows;
use super::sync::{self, BATCH, NewSettings, NewTask};
use super::users::{self, NewSession, SessionRow, UserRow, user_queries};
use super::{
    AgentRow, DomainFilter, DomainSort, DomainsPage, Error, Ingested, ResultView, SeverityCounts,
    Stats, SyncStats,
};
use super::{TaskSpec, TaskView};
use crate::alerting::Rules;

/// How long a query waits for a connection. While PostgreSQL is down or restarting the pool
/// keeps trying to connect until then; past it, the request is answered 503 ("try again
/// later") instead of hanging for sqlx's default 30 s, as long as an agent's whole call.
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Opens one connection first: its error says why (connection refused, unknown host,
/// authentication failed), where the pool, retrying until its timeout, would only say "pool
/// timed out".
pub(super) async fn connect(url: &str, max: u32) -> Result<PgPool, sqlx::Error> {
    use sqlx::{ConnectOptions, Connection};
    let options: sqlx::postgres::PgConnectOptions = url.parse()?;
    options.connect().await?.close().await?;
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
}

/// Serialises concurrent syncs (two replicas reloading at once) without blocking anything
/// else. The value is arbitrary but fixed: "argos" in ASCII, then 1.
const SYNC_LOCK: i64 = 0x61_72_67_6f_73_01;

const INSERT_TASKS: &str = "INSERT INTO argos_tasks (task_key, task_group, domain, netloc, url, method, \
     request_data, request_options, check_name, expected, ip_version, frequency_s, recheck_delay_s, \
     retry_before_notification, add_alerts_recipients, overwrite_alerts_recipients, next_run, created_at) \
     SELECT task_key, task_group, domain, netloc, url, method, request_data, request_options, check_name, \
       expected, ip_version, frequency_s, recheck_delay_s, retry_before_notification, add_alerts_recipients, \
       overwrite_alerts_recipients, $2, $2 \
     FROM jsonb_to_recordset($1) AS x(task_key text, task_group text, domain text, netloc text, url text, \
       method text, request_data text, request_options text, check_name text, expected text, ip_version text, \
       frequency_s double precision, recheck_delay_s double precision, retry_before_notification integer, \
       add_alerts_recipients text, overwrite_alerts_recipients text)";

const UPDATE_SETTINGS: &str = "UPDATE argos_tasks t SET task_group = x.task_group, domain = x.domain, \
       netloc = x.netloc, frequency_s = x.frequency_s, recheck_delay_s = x.recheck_delay_s, \
       retry_before_notification = x.retry_before_notification, \
       add_alerts_recipients = x.add_alerts_recipients, \
       overwrite_alerts_recipients = x.overwrite_alerts_recipients, \
       next_run = CASE WHEN x.frequency_s < t.frequency_s \
         THEN LEAST(t.next_run, $2 + make_interval(secs => x.frequency_s)) ELSE t.next_run END \
     FROM jsonb_to_recordset($1) AS x(id bigint, task_group text, domain text, netloc text, \
       frequency_s double precision, recheck_delay_s double precision, retry_before_notification integer, \
       add_alerts_recipients text, overwrite_alerts_recipients text) \
     WHERE t.id = x.id";

pub(super) async fn sync_tasks(
    pool: &PgPool,
    desired: &[TaskSpec],
    now: DateTime<Utc>,
) -> Result<SyncStats, Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SYNC_LOCK)
        .execute(&mut *tx)
        .await?;
    let current = sqlx::query(q::SYNC_LOAD).fetch_all(&mut *tx).await?;
    let current = current
        .iter()
        .map(rows::current)
        .collect::<Result<Vec<_>, _>>()?;
    let plan = sync::diff(current, desired);
    // Ingest locks tasks in id order; taking every row this sync changes in the same order,
    // up front, means the two can wait for each other but never deadlock.
    let mut touched: Vec<i64> = plan
        .update
        .iter()
        .map(|(id, _)| *id)
        .chain(plan.delete.iter().copied())
        .collect();
    if !touched.is_empty() {
        touched.sort_unstable();
        sqlx::query("SELECT id FROM argos_tasks WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind(&touched)
            .execute(&mut *tx)
            .await?;
    }
    for chunk in plan.insert.chunks(BATCH) {
        let rows: Vec<NewTask<'_>> = chunk.iter().map(|s| NewTask::from(*s)).collect();
        sqlx::query(INSERT_TASKS)
            .bind(Json(&rows))
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    for chunk in plan.update.chunks(BATCH) {
        let rows: Vec<NewSettings<'_>> = chunk.iter().map(NewSettings::from).collect();
        sqlx::query(UPDATE_SETTINGS)
            .bind(Json(&rows))
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    for chunk in plan.delete.chunks(BATCH) {
        sqlx::query("DELETE FROM argos_tasks WHERE id = ANY($1)")
            .bind(chunk)
            .execute(&mut *tx)
            .await?;
    }
    if plan.stats.added + plan.stats.updated + plan.stats.removed > 0 {
        sqlx::query(super::domains::REBUILD)
            .execute(&mut *tx)
            .await?;
        sqlx::query(super::domains::DROP_EMPTY)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(plan.stats)
}

/// How many due rows `lease` considers per group it may hand out. Groups are picked from
/// the earliest due rows; a group with more due tasks than this (rare: one URL with many
/// checks) makes that call return fewer groups, never wrong ones.
const ROWS_PER_GROUP: i64 = 16;

/// Candidate rows are locked first (`SKIP LOCKED`), so agents polling at the same moment
/// take disjoint candidates instead of all fighting over the earliest groups. Then every row
/// of the chosen groups is locked, skipping rows locked by another lease in progress, and a
/// group is leased only if all its rows were locked (the snapshot's count) and none is under
/// a live lease: whole or not at all, so that two agents never share a group's request. In
/// READ COMMITTED, a row another agent leased and committed meanwhile is locked in its new
/// version, whose live lease then keeps its group out; a row deleted or moved to another
/// group meanwhile makes the counts differ, and the group waits for the next call.
///
/// `whole` hands back the ids of whole groups directly (`unnest(array_agg(..))`) rather than
/// joining `locked` again, which the planner estimates badly and runs as a nested loop.
const LEASE: &str = concat!(
    "WITH candidates AS MATERIALIZED (\
       SELECT id, task_group, next_run FROM argos_tasks WHERE ",
    waiting!(),
    " ORDER BY next_run, id LIMIT $2 FOR UPDATE SKIP LOCKED), \
     chosen AS MATERIALIZED (\
       SELECT task_group FROM candidates GROUP BY task_group ORDER BY min(next_run), min(id) LIMIT $3), \
     locked AS MATERIALIZED (\
       SELECT t.id, t.task_group, t.lease_until FROM argos_tasks t \
       JOIN chosen c ON c.task_group = t.task_group FOR UPDATE OF t SKIP LOCKED), \
     whole AS (\
       SELECT unnest(array_agg(l.id)) AS member_id FROM locked l GROUP BY l.task_group \
       HAVING bool_and(l.lease_until IS NULL OR l.lease_until < $1) \
         AND count(*) = (SELECT count(*) FROM argos_tasks s WHERE s.task_group = l.task_group)) \
     UPDATE argos_tasks SET leased_by = $4, lease_until = $5, lease_id = $6 FROM whole \
     WHERE argos_tasks.id = whole.member_id RETURNING ",
    wire_task_cols!()
);

pub(super) async fn lease(
    pool: &PgPool,
    agent: &str,
    lease_id: &str,
    max_groups: i64,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Task>, Error> {
    let rows = sqlx::query(LEASE)
        .bind(now)
        .bind(max_groups.saturating_mul(ROWS_PER_GROUP))
        .bind(max_groups)
        .bind(agent)
        .bind(until)
        .bind(lease_id)
        .fetch_all(pool)
        .await?;
    let mut tasks = rows
        .iter()
        .map(|r| rows::wire_task(r, agent, now))
        .collect::<Result<Vec<_>, _>>()?;
    tasks.sort_by(|a, b| (&a.task_group, a.id).cmp(&(&b.task_group, b.id)));
    Ok(tasks)
}

const INSERT_RESULTS: &str = "INSERT INTO argos_results \
       (task_id, agent_id, submitted_at, status, severity, context, elapsed_ms) \
     SELECT task_id, $2, $3, status, severity, context, elapsed_ms \
     FROM jsonb_to_recordset($1) AS x(task_id bigint, status text, severity text, context jsonb, \
       elapsed_ms double precision) \
     RETURNING id, task_id";

const UPDATE_STATE: &str = "UPDATE argos_tasks t SET severity = x.severity, last_result_id = x.last_result_id, \
       last_status = x.last_status, last_run = $2, last_elapsed_ms = x.last_elapsed_ms, \
       next_run = x.next_run, already_retried = x.already_retried, leased_by = NULL, lease_until = NULL, \
       lease_id = NULL, \
       alert_state = x.alert_state, contiguous_failures = x.contiguous_failures \
     FROM jsonb_to_recordset($1) AS x(id bigint, severity text, last_result_id bigint, last_status text, \
       last_elapsed_ms double precision, next_run timestamptz, already_retried boolean, \
       alert_state text, contiguous_failures integer) \
     WHERE t.id = x.id";

pub(super) async fn ingest(
    pool: &PgPool,
    agent: &str,
    posted: &[Posted<'_>],
    finalize: Finalize<'_>,
    rules: &Rules,
    now: DateTime<Utc>,
) -> Result<Vec<Ingested>, Error> {
    if posted.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids: Vec<i64> = posted.iter().map(|p| p.task_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut tx = pool.begin().await?;
    // Locked (in id order, so concurrent batches cannot deadlock) so that no lease or other
    // batch changes the holder between this check and the update.
    let held = sqlx::query(concat!(
        "SELECT ",
        held_cols!(),
        " FROM argos_tasks WHERE id = ANY($1) ORDER BY id FOR UPDATE"
    ))
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    let held = held.iter().map(rows::held).collect::<Result<Vec<_>, _>>()?;
    let contexts: Vec<Cow<'_, serde_json::Value>> =
        posted.iter().map(|p| without_nul(p.context)).collect();
    let posted: Vec<Posted<'_>> = posted
        .iter()
        .zip(&contexts)
        .map(|(p, context)| Posted {
            context: context.as_ref(),
            ..*p
        })
        .collect();
    let accepted = ingest::accept(agent, &held, &posted, finalize, rules, now);
    if accepted.is_empty() {
        return Ok(Vec::new());
    }
    let result_ids = insert_results(&mut tx, agent, &accepted, now).await?;
    super::rollups_pg::record(&mut tx, &accepted, now).await?;
    let states: Vec<NewState<DateTime<Utc>>> = accepted
        .iter()
        .zip(&result_ids)
        .map(|(a, &id)| NewState::new(a, id, a.next_run))
        .collect();
    sqlx::query(UPDATE_STATE)
        .bind(Json(&states))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let mut netlocs: Vec<&str> = held.iter().map(|h| h.netloc.as_str()).collect();
    netlocs.sort_unstable();
    netlocs.dedup();
    sqlx::query(super::domains::REFRESH_PG)
        .bind(&netlocs)
        .execute(&mut *tx)
        .await?;
    let (hour, previous) = q::hours(now);
    sqlx::query(q::AGENT_POSTED)
        .bind(agent)
        .bind(now)
        .bind(hour)
        .bind(previous)
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

/// Inserts the accepted results; their ids, in the order of `accepted`.
async fn insert_results(
    tx: &mut Transaction<'static, Postgres>,
    agent: &str,
    accepted: &[ingest::Accepted<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<i64>, Error> {
    let rows: Vec<NewResult<'_>> = accepted.iter().map(NewResult::from).collect();
    let returned = sqlx::query(INSERT_RESULTS)
        .bind(Json(&rows))
        .bind(agent)
        .bind(now)
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows::ids_in_order(&returned, accepted)?)
}

/// PostgreSQL's `jsonb` rejects `\u0000` in strings; an agent may well report a body
/// excerpt holding one. Replace it rather than fail the whole batch.
fn without_nul(v: &serde_json::Value) -> Cow<'_, serde_json::Value> {
    fn has_nul(v: &serde_json::Value) -> bool {
        match v {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(a) => a.iter().any(has_nul),
            serde_json::Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
            _ => false,
        }
    }
    fn replace(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::String(s) => serde_json::Value::String(s.replace('\0', "\u{FFFD}")),
            serde_json::Value::Array(a) => a.iter().map(replace).collect(),
            serde_json::Value::Object(o) => o
                .iter()
                .map(|(k, v)| (k.replace('\0', "\u{FFFD}"), replace(v)))
                .collect(),
            other => other.clone(),
        }
    }
    if has_nul(v) {
        Cow::Owned(replace(v))
    } else {
        Cow::Borrowed(v)
    }
}

/// Times bind as `timestamptz` as they are.
fn bind_time(t: DateTime<Utc>) -> DateTime<Utc> {
    t
}

read_queries!(
    PgPool,
    bind_time,
    super::domains::page_pg,
    q::DOMAIN_TASKS_PG
);
outbox_queries!(PgPool, bind_time);
user_queries!(PgPool, bind_time);
agent_token_queries!(PgPool, bind_time);

/// Deletes old results, unless another replica is doing it right now (then `Ok(0)`): the
/// transaction-scoped advisory lock is released at commit, even if this process dies.
pub(super) async fn purge_results(pool: &PgPool, older_than: DateTime<Utc>) -> Result<u64, Error> {
    let mut tx = pool.begin().await?;
    let (locked,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_xact_lock($1)")
        .bind(super::MAINTENANCE_LOCK)
        .fetch_one(&mut *tx)
        .await?;
    if !locked {
        return Ok(0);
    }
    let done = sqlx::query(q::PURGE_RESULTS)
        .bind(older_than)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}
