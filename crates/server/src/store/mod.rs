//! The store: tasks, results and agents, on PostgreSQL or SQLite, behind one API in domain
//! terms (`sync_tasks`, `lease`, `ingest`, the page queries).
//!
//! Layout:
//! - `model`: the domain types; `url`: database URLs in the Argos Panoptès forms;
//! - `sync` and `ingest`: the pure halves of config sync (the diff) and result ingestion
//!   (lease check, next run), shared by both backends;
//! - `rows`: row → domain type mappers, written once over a small column trait;
//!   `queries`: the SQL that is the same text on both backends; `reads`: the functions
//!   around it, generated for each backend;
//! - `postgres`, `sqlite`: connection and the statements that differ (batch writes through
//!   a JSON array parameter, leasing); `migrate`: the embedded migrations.
//!
//! Why native types per backend rather than sqlx's `Any` driver: timestamps are `timestamptz`
//! on PostgreSQL and unix milliseconds on SQLite (numeric comparisons and indexes), JSON is
//! `jsonb` and text, and leasing needs `FOR UPDATE SKIP LOCKED` on PostgreSQL anyway.
//!
//! Our tables are prefixed `argos_` because users point us at the database of their Argos
//! Panoptès install, which already has `tasks`, `results`, … Times are always passed in by
//! the caller (never the database clock), so tests control time.
//!
//! Migrations: `migrations/<backend>/NNNN_name.sql`, embedded and applied by sqlx's
//! `Migrator` (see `migrate` for why not `sqlx::migrate!`).

mod agent_tokens;
mod alerts;
mod domains;
mod ingest;
mod migrate;
mod model;
mod outbox;
mod outbox_pg;
mod outbox_sqlite;
mod postgres;
mod queries;
mod reads;
mod rollups;
mod rollups_pg;
mod rollups_sql;
mod rollups_sqlite;
mod rows;
mod sqlite;
mod sync;
mod unavailable;
mod url;
mod users;

use std::time::Duration;

use argos_checks::{AgentResult, Severity, Status, Task};
use chrono::{DateTime, Utc};
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

pub use agent_tokens::AgentTokenRow;
pub use alerts::{
    AlertKind, AlertRecord, AlertTask, AlertView, Delivery, DeliveryOutcome, DeliveryView, NewAlert,
};
use ingest::Posted;
pub use model::{
    AgentRow, DomainFilter, DomainRow, DomainSort, DomainsPage, Finished, Ingested, ResultView,
    SeverityCounts, Stats, SyncStats, TaskSpec, TaskView,
};
pub use rollups::{CertExpiry, Point, Scope, Step, Tally, Uptime, Windows};
pub use url::{DbTarget, parse_db_url, redact as redact_url, scrub as scrub_url};
pub use users::{NewSession, SessionRow, UserRow};

use crate::alerting::Rules;

/// Store errors. Callers branch on `NotFound`; the rest is logged and reported as a 500.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No such task or result.
    #[error("not found")]
    NotFound,
    /// The database failed (or the URL was not accepted).
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database could not be reached or opened. The message has no password: the
    /// URL's secrets are blanked out of it.
    #[error("{0}")]
    Connect(String),
}

impl Error {
    /// Whether the same call may succeed later, unchanged: the database could not be reached
    /// or answered in time, the pool had no free connection, the server is shutting down or
    /// short of resources, or a lock, deadlock or serialization conflict got in the way.
    /// Anything else (a constraint violated, a value the database cannot store, a row that
    /// does not decode, a bad URL) fails again on the same input: retrying it would loop.
    pub fn is_transient(&self) -> bool {
        let Error::Db(e) = self else {
            return false;
        };
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::BeginFailed => true,
            sqlx::Error::Database(db) => transient_database_error(db.as_ref()),
            _ => false,
        }
    }
}

/// PostgreSQL: SQLSTATE classes 08 (connection), 40 (serialization failure, deadlock), 53
/// (insufficient resources), 57 (shutdown, statement timeout), 58 (I/O) and 55P03 (lock not
/// available). SQLite: BUSY and LOCKED (the primary code is the low byte of the extended
/// one), IOERR, FULL, CANTOPEN and PROTOCOL.
fn transient_database_error(db: &dyn sqlx::error::DatabaseError) -> bool {
    if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
        let code = pg.code();
        return ["08", "40", "53", "57", "58"]
            .iter()
            .any(|class| code.starts_with(class))
            || code == "55P03";
    }
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        let primary = db
            .code()
            .and_then(|c| c.parse::<u32>().ok())
            .map(|c| c & 0xff);
        return matches!(primary, Some(5 | 6 | 10 | 13 | 14 | 15));
    }
    false
}

