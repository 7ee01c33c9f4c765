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
//!   a JSON array parameter, leasing); `ingest_pg`, `ingest_sqlite`: ingestion (on
//!   PostgreSQL in statements small enough to leave at once); `retention_pg`: the day
//!   partitions of results;
//!   `migrate`: the embedded migrations;
//! - `api_*`: the `Store` methods, by topic (agents' work, pages, alerts, users, retention).
//!
//! Tables: a task's configuration and latest result live in `argos_tasks`; its due time and
//! lease, rewritten at every lease and result, in the narrow `argos_task_runs` (migration
//! 0010), so that those writes stay small and the wide row is updated in place.
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
mod ingest_pg;
mod ingest_sqlite;
mod migrate;
mod model;
mod outbox;
mod outbox_pg;
mod outbox_sqlite;
mod postgres;
mod queries;
mod reads;
mod retention_pg;
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

use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

pub use agent_tokens::AgentTokenRow;
pub use alerts::{
    AlertKind, AlertRecord, AlertTask, AlertView, Delivery, DeliveryOutcome, DeliveryView, NewAlert,
};
pub use model::{
    AgentRow, DomainFilter, DomainRow, DomainSort, DomainsPage, Finished, Ingested, ResultView,
    SeverityCounts, Stats, SyncStats, TaskSpec, TaskView,
};
pub use rollups::{CertExpiry, Point, Scope, Step, Tally, Uptime, Windows};
pub use url::{DbTarget, parse_db_url, redact as redact_url, scrub as scrub_url};
pub use users::{NewSession, SessionRow, UserRow};

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

// After the macros, which they use.
mod api_alerts;
mod api_pages;
mod api_retention;
mod api_users;
mod api_work;

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
}
