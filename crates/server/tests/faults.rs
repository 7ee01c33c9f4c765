//! Faults survived and hostile input, with real processes: the `argos` binary as server and
//! agents, killed and stopped; two servers and four agents on one PostgreSQL, one of each
//! killed mid-run (scale out); PostgreSQL restarted under load; SQLite locked by another
//! process and its disk full; schemathesis fuzzing the API from its OpenAPI document.
//!
//! Every test here is `#[ignore]`: they take minutes, need root (a tmpfs) and one stops the
//! PostgreSQL that every other test uses, so `.ci/run` runs them after the workspace tests,
//! one at a time: `cargo test -p argos-server --test faults -- --ignored --test-threads=1`.

// A test crate root resolves `mod x;` next to itself, hence the paths.
#[path = "faults/support.rs"]
mod support;

#[path = "faults/agent_killed.rs"]
mod agent_killed;
#[path = "faults/api_fuzz.rs"]
mod api_fuzz;
#[path = "faults/counting.rs"]
mod counting;
#[path = "faults/postgres_restarted.rs"]
mod postgres_restarted;
#[path = "faults/scale_out.rs"]
mod scale_out;
#[path = "faults/server_stopped.rs"]
mod server_stopped;
#[path = "faults/sqlite_faults.rs"]
mod sqlite_faults;
