//! The bench's command line.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Where Argos keeps its data in a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// A fresh SQLite file in the work directory.
    Sqlite,
    /// A fresh database on the PostgreSQL server of `DATABASE_URL`, dropped afterwards.
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// Benchmarks the real `argos` server and agents against a local site farm, with no internet.
///
/// For each backend × agent count: the ceiling (the farm's requests on fresh connections by
/// a minimal client), the server's start, a cold start (every task due at once) to
/// completion, a steady state (every task every minute), a config reload, and what the
/// processes cost. Prints one table at the end.
#[derive(Debug, Clone, Parser)]
#[command(name = "argos-bench", version)]
pub struct Args {
    /// Websites in the farm (each: 3 checks, 2 requests).
    #[arg(long, default_value_t = 2_000)]
    pub sites: usize,
    /// Agent processes, one scenario per value.
    #[arg(long, value_delimiter = ',', default_value = "1,4")]
    pub agents: Vec<usize>,
    /// Backends, one scenario per value (postgres needs DATABASE_URL).
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    pub backends: Vec<Backend>,
    /// Minutes of steady state after the cold start.
    #[arg(long, default_value_t = 3.0)]
    pub steady_minutes: f64,
    /// Stop after the cold start (no steady state).
    #[arg(long)]
    pub cold_only: bool,
    /// An admin URL of PostgreSQL: each scenario creates a fresh database there, then drops it.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// The `argos` binary [default: next to this one, else target/release/argos].
    #[arg(long, env = "ARGOS_BIN")]
    pub argos: Option<PathBuf>,
    /// The agents' `--max-tasks` (request groups in flight per agent). The default, 667
    /// groups of 1.5 checks on average, is the 1,000 checks in flight the agent's memory target
    /// names; it also keeps a cold start from waiting on lease calls (at 50, a slot spends
    /// longer waiting for its next lease than running its check).
    #[arg(long, default_value_t = 667)]
    pub max_tasks: usize,
    /// The agents' `--wait-time`, seconds to sleep when nothing is due.
    #[arg(long, default_value_t = 1)]
    pub wait_time: u64,
    /// Requests in flight of the ceiling's client.
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    /// The farm's port (0: any free one).
    #[arg(long, default_value_t = 0)]
    pub farm_port: u16,
    /// Record a CPU profile (`perf record -e cpu-clock -g`) of the server, the agents and
    /// the PostgreSQL backends during each cold start, into the work directory.
    #[arg(long)]
    pub perf: bool,
    /// Keep the work directory (configs, logs, SQLite files, profiles) and print its path.
    #[arg(long)]
    pub keep: bool,
}
