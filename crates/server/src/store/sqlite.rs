//! SQLite: unix-millisecond times, JSON text, batches through `jsonb_each`. One writer at a
//! time: write transactions start with `BEGIN IMMEDIATE` (so they wait on the busy timeout
//! instead of failing on a read-to-write upgrade), and leasing is a single `UPDATE`.
//!
//! Why `jsonb_each`, not `json_each`: both parse the batch once, but `json_each` renders each
//! element back to JSON text, which every `value ->> 'column'` then parses again; the binary
//! elements of `jsonb_each` are read in place. The JSON functions were 13 % of the server's CPU
//! in a cold start; reading a batch of 200 results took 2.6 → 1.1 ms, and the store alone
//! ingests 11,000–12,000 results/s instead of 7,000–9,900 (`lease_bench`). `->` still
//! returns text.

use std::borrow::Borrow;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use argos_checks::Task;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::types::Json;

use super::agent_tokens::{self, agent_token_queries};
use super::alerts::{self, AlertView, NewAlert};
pub(super) use super::ingest_sqlite::ingest;
use super::outbox::{self, outbox_queries};
pub(super) use super::outbox_sqlite::{claim_deliveries, insert_alerts, record_deliveries};
use super::queries::{self as q, waiting, wire_task_cols, with_runs};
use super::reads::read_queries;
use super::rows;
use super::sync::{self, BATCH};
use super::users::{self, NewSession, SessionRow, UserRow, user_queries};
use super::{
    AgentRow, DomainFilter, DomainSort, DomainsPage, Error, ResultView, SeverityCounts, Stats,
    SyncStats,
};
use super::{TaskSpec, TaskView};

const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections to a SQLite file at most, whatever `pool_size + max_overflow` say (30 by
/// default, sized for PostgreSQL). SQLite runs one writer at a time, so more connections
/// only add writers polling the busy lock (110 busy sleeps a second in a steady state), and
/// each holds its own page cache and prepared statements: with 4 agents the pool grew to
/// about 20 connections. A call waiting for a connection waits in the pool's fair queue.
pub const SQLITE_MAX_CONNECTIONS: u32 = 8;

pub(super) async fn connect_file(path: &Path, max: u32) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        .synchronous(SqliteSynchronous::Normal);
    SqlitePoolOptions::new()
        .max_connections(max.min(SQLITE_MAX_CONNECTIONS))
        .connect_with(options)
        .await
}

/// An in-memory database lives as long as a connection to it: one connection, kept forever.
pub(super) async fn connect_memory() -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
    SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(options)
        .await
}

/// How SQLite keeps a time: unix milliseconds (every SQLite statement binds times so).
pub(super) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// `sqlx::types::Json` encodes as TEXT on SQLite, which `jsonb_each` reads.
const INSERT_TASKS: &str = "INSERT INTO argos_tasks (task_key, task_group, domain, netloc, url, method, \
     request_data, request_options, check_name, expected, ip_version, frequency_s, recheck_delay_s, \
     retry_before_notification, add_alerts_recipients, overwrite_alerts_recipients, created_at) \
     SELECT value ->> 'task_key', value ->> 'task_group', value ->> 'domain', value ->> 'netloc', \
       value ->> 'url', value ->> 'method', value ->> 'request_data', value ->> 'request_options', \
       value ->> 'check_name', \
       value ->> 'expected', value ->> 'ip_version', value ->> 'frequency_s', value ->> 'recheck_delay_s', \
       value ->> 'retry_before_notification', value ->> 'add_alerts_recipients', \
       value ->> 'overwrite_alerts_recipients', $2 \
     FROM jsonb_each($1)";

const UPDATE_SETTINGS: &str = "UPDATE argos_tasks SET task_group = x.task_group, domain = x.domain, \
       netloc = x.netloc, frequency_s = x.frequency_s, recheck_delay_s = x.recheck_delay_s, \
       retry_before_notification = x.retry_before_notification, \
       add_alerts_recipients = x.add_alerts_recipients, \
       overwrite_alerts_recipients = x.overwrite_alerts_recipients \
     FROM (SELECT value ->> 'id' AS id, value ->> 'task_group' AS task_group, value ->> 'domain' AS domain, \
       value ->> 'netloc' AS netloc, value ->> 'frequency_s' AS frequency_s, \
       value ->> 'recheck_delay_s' AS recheck_delay_s, \
       value ->> 'retry_before_notification' AS retry_before_notification, \
       value ->> 'add_alerts_recipients' AS add_alerts_recipients, \
       value ->> 'overwrite_alerts_recipients' AS overwrite_alerts_recipients FROM jsonb_each($1)) AS x \
     WHERE argos_tasks.id = x.id";

/// See the PostgreSQL twin: a shorter frequency brings the next run forward.
const UPDATE_RUNS: &str = "UPDATE argos_task_runs SET \
       scheduled = min(scheduled, $2 + CAST(round(x.frequency_s * 1000) AS INTEGER)), \
       next_run = CASE WHEN lease_until IS NULL \
         THEN min(next_run, $2 + CAST(round(x.frequency_s * 1000) AS INTEGER)) ELSE next_run END \
     FROM (SELECT value ->> 'id' AS id, value ->> 'frequency_s' AS frequency_s FROM jsonb_each($1)) AS x, \
       argos_tasks t \
     WHERE argos_task_runs.task_id = x.id AND t.id = x.id AND x.frequency_s < t.frequency_s";

