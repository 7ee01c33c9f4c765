//! PostgreSQL: `timestamptz` times, `jsonb` contexts, batches through `jsonb_to_recordset`,
//! leasing with `FOR UPDATE SKIP LOCKED`.

use std::borrow::Borrow;

use argos_checks::Task;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::types::Json;

use super::agent_tokens::{self, agent_token_queries};
use super::alerts::{self, AlertView, NewAlert};
pub(super) use super::ingest_pg::ingest;
use super::outbox::{self, outbox_queries};
pub(super) use super::outbox_pg::{claim_deliveries, insert_alerts, record_deliveries};
use super::queries::{self as q, waiting, wire_task_cols};
use super::reads::read_queries;
pub(super) use super::retention_pg::{prepare_results, purge_results};
use super::rows;
use super::sync::{self, BATCH};
use super::users::{self, NewSession, SessionRow, UserRow, user_queries};
use super::{
    AgentRow, DomainFilter, DomainSort, DomainsPage, Error, ResultView, SeverityCounts, Stats,
    SyncStats,
};
use super::{TaskSpec, TaskView};

/// How long a query waits for a connection. While PostgreSQL is down or restarting the pool
/// keeps trying to connect until then; past it, the request is answered 503 ("try again
/// later") instead of hanging for sqlx's default 30 s, as long as an agent's whole call.
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Opens one connection first: its error says why (connection refused, unknown host,
/// authentication failed), where the pool, retrying until its timeout, would only say "pool
/// timed out".
pub(super) async fn connect(url: &str, max: u32) -> Result<PgPool, sqlx::Error> {
    use sqlx::{ConnectOptions, Connection};
    let mut options: sqlx::postgres::PgConnectOptions = url.parse()?;
    if !asks_for_tls_mode(url, std::env::var_os("PGSSLMODE").is_some())
        && is_loopback(options.get_host())
    {
        options = options.ssl_mode(sqlx::postgres::PgSslMode::Disable);
    }
    options.connect().await?.close().await?;
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
}

/// Whether the URL (`sslmode`/`ssl-mode`) or the environment (`PGSSLMODE`) chooses the TLS
/// mode. When neither does, libpq's default is `prefer`: TLS whenever the server offers it.
fn asks_for_tls_mode(url: &str, env_sets_it: bool) -> bool {
    env_sets_it
        || url::Url::parse(url).is_ok_and(|u| {
            u.query_pairs().any(|(k, _)| {
                k.eq_ignore_ascii_case("sslmode") || k.eq_ignore_ascii_case("ssl-mode")
            })
        })
}

/// A server on this machine: TLS protects nothing there, and on a 10,000-site first start it
/// cost 0.3–0.6 s of the start (handshakes, and the tasks' JSON encrypted and decrypted), so
/// `prefer` is not applied to it; an explicit `sslmode` still is.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.starts_with('/')
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Serialises concurrent syncs (two replicas reloading at once) without blocking anything
/// else. The value is arbitrary but fixed: "argos" in ASCII, then 1.
const SYNC_LOCK: i64 = 0x61_72_67_6f_73_01;

const INSERT_TASKS: &str = "INSERT INTO argos_tasks (task_key, task_group, domain, netloc, url, method, \
     request_data, request_options, check_name, expected, ip_version, frequency_s, recheck_delay_s, \
     retry_before_notification, add_alerts_recipients, overwrite_alerts_recipients, created_at) \
     SELECT task_key, task_group, domain, netloc, url, method, request_data, request_options, check_name, \
       expected, ip_version, frequency_s, recheck_delay_s, retry_before_notification, add_alerts_recipients, \
       overwrite_alerts_recipients, $2 \
     FROM jsonb_to_recordset($1) AS x(task_key text, task_group text, domain text, netloc text, url text, \
       method text, request_data text, request_options text, check_name text, expected text, ip_version text, \
       frequency_s double precision, recheck_delay_s double precision, retry_before_notification integer, \
       add_alerts_recipients text, overwrite_alerts_recipients text)";

const UPDATE_SETTINGS: &str = "UPDATE argos_tasks t SET task_group = x.task_group, domain = x.domain, \
       netloc = x.netloc, frequency_s = x.frequency_s, recheck_delay_s = x.recheck_delay_s, \
       retry_before_notification = x.retry_before_notification, \
       add_alerts_recipients = x.add_alerts_recipients, \
       overwrite_alerts_recipients = x.overwrite_alerts_recipients \
     FROM jsonb_to_recordset($1) AS x(id bigint, task_group text, domain text, netloc text, \
       frequency_s double precision, recheck_delay_s double precision, retry_before_notification integer, \
       add_alerts_recipients text, overwrite_alerts_recipients text) \
     WHERE t.id = x.id";

/// A shorter frequency brings the next run forward to at most `now + frequency` (before
/// `UPDATE_SETTINGS`, which overwrites the old frequency). A task under a lease keeps its
/// `next_run` (the lease's end).
const UPDATE_RUNS: &str = "UPDATE argos_task_runs r SET \
       scheduled = LEAST(r.scheduled, $2 + make_interval(secs => x.frequency_s)), \
       next_run = CASE WHEN r.lease_until IS NULL \
         THEN LEAST(r.next_run, $2 + make_interval(secs => x.frequency_s)) ELSE r.next_run END \
     FROM jsonb_to_recordset($1) AS x(id bigint, frequency_s double precision), argos_tasks t \
     WHERE r.task_id = x.id AND t.id = x.id AND x.frequency_s < t.frequency_s";

pub(super) async fn sync_tasks<T: Borrow<TaskSpec>>(
    pool: &PgPool,
    desired: impl IntoIterator<Item = T>,
    now: DateTime<Utc>,
) -> Result<SyncStats, Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(SYNC_LOCK)
        .execute(&mut *tx)
        .await?;
    let rows = sqlx::query(q::SYNC_LOAD).fetch(&mut *tx);
    let current = rows::decode_each(rows, rows::current).await?;
    let plan = sync::diff(&current, desired);
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
        let rows = sync::new_tasks(chunk);
        sqlx::query(INSERT_TASKS)
            .bind(Json(&rows))
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    if !plan.insert.is_empty() {
        sqlx::query(q::ADD_RUNS).execute(&mut *tx).await?;
    }
    for chunk in plan.update.chunks(BATCH) {
        let rows = sync::new_settings(chunk);
        for sql in [UPDATE_RUNS, UPDATE_SETTINGS] {
            sqlx::query(sql)
                .bind(Json(&rows))
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
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
    // A config load that adds or removes many tasks changes the tables' shape more than the
    // statistics know until autovacuum comes by: without fresh ones the planner takes the
    // lease's join for a few rows and hashes both tables at every poll (50 ms instead of 6
    // at 30,000 tasks, in lease_bench), right during the cold start that follows a load.
    // In the background: it took 225 ms of a 1.9 s first start at 30,000 tasks, and only
    // the first polls of the cold start miss it.
    if plan.stats.added + plan.stats.removed >= ANALYZE_AFTER {
        let pool = pool.clone();
        tokio::spawn(async move {
            let analyze = sqlx::query("ANALYZE argos_tasks, argos_task_runs");
            if let Err(e) = analyze.execute(&pool).await {
                tracing::warn!(error = %e, "cannot refresh the planner's statistics after a sync");
            }
        });
    }
    Ok(plan.stats)
}

/// Tasks added or removed by one sync past which it refreshes the planner's statistics.
const ANALYZE_AFTER: u64 = 500;

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
/// Only the narrow `argos_task_runs` rows are locked and written. The lease sets `next_run`
/// to its end: the leased tasks leave the due range, so the next poll's index scan starts
/// at the tasks still waiting instead of walking past those out with agents.
///
/// `whole` hands back the ids of whole groups directly (`unnest(array_agg(..))`) rather than
/// joining `locked` again, which the planner estimates badly and runs as a nested loop.
const LEASE: &str = concat!(
    "WITH candidates AS MATERIALIZED (\
       SELECT r.task_id AS id, t.task_group, r.next_run \
       FROM argos_task_runs r JOIN argos_tasks t ON t.id = r.task_id WHERE ",
    waiting!(),
    " ORDER BY r.next_run, r.task_id LIMIT $2 FOR UPDATE OF r SKIP LOCKED), \
     chosen AS MATERIALIZED (\
       SELECT task_group FROM candidates GROUP BY task_group ORDER BY min(next_run), min(id) LIMIT $3), \
     locked AS MATERIALIZED (\
       SELECT t.id, t.task_group, r.lease_until FROM argos_tasks t \
       JOIN chosen c ON c.task_group = t.task_group JOIN argos_task_runs r ON r.task_id = t.id \
       FOR UPDATE OF r SKIP LOCKED), \
     whole AS (\
       SELECT unnest(array_agg(l.id)) AS member_id FROM locked l GROUP BY l.task_group \
       HAVING bool_and(l.lease_until IS NULL OR l.lease_until < $1) \
         AND count(*) = (SELECT count(*) FROM argos_tasks s WHERE s.task_group = l.task_group)), \
     leased AS (\
       UPDATE argos_task_runs SET leased_by = $4, lease_until = $5, lease_id = $6, next_run = $5 \
       FROM whole WHERE argos_task_runs.task_id = whole.member_id \
       RETURNING argos_task_runs.task_id, argos_task_runs.lease_id) \
     SELECT ",
    wire_task_cols!(),
    " FROM leased JOIN argos_tasks ON argos_tasks.id = leased.task_id"
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

#[cfg(test)]
mod tls_tests {
    use super::{asks_for_tls_mode, is_loopback};

    #[test]
    fn only_an_unasked_mode_to_this_machine_goes_without_tls() {
        assert!(is_loopback("localhost") && is_loopback("127.0.0.1") && is_loopback("::1"));
        assert!(is_loopback("[::1]") && is_loopback("/var/run/postgresql"));
        assert!(!is_loopback("db.example.org") && !is_loopback("10.0.0.5"));
        assert!(!asks_for_tls_mode("postgres://u@127.0.0.1/argos", false));
        assert!(asks_for_tls_mode(
            "postgres://u@127.0.0.1/argos?sslmode=require",
            false
        ));
        assert!(asks_for_tls_mode(
            "postgres://u@127.0.0.1/argos?ssl-mode=verify-full",
            false
        ));
        assert!(asks_for_tls_mode("postgres://u@127.0.0.1/argos", true));
    }
}
