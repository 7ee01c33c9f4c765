//! The agent's streaming pipeline (ARCHITECTURE.md, "The agent"):
//!
//! ```text
//! lease calls (2 in flight) ──groups──▶ bounded in-flight set (N permits, one request per group)
//!      ▲                                       │ results
//!      └── leases more as slots free ◀─────────┴──▶ reporter (flush every 100 ms, 200 results
//!            (module `lease`)                        or 4 MiB; 4 posts in flight; retry with
//!                                                    backoff; bounded buffer) ──▶ server
//! ```
//! Several lease and report calls are in flight because the server takes tens to hundreds of
//! milliseconds per call: one of each, waited on in turn, capped the agent near a thousand
//! checks per second whatever the sites' speed.
//!
//! There is no batch barrier: a slow site holds one permit, not the whole agent. When the server
//! is unreachable, results wait in the reporter's bounded outbox; once it is full, checks block
//! handing theirs over, no permit frees, and leasing pauses — nothing is lost and memory stays
//! bounded. The lease loop and the reporter live or die together: if either ends, [`run`]
//! stops the other and returns an error.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use argos_checks::Task;
use argos_checks::group::request_key;
use argos_checks::probe::Probe;
use tokio::sync::mpsc;
use tokio::time::timeout;

use crate::lease::lease_loop;
use crate::report::report_with;
use crate::source::TaskSource;

/// How long shutdown waits for the checks in flight and their results.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
/// Results waiting between the checks and the reporter; the reporter's outbox is the real
/// (byte-bounded) buffer.
const HANDOFF: usize = 1_000;

/// Lease calls in flight at most, by default.
pub const DEFAULT_LEASES_IN_FLIGHT: usize = 2;
/// Report calls (posts of results) in flight at most, by default.
pub const DEFAULT_REPORTS_IN_FLIGHT: usize = 4;

/// How the pipeline runs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Request groups running at most.
    pub max_in_flight: usize,
    /// Pause after the server had nothing due.
    pub idle_wait: Duration,
    /// Lease calls in flight at most. With more than one, up to `max_in_flight` groups are
    /// leased ahead of a free permit (see module `lease`); with one, none is.
    pub leases_in_flight: usize,
    /// Posts of results in flight at most.
    pub reports_in_flight: usize,
}

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            max_in_flight: 50,
            idle_wait: Duration::from_secs(10),
            leases_in_flight: DEFAULT_LEASES_IN_FLIGHT,
            reports_in_flight: DEFAULT_REPORTS_IN_FLIGHT,
        }
    }
}

/// Why the agent stopped on its own.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// A part of the pipeline ended or panicked. Going on without it would lease tasks whose
    /// results are never posted (or post none for want of leases), so the agent stops.
    #[error("the agent's {part} died: {why}")]
    Died {
        /// `lease loop` or `result reporter`.
        part: &'static str,
        /// The panic message, or that it returned.
        why: String,
    },
}

const LEASE_LOOP: &str = "lease loop";
const REPORTER: &str = "result reporter";

/// Runs until `shutdown` resolves, then stops leasing, finishes the checks in flight and
/// flushes their results (best effort: a server that is down at shutdown loses them).
///
/// # Errors
/// When the lease loop or the reporter dies (a panic, a bug): the agent then stops at once
/// rather than lease tasks it cannot report, or hold results it cannot send.
pub async fn run<S: TaskSource>(
    source: Arc<S>,
    probe: Arc<Probe>,
    opts: RunOptions,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), AgentError> {
    let (tx, rx) = mpsc::channel(HANDOFF);
    let posts = opts.reports_in_flight;
    let mut reporter = tokio::spawn(report_with(source.clone(), rx, posts));
    let mut leaser = tokio::spawn(lease_loop(source, probe, opts, tx));
    tokio::pin!(shutdown);
    tokio::select! {
        ended = &mut leaser => {
            reporter.abort();
            return Err(died(LEASE_LOOP, ended));
        }
        ended = &mut reporter => {
            leaser.abort();
            return Err(died(REPORTER, ended));
        }
        () = &mut shutdown => {}
    }
    // Dropping the lease loop drops its sender; the in-flight checks hold clones of it, so
    // the reporter ends once they have all finished and their results are posted. A server
    // that stays down must not keep the process from exiting.
    leaser.abort();
    match timeout(SHUTDOWN_GRACE, &mut reporter).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(died(REPORTER, Err(e))),
        Err(_) => {
            reporter.abort();
            tracing::warn!("results still unsent at shutdown were dropped");
            Ok(())
        }
    }
}

/// What a part that ended on its own says.
fn died(part: &'static str, ended: Result<(), tokio::task::JoinError>) -> AgentError {
    let why = match ended {
        Ok(()) => "it returned".to_owned(),
        Err(e) if e.is_panic() => {
            let payload = e.into_panic();
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned());
            format!(
                "it panicked: {}",
                text.unwrap_or_else(|| "(no message)".into())
            )
        }
        Err(e) => e.to_string(),
    };
    tracing::error!(part, %why, "the agent stops");
    AgentError::Died { part, why }
}

/// Groups tasks by the request they need, keeping the server's order.
pub(crate) fn group_by_request(tasks: Vec<Task>) -> Vec<Vec<Task>> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut groups: Vec<Vec<Task>> = Vec::new();
    for task in tasks {
        let key = request_key(&task);
        match index.get(&key) {
            Some(&i) => groups[i].push(task),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![task]);
            }
        }
    }
    groups
}
