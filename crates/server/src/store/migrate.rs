//! Schema migrations: `migrations/<backend>/NNNN_name.sql`, embedded with `include_str!` and
//! applied by sqlx's `Migrator` (checksums, one transaction per migration, and on PostgreSQL
//! an advisory lock so that replicas starting together migrate once).
//!
//! Why not `sqlx::migrate!`: it needs sqlx's `macros` feature, which we leave off (it also
//! brings the compile-time checked query macros). The history lives in `argos_migrations`
//! rather than sqlx's default `_sqlx_migrations`, so that nothing else sharing the database
//! (the Argos Panoptès tables sit beside ours) can collide with it.
//!
//! To add a migration: add `NNNN_name.sql` to both folders and a line to both lists below.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// (version, description, SQL), in order.
type Files = &'static [(i64, &'static str, &'static str)];

const POSTGRES: Files = &[
    (
        1,
        "init",
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "request_options",
        include_str!("../../migrations/postgres/0002_request_options.sql"),
    ),
    (
        3,
        "alerts",
        include_str!("../../migrations/postgres/0003_alerts.sql"),
    ),
    (
        4,
        "users",
        include_str!("../../migrations/postgres/0004_users.sql"),
    ),
    (
        5,
        "rollups",
        include_str!("../../migrations/postgres/0005_rollups.sql"),
    ),
    (
        6,
        "agents",
        include_str!("../../migrations/postgres/0006_agents.sql"),
    ),
    (
        7,
        "domains",
        include_str!("../../migrations/postgres/0007_domains.sql"),
    ),
    (
        8,
        "result_count",
        include_str!("../../migrations/postgres/0008_result_count.sql"),
    ),
    (
        9,
        "agent_tokens",
        include_str!("../../migrations/postgres/0009_agent_tokens.sql"),
    ),
    (
        10,
        "task_runs",
        include_str!("../../migrations/postgres/0010_task_runs.sql"),
    ),
    (
        11,
        "result_partitions",
        include_str!("../../migrations/postgres/0011_result_partitions.sql"),
    ),
];
const SQLITE: Files = &[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "request_options",
        include_str!("../../migrations/sqlite/0002_request_options.sql"),
    ),
    (
        3,
        "alerts",
        include_str!("../../migrations/sqlite/0003_alerts.sql"),
    ),
    (
        4,
        "users",
        include_str!("../../migrations/sqlite/0004_users.sql"),
    ),
    (
        5,
        "rollups",
        include_str!("../../migrations/sqlite/0005_rollups.sql"),
    ),
    (
        6,
        "agents",
        include_str!("../../migrations/sqlite/0006_agents.sql"),
    ),
    (
        7,
        "domains",
        include_str!("../../migrations/sqlite/0007_domains.sql"),
    ),
    (
        8,
        "result_count",
        include_str!("../../migrations/sqlite/0008_result_count.sql"),
    ),
    (
        9,
        "agent_tokens",
        include_str!("../../migrations/sqlite/0009_agent_tokens.sql"),
    ),
    (
        10,
        "task_runs",
        include_str!("../../migrations/sqlite/0010_task_runs.sql"),
    ),
    (
        11,
        "result_partitions",
        include_str!("../../migrations/sqlite/0011_result_partitions.sql"),
    ),
];

/// Where applied migrations are recorded.
const TABLE: &str = "argos_migrations";

pub(super) fn postgres() -> Migrator {
    migrator(POSTGRES)
}

pub(super) fn sqlite() -> Migrator {
    migrator(SQLITE)
}

fn migrator(files: Files) -> Migrator {
    let migrations = files
        .iter()
        .map(|&(version, name, sql)| {
            Migration::new(
                version,
                Cow::Borrowed(name),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    let mut migrator = Migrator::with_migrations(migrations);
    migrator.dangerous_set_table_name(TABLE);
    migrator
}
