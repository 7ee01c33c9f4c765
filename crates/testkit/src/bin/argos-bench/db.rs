//! The scenario's database, as the bench reads it from outside the server: results and their
//! times, the tasks' request groups, the database's size, and (PostgreSQL) the backend
//! processes serving it. Reads only the columns of `argos_results` and `argos_tasks` that
//! carry the data model (ids, urls, groups, times), not the scheduling state.

use std::path::Path;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Executor};

use crate::Error;
use crate::args::Backend;

/// The bench's own connections, left out of the backends it measures.
const APP_NAME: &str = "argos-bench";

/// One stored result.
#[derive(Debug, Clone, Copy)]
pub struct ResultRow {
    pub task_id: i64,
    /// When the server stored it, Unix ms.
    pub at_ms: i64,
    pub elapsed_ms: Option<f64>,
    pub ok: bool,
}

/// One task: its URL and request group.
#[derive(Debug, Clone)]
pub struct TaskRow {
    pub url: String,
    pub task_group: String,
    pub frequency_s: f64,
}

enum Kind {
    Sqlite {
        path: std::path::PathBuf,
        pool: Option<SqlitePool>,
    },
    Postgres {
        admin: PgPool,
        name: String,
        pool: PgPool,
    },
}

/// A fresh database for one scenario.
pub struct BenchDb {
    /// `general.db.url` for Argos.
    pub argos_url: String,
    kind: Kind,
}

impl BenchDb {
    /// A new SQLite file in `dir`, or a new database on the PostgreSQL server of `admin_url`.
    pub async fn create(
        backend: Backend,
        dir: &Path,
        admin_url: Option<&str>,
    ) -> Result<BenchDb, Error> {
        match backend {
            Backend::Sqlite => {
                let path = dir.join("argos.db");
                Ok(BenchDb {
                    argos_url: format!("sqlite:///{}", path.display()),
                    kind: Kind::Sqlite { path, pool: None },
                })
            }
            Backend::Postgres => {
                let admin_url =
                    admin_url.ok_or("PostgreSQL needs DATABASE_URL (or --database-url)")?;
                let options = PgConnectOptions::from_str(admin_url)?.application_name(APP_NAME);
                let admin = PgPoolOptions::new()
                    .max_connections(2)
                    .connect_with(options.clone())
                    .await?;
                let name = format!("argos_bench_{}", uuid::Uuid::new_v4().simple());
                admin
                    .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await?;
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(options.database(&name))
                    .await?;
                let mut url = url::Url::parse(admin_url)?;
                url.set_path(&name);
                Ok(BenchDb {
                    argos_url: url.to_string(),
                    kind: Kind::Postgres { admin, name, pool },
                })
            }
        }
    }

    /// Opens the SQLite file read-only, once the server has created it.
    pub async fn attach(&mut self) -> Result<(), Error> {
        if let Kind::Sqlite { path, pool } = &mut self.kind {
            let options = SqliteConnectOptions::new().filename(&*path).read_only(true);
            *pool = Some(
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options)
                    .await?,
            );
        }
        Ok(())
    }

    fn sqlite(pool: &Option<SqlitePool>) -> Result<&SqlitePool, Error> {
        pool.as_ref()
            .ok_or_else(|| "the SQLite file is not attached yet".into())
    }

    /// Tasks that have at least one result.
    pub async fn tasks_done(&self) -> Result<i64, Error> {
        const SQL: &str = "SELECT count(DISTINCT task_id) FROM argos_results";
        Ok(match &self.kind {
            Kind::Sqlite { pool, .. } => {
                sqlx::query_scalar(SQL)
                    .fetch_one(Self::sqlite(pool)?)
                    .await?
            }
            Kind::Postgres { pool, .. } => sqlx::query_scalar(SQL).fetch_one(pool).await?,
        })
    }

    /// Every stored result.
    pub async fn results(&self) -> Result<Vec<ResultRow>, Error> {
        type Row = (i64, i64, Option<f64>, String);
        let rows: Vec<Row> =
            match &self.kind {
                Kind::Sqlite { pool, .. } => {
                    sqlx::query_as(
                        "SELECT task_id, submitted_at, elapsed_ms, severity FROM argos_results",
                    )
                    .fetch_all(Self::sqlite(pool)?)
                    .await?
                }
                Kind::Postgres { pool, .. } => sqlx::query_as(
                    "SELECT task_id, (extract(epoch FROM submitted_at) * 1000)::int8, elapsed_ms, \
                     severity FROM argos_results",
                )
                .fetch_all(pool)
                .await?,
            };
        Ok(rows
            .into_iter()
            .map(|(task_id, at_ms, elapsed_ms, severity)| ResultRow {
                task_id,
                at_ms,
                elapsed_ms,
                ok: severity == "ok",
            })
            .collect())
    }

    /// Every task's URL and request group.
    pub async fn tasks(&self) -> Result<Vec<TaskRow>, Error> {
        const SQL: &str = "SELECT url, task_group, frequency_s FROM argos_tasks";
        let rows: Vec<(String, String, f64)> = match &self.kind {
            Kind::Sqlite { pool, .. } => sqlx::query_as(SQL).fetch_all(Self::sqlite(pool)?).await?,
            Kind::Postgres { pool, .. } => sqlx::query_as(SQL).fetch_all(pool).await?,
        };
        Ok(rows
            .into_iter()
            .map(|(url, task_group, frequency_s)| TaskRow {
                url,
                task_group,
                frequency_s,
            })
            .collect())
    }

    /// The database's size in bytes: SQLite's pages in use (WAL content included, as a reader
    /// sees it), or `pg_database_size`.
    pub async fn size_bytes(&self) -> Result<i64, Error> {
        match &self.kind {
            Kind::Sqlite { pool, .. } => {
                let pool = Self::sqlite(pool)?;
                let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
                    .fetch_one(pool)
                    .await?;
                let free: i64 = sqlx::query_scalar("PRAGMA freelist_count")
                    .fetch_one(pool)
                    .await?;
                let size: i64 = sqlx::query_scalar("PRAGMA page_size")
                    .fetch_one(pool)
                    .await?;
                Ok((pages - free) * size)
            }
            Kind::Postgres { pool, .. } => Ok(sqlx::query_scalar(
                "SELECT pg_database_size(current_database())",
            )
            .fetch_one(pool)
            .await?),
        }
    }

    /// The PostgreSQL backends serving this database for others than the bench (none on
    /// SQLite, which runs inside the server).
    pub async fn backend_pids(&self) -> Result<Vec<u32>, Error> {
        let Kind::Postgres { admin, name, .. } = &self.kind else {
            return Ok(Vec::new());
        };
        let pids: Vec<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name <> $2",
        )
        .bind(name)
        .bind(APP_NAME)
        .fetch_all(admin)
        .await?;
        Ok(pids
            .into_iter()
            .filter_map(|p| u32::try_from(p).ok())
            .collect())
    }

    /// Drops the PostgreSQL database (the SQLite file goes with the work directory).
    pub async fn drop_database(self) -> Result<(), Error> {
        match self.kind {
            Kind::Sqlite { pool, .. } => {
                if let Some(pool) = pool {
                    pool.close().await;
                }
            }
            Kind::Postgres { admin, name, pool } => {
                pool.close().await;
                admin
                    .execute(AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    )))
                    .await?;
            }
        }
        Ok(())
    }
}