/// PostgreSQL advisory-lock key of the maintenance round ("argos-mt" in ASCII): replicas
/// sharing one database run it in turn, never together.
pub const MAINTENANCE_LOCK: i64 = 0x6172_676f_732d_6d74;

/// Connection pool to one backend. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Inner,
}

#[derive(Clone, Debug)]
enum Inner {
    Pg(PgPool),
    Sqlite(SqlitePool),
}

/// Calls the function of the same name in the backend module, with the pool first.
macro_rules! dispatch {
    ($self:ident . $f:ident ( $($arg:expr),* )) => {
        match &$self.inner {
            Inner::Pg(pool) => postgres::$f(pool, $($arg),*).await,
            Inner::Sqlite(pool) => sqlite::$f(pool, $($arg),*).await,
        }
    };
}

/// [`dispatch!`] for the roll-up functions, which live in their own backend files.
macro_rules! dispatch_rollups {
    ($self:ident . $f:ident ( $($arg:expr),* )) => {
        match &$self.inner {
            Inner::Pg(pool) => rollups_pg::$f(pool, $($arg),*).await,
            Inner::Sqlite(pool) => rollups_sqlite::$f(pool, $($arg),*).await,
        }
    };
}

impl Store {
    /// Connects to `url` (see [`parse_db_url`]). SQLite files are created if missing and use
    /// WAL, a 5 s busy timeout, foreign keys and `synchronous = NORMAL`; an in-memory
    /// database is one shared connection.
    ///
    /// # Errors
    /// `Error::Connect`, without the URL's password: an unsupported URL, or the connection
    /// failed.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, Error> {
        let target = parse_db_url(url).map_err(Error::Connect)?;
        let max = max_connections.max(1);
        let inner = match target {
            DbTarget::Postgres(url) => postgres::connect(&url, max).await.map(Inner::Pg),
            DbTarget::Sqlite(path) => sqlite::connect_file(&path, max).await.map(Inner::Sqlite),
            DbTarget::SqliteMemory => sqlite::connect_memory().await.map(Inner::Sqlite),
        };
        let inner = inner.map_err(|e| Error::Connect(scrub_url(&e.to_string(), url)))?;
        Ok(Store { inner })
    }

    /// Applies the pending migrations (idempotent; on PostgreSQL, replicas starting together
    /// are serialised by sqlx's advisory lock).
    ///
    /// # Errors
    /// A migration failed, or an applied migration differs from the embedded one.
    pub async fn migrate(&self) -> Result<(), Error> {
        match &self.inner {
            Inner::Pg(pool) => migrate::postgres().run(pool).await?,
            Inner::Sqlite(pool) => migrate::sqlite().run(pool).await?,
        }
        Ok(())
    }

    /// `"postgresql"` or `"sqlite"`.
    pub fn backend(&self) -> &'static str {
        match self.inner {
            Inner::Pg(_) => "postgresql",
            Inner::Sqlite(_) => "sqlite",
        }
    }

    /// Makes the stored tasks match `desired`, in one transaction (a diff by key: unchanged
    /// tasks keep their id, state and history; new ones are due at `now`; a shorter
    /// frequency brings `next_run` forward to at most `now + frequency`).
    ///
    /// # Errors
    /// Database errors; nothing is changed then.
    pub async fn sync_tasks(
        &self,
        desired: &[TaskSpec],
        now: DateTime<Utc>,
    ) -> Result<SyncStats, Error> {
        dispatch!(self.sync_tasks(desired, now))
    }

    /// Leases up to `max_groups` request groups that have a due task, earliest first: every
    /// task of those groups goes to `agent` until `now + lease_for`. Groups go whole or not
    /// at all: a group with a task under a live lease, or being leased by another call at
    /// the same moment, is skipped (so no two agents ever send a group's request). Each call
    /// is a new lease: a fresh `lease_id`, stored on its tasks and sent with each of them.
    ///
    /// # Errors
    /// Database errors.
    pub async fn lease(
        &self,
        agent: &str,
        max_groups: u32,
        lease_for: Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<Task>, Error> {
        let lease_for = chrono::TimeDelta::from_std(lease_for).unwrap_or(chrono::TimeDelta::MAX);
        let until = now
            .checked_add_signed(lease_for)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        let lease_id = uuid::Uuid::new_v4().simple().to_string();
        dispatch!(self.lease(agent, &lease_id, i64::from(max_groups.max(1)), until, now))
    }

    /// Stores results from `agent`, in one transaction. A result counts only if its task is
    /// leased to `agent` (an expired lease still counts while nobody else holds the task)
    /// and, when it names its lease (`lease_id`), under that very lease; others are skipped,
    /// not errors. A task appearing twice keeps its last result. Each
    /// result steps its task's alert state under `rules`, and the alerts raised are written
    /// to the outbox in the same transaction.
    ///
    /// # Errors
    /// Database errors; nothing is stored then.
    pub async fn ingest_with_rules(
        &self,
        agent: &str,
        results: &[Finished],
        rules: &Rules,
        now: DateTime<Utc>,
    ) -> Result<Vec<Ingested>, Error> {
        let posted: Vec<Posted<'_>> = results
            .iter()
            .map(|f| Posted {
                task_id: f.task_id,
                context: &f.context,
                elapsed_ms: f.elapsed_ms,
                lease_id: None,
            })
            .collect();
        let finalize = |_: &str, i: usize| (results[i].status, results[i].severity);
        dispatch!(self.ingest(agent, &posted, &finalize, rules, now))
    }

    /// [`Store::ingest_with_rules`] under the default rules (no website settings, no
    /// routing: alerts are recorded, sent nowhere).
    ///
    /// # Errors
    /// Database errors; nothing is stored then.
    pub async fn ingest(
        &self,
        agent: &str,
        results: &[Finished],
        now: DateTime<Utc>,
    ) -> Result<Vec<Ingested>, Error> {
        self.ingest_with_rules(agent, results, &Rules::default(), now)
            .await
    }

    /// [`Store::ingest`] for results as agents post them: `finalize(check, result)` gives
    /// each one's `(status, severity)`, with the check name read in the same query that
    /// checks the lease.
    ///
    /// # Errors
    /// Database errors; nothing is stored then.
    pub async fn ingest_agent_results<F>(
        &self,
        agent: &str,
        results: &[AgentResult],
        finalize: &F,
        rules: &Rules,
        now: DateTime<Utc>,
    ) -> Result<Vec<Ingested>, Error>
    where
        F: Fn(&str, &AgentResult) -> (Status, Severity) + Sync,
    {
        let posted: Vec<Posted<'_>> = results
            .iter()
            .map(|r| Posted {
                task_id: r.task_id,
                context: &r.context,
                elapsed_ms: r.elapsed_ms,
                lease_id: r.lease_id.as_deref(),
            })
            .collect();
        let finalize = |check: &str, i: usize| finalize(check, &results[i]);
        dispatch!(self.ingest(agent, &posted, &finalize, rules, now))
    }

    /// Records that `agent` was seen at `now` (it polled, even with nothing to do).
    ///
    /// # Errors
    /// Database errors.
    pub async fn touch_agent(&self, agent: &str, now: DateTime<Utc>) -> Result<(), Error> {
        dispatch!(self.touch_agent(agent, None, now))
    }

    /// [`Store::touch_agent`], recording the agent's version (its User-Agent).
    ///
    /// # Errors
    /// Database errors.
    pub async fn touch_agent_version(
        &self,
        agent: &str,
        version: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        dispatch!(self.touch_agent(agent, version, now))
    }

    /// Every agent ever seen, by name.
    ///
    /// # Errors
    /// Database errors.
    pub async fn agents(&self) -> Result<Vec<AgentRow>, Error> {
        dispatch!(self.agents())
    }

    /// Number of tasks per current severity (every severity present).
    ///
    /// # Errors
    /// Database errors.
    pub async fn severity_counts(&self) -> Result<SeverityCounts, Error> {
        dispatch!(self.severity_counts())
    }

    /// Tasks due at `now` and not under a live lease.
    ///
    /// # Errors
    /// Database errors.
    pub async fn waiting_count(&self, now: DateTime<Utc>) -> Result<i64, Error> {
        dispatch!(self.waiting_count(now))
    }

    /// One page of domains: the tasks matching `filter` (and whose netloc contains `search`,
    /// case-insensitively), grouped by netloc, worst severity first, then by netloc.
    ///
    /// # Errors
    /// Database errors.
    pub async fn domains_page(
        &self,
        filter: DomainFilter,
        search: Option<&str>,
        sort: DomainSort,
        offset: i64,
        limit: i64,
    ) -> Result<DomainsPage, Error> {
        dispatch!(self.domains_page(filter, search, sort, offset.max(0), limit.max(0)))
    }

    /// The tasks whose netloc is exactly `netloc`, by url, check and IP version.
    ///
    /// # Errors
    /// Database errors.
    pub async fn domain_tasks(&self, netloc: &str) -> Result<Vec<TaskView>, Error> {
        dispatch!(self.domain_tasks(netloc))
    }

    /// One task.
    ///
    /// # Errors
    /// `NotFound`, or database errors.
    pub async fn task(&self, id: i64) -> Result<TaskView, Error> {
        dispatch!(self.task(id))
    }

    /// A task's results, newest first: up to `limit` results older than `before_id` (the
    /// last id of the previous page; `None` for the first page).
    ///
    /// # Errors
    /// Database errors.
    pub async fn task_results(
        &self,
        task_id: i64,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<ResultView>, Error> {
        dispatch!(self.task_results(task_id, before_id.unwrap_or(i64::MAX), limit.max(0)))
    }

    /// One result.
    ///
    /// # Errors
    /// `NotFound`, or database errors.
    pub async fn result(&self, id: i64) -> Result<ResultView, Error> {
        dispatch!(self.result(id))
    }

    /// Deletes results submitted before `older_than`, except each task's latest one.
    /// Returns how many were deleted.
    ///
    /// # Errors
    /// Database errors.
    pub async fn purge_results(&self, older_than: DateTime<Utc>) -> Result<u64, Error> {
        dispatch!(self.purge_results(older_than))
    }

    /// Makes every task whose severity is not ok due at `now`. Returns how many moved.
    ///
    /// # Errors
    /// Database errors.
    pub async fn reschedule_non_ok(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        dispatch!(self.reschedule_non_ok(now))
    }

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

    /// Makes task `id` due at `now` ("recheck now"). Returns 1 if it moved, 0 if it was due.
    ///
    /// # Errors
    /// Database errors.
    pub async fn recheck_task(&self, id: i64, now: DateTime<Utc>) -> Result<u64, Error> {
        dispatch!(self.recheck_task(id, now))
    }

    /// Makes every task of `netloc` due at `now`. Returns how many moved.
    ///
    /// # Errors
    /// Database errors.
    pub async fn recheck_domain(&self, netloc: &str, now: DateTime<Utc>) -> Result<u64, Error> {
        dispatch!(self.recheck_domain(netloc, now))
    }

    /// Adds a user; false when the name is taken.
    ///
    /// # Errors
    /// Database errors.
    pub async fn create_user(
        &self,
        username: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        dispatch!(self.create_user(username, hash, now))
    }

    /// One user, by name.
    ///
    /// # Errors
    /// Database errors.
    pub async fn user(&self, username: &str) -> Result<Option<UserRow>, Error> {
        dispatch!(self.user(username))
    }

    /// Every user, by name.
    ///
    /// # Errors
    /// Database errors.
    pub async fn users(&self) -> Result<Vec<UserRow>, Error> {
        dispatch!(self.users())
    }

    /// Sets a user's password hash and ends their sessions; false when there is no such user.
    ///
    /// # Errors
    /// Database errors.
    pub async fn set_password(
        &self,
        username: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        dispatch!(self.set_password(username, hash, now))
    }

    /// Disables (ending their sessions) or enables a user; false when there is no such user
    /// or it already was so.
    ///
    /// # Errors
    /// Database errors.
    pub async fn set_disabled(
        &self,
        username: &str,
        disabled: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        dispatch!(self.set_disabled(username, disabled, now))
    }

    /// Deletes a user and their sessions; false when there is no such user.
    ///
    /// # Errors
    /// Database errors.
    pub async fn delete_user(&self, username: &str) -> Result<bool, Error> {
        dispatch!(self.delete_user(username))
    }

    /// Records a successful login.
    ///
    /// # Errors
    /// Database errors.
    pub async fn record_login(&self, user_id: i64, now: DateTime<Utc>) -> Result<(), Error> {
        dispatch!(self.record_login(user_id, now))
    }

    /// Stores a new session.
    ///
    /// # Errors
    /// Database errors.
    pub async fn create_session(
        &self,
        session: &NewSession<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        dispatch!(self.create_session(session, now))
    }

    /// The live session `id` at `now` (not expired, its user enabled).
    ///
    /// # Errors
    /// Database errors.
    pub async fn session(&self, id: &str, now: DateTime<Utc>) -> Result<Option<SessionRow>, Error> {
        dispatch!(self.session(id, now))
    }

    /// Ends session `id` (logout).
    ///
    /// # Errors
    /// Database errors.
    pub async fn delete_session(&self, id: &str) -> Result<(), Error> {
        dispatch!(self.delete_session(id))
    }

    /// Deletes the sessions expired at `now`; how many.
    ///
    /// # Errors
    /// Database errors.
    pub async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64, Error> {
        dispatch!(self.purge_sessions(now))
    }

    /// Binds the token whose hash is `hash` to the agent `name`; false when `name` already
    /// has a token.
    ///
    /// # Errors
    /// Database errors (a hash already stored, too: tokens are random, so never in practice).
    pub async fn add_agent_token(
        &self,
        name: &str,
        hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, Error> {
        dispatch!(self.add_agent_token(name, hash, now))
    }

    /// The per-agent tokens, by agent name.
    ///
    /// # Errors
    /// Database errors.
    pub async fn agent_tokens(&self) -> Result<Vec<AgentTokenRow>, Error> {
        dispatch!(self.agent_tokens())
    }

    /// Deletes the token of agent `name`; false when it has none.
    ///
    /// # Errors
    /// Database errors.
    pub async fn revoke_agent_token(&self, name: &str) -> Result<bool, Error> {
        dispatch!(self.revoke_agent_token(name))
    }

    /// The agent the token whose hash is `hash` is bound to.
    ///
    /// # Errors
    /// Database errors.
    pub async fn agent_token_owner(&self, hash: &str) -> Result<Option<String>, Error> {
        dispatch!(self.agent_token_owner(hash))
    }

    /// Whether agent `name` has a token of its own (then only that token may act for it).
    ///
    /// # Errors
    /// Database errors.
    pub async fn has_agent_token(&self, name: &str) -> Result<bool, Error> {
        dispatch!(self.has_agent_token(name))
    }

    /// The earliest due time among the tasks waiting for an agent (`None`: none waits).
    ///
    /// # Errors
    /// Database errors.
    pub async fn oldest_waiting(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, Error> {
        dispatch!(self.oldest_waiting(now))
    }

    /// Rebuilds the domains page's per-domain summaries from the tasks (sync and ingestion
    /// keep them; this is for tasks changed by other means, such as a bulk import).
    ///
    /// # Errors
    /// Database errors.
    pub async fn rebuild_domains(&self) -> Result<(), Error> {
        dispatch!(self.rebuild_domains())
    }

    /// `GET /api/stats`: waiting tasks, stored results, tasks under a live lease.
    ///
    /// # Errors
    /// Database errors.
    pub async fn stats(&self, now: DateTime<Utc>) -> Result<Stats, Error> {
        dispatch!(self.stats(now))
    }

    /// Uptime of each task of `scope` over the last 24 hours, 7 days and 30 days (whole
    /// buckets, see [`Windows`]), read from the roll-ups. Tasks without any result in 30
    /// days are absent.
    ///
    /// # Errors
    /// Database errors.
    pub async fn uptimes(
        &self,
        scope: Scope<'_>,
        now: DateTime<Utc>,
    ) -> Result<std::collections::BTreeMap<i64, Uptime>, Error> {
        dispatch_rollups!(self.uptimes(scope, now))
    }

    /// Response times of the tasks of `scope` together, one point per `step` bucket starting
    /// in `[from, to)` that has results, oldest first, read from the roll-ups.
    ///
    /// # Errors
    /// Database errors.
    pub async fn response_times(
        &self,
        scope: Scope<'_>,
        step: Step,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Point>, Error> {
        dispatch_rollups!(self.response_times(scope, step, from, to))
    }

    /// When the certificate of each task of `netloc` expires, as its latest result reported
    /// it (tasks whose latest result has no certificate are absent).
    ///
    /// # Errors
    /// Database errors.
    pub async fn certificate_expiries(&self, netloc: &str) -> Result<Vec<CertExpiry>, Error> {
        dispatch_rollups!(self.certificate_expiries(netloc))
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
}