pub(super) async fn sync_tasks<T: Borrow<TaskSpec>>(
    pool: &SqlitePool,
    desired: impl IntoIterator<Item = T>,
    now: DateTime<Utc>,
) -> Result<SyncStats, Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let rows = sqlx::query(q::SYNC_LOAD).fetch(&mut *tx);
    let current = rows::decode_each(rows, rows::current).await?;
    let plan = sync::diff(&current, desired);
    for chunk in plan.insert.chunks(BATCH) {
        let rows = sync::new_tasks(chunk);
        sqlx::query(INSERT_TASKS)
            .bind(Json(&rows))
            .bind(ms(now))
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
                .bind(ms(now))
                .execute(&mut *tx)
                .await?;
        }
    }
    for chunk in plan.delete.chunks(BATCH) {
        sqlx::query("DELETE FROM argos_tasks WHERE id IN (SELECT value FROM jsonb_each($1))")
            .bind(Json(chunk))
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

/// See the PostgreSQL twin for why groups come from a bounded set of the earliest due rows.
const ROWS_PER_GROUP: i64 = 16;

/// One statement: SQLite runs one writer at a time, and a write statement takes the write
/// lock before it reads, so no other lease can interleave. A group with a task under a live
/// lease (a task synced into a group an agent holds) is skipped: groups go whole or not at all.
/// As on PostgreSQL, the lease moves `next_run` to its end, out of the due range.
const LEASE: &str = concat!(
    "UPDATE argos_task_runs SET leased_by = $3, lease_until = $4, lease_id = $6, next_run = $4 \
     WHERE task_id IN (SELECT id FROM argos_tasks WHERE task_group IN (\
       SELECT c.task_group FROM (\
         SELECT t.task_group, r.next_run, r.task_id AS id \
         FROM argos_task_runs r JOIN argos_tasks t ON t.id = r.task_id WHERE ",
    waiting!(),
    "    ORDER BY r.next_run, r.task_id LIMIT $5) AS c \
       GROUP BY c.task_group \
       HAVING NOT EXISTS (SELECT 1 FROM argos_tasks h JOIN argos_task_runs hr ON hr.task_id = h.id \
         WHERE h.task_group = c.task_group AND hr.lease_until >= $1) \
       ORDER BY min(c.next_run), min(c.id) LIMIT $2)) \
     RETURNING task_id"
);

/// The wire form of the tasks just leased.
const LEASED: &str = concat!(
    "SELECT ",
    wire_task_cols!(),
    " FROM ",
    with_runs!(),
    " WHERE id IN (SELECT value FROM jsonb_each($1))"
);

pub(super) async fn lease(
    pool: &SqlitePool,
    agent: &str,
    lease_id: &str,
    max_groups: i64,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Task>, Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let ids: Vec<i64> = sqlx::query_scalar(LEASE)
        .bind(ms(now))
        .bind(max_groups)
        .bind(agent)
        .bind(ms(until))
        .bind(max_groups.saturating_mul(ROWS_PER_GROUP))
        .bind(lease_id)
        .fetch_all(&mut *tx)
        .await?;
    let rows = sqlx::query(LEASED)
        .bind(Json(&ids))
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    let mut tasks = rows
        .iter()
        .map(|r| rows::wire_task(r, agent, now))
        .collect::<Result<Vec<_>, _>>()?;
    tasks.sort_by(|a, b| (&a.task_group, a.id).cmp(&(&b.task_group, b.id)));
    Ok(tasks)
}

read_queries!(
    SqlitePool,
    ms,
    super::domains::page_sqlite,
    q::DOMAIN_TASKS_SQLITE
);
outbox_queries!(SqlitePool, ms);
user_queries!(SqlitePool, ms);
agent_token_queries!(SqlitePool, ms);

/// Results deleted per purge statement: about 20 ms at a few million results, so an ingest
/// waits at most that long for the single writer (one unbounded `DELETE` of a day of
/// results held it for seconds, past the busy timeout).
const PURGE_BATCH: i64 = 2_000;
/// Pause between two purge statements, as for the roll-ups (`rollups_sqlite`): a writer
/// waiting on the busy timeout gets its turn.
const PURGE_PAUSE: Duration = Duration::from_millis(150);

/// Deletes old results, one bounded batch per statement and a pause between them. SQLite
/// has a single writer, so there is no second replica to keep out.
pub(super) async fn purge_results(
    pool: &SqlitePool,
    older_than: DateTime<Utc>,
) -> Result<u64, Error> {
    let mut total = 0;
    loop {
        let done = sqlx::query(q::PURGE_RESULTS_BATCH)
            .bind(ms(older_than))
            .bind(PURGE_BATCH)
            .execute(pool)
            .await?
            .rows_affected();
        total += done;
        if done < PURGE_BATCH as u64 {
            return Ok(total);
        }
        tokio::time::sleep(PURGE_PAUSE).await;
    }
}
