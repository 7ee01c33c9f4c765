//! Alerting: when to tell people, and whom.
//!
//! - [`step`]: the pure state machine of one task (confirmation, recovery, reminders,
//!   maintenance), table-tested;
//! - [`rules`]: the config's policies, routing and maintenance windows, looked up per task;
//! - [`maintenance`]: when a window is open.
//!
//! The store runs the step inside the ingest transaction and writes the events to the alert
//! outbox with the results that caused them; `crate::notify` sends them after commit.

pub mod maintenance;
pub mod no_agent;
pub mod rules;
pub mod step;
#[cfg(test)]
mod tests;

pub use rules::Rules;
pub use step::{AlertState, Event, EventKind, Observation, Policy, step};
