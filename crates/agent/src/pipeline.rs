//! The agent's streaming pipeline (ARCHITECTURE.md, "The agent"):
//!
//! ```text
//! lease loop ──groups──▶ bounded in-flight set (N permits, one request per group)
//!      ▲                               │ results
//!      └── leases more as permits free ┴──▶ reporter (flush every 100 ms, 200 results or 4 MiB,
//!                                               retry with backoff, bounded buffer) ──▶ server
//! ```
//! There is no batch barrier: a slow site holds one permit, not the whole agent. When the server
//! is unreachable, results wait in the reporter's bounded outbox; once it is full, checks block
//! handing theirs over, no permit frees, and leasing pauses — nothing is lost and memory stays
//! bounded. The lease loop and the reporter live or die together: if either ends, [`run`]
//! stops the other and returns an error.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use argos_checks::group::{request_key, run_group};
use argos_checks::probe::Probe;
use argos_checks::{AgentResult, Task};
use tokio::sync::{Semaphore, mpsc};
use tokio::time::{sleep, timeout};

use crate::backoff::Backoff;
use crate::report::report;
use crate::source::{Lease, TaskSource};

/// How long shutdown waits for the checks in flight and their results.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
/// Results waiting between the checks and the reporter; the reporter's outbox is the real
/// (byte-bounded) buffer.
const HANDOFF: usize = 1_000;

/// How the pipeline runs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Request groups in flight at most.
    pub max_in_flight: usize,
    /// Pause after the server had nothing due.
    pub idle_wait: Duration,
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
    let mut reporter = tokio::spawn(report(source.clone(), rx));
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

async fn lease_loop<S: TaskSource>(
    source: Arc<S>,
    probe: Arc<Probe>,
    opts: RunOptions,
    tx: mpsc::Sender<AgentResult>,
) {
    let permits = Arc::new(Semaphore::new(opts.max_in_flight.max(1)));
    let mut backoff = Backoff::default();
    loop {
        // Wait for a free slot, then ask for as many groups as there are free slots.
        let Ok(first) = permits.clone().acquire_owned().await else {
            return;
        };
        let wanted = 1 + permits.available_permits();
        match source
            .lease(u32::try_from(wanted).unwrap_or(u32::MAX))
            .await
        {
            Ok(lease) if lease.tasks.is_empty() && lease.unreadable.is_empty() => {
                drop(first);
                backoff.reset();
                sleep(opts.idle_wait).await;
            }
            Ok(Lease { tasks, unreadable }) => {
                backoff.reset();
                // Their `error` results release the tasks this agent cannot read.
                for result in unreadable {
                    if tx.send(result).await.is_err() {
                        return;
                    }
                }
                tracing::debug!(tasks = tasks.len(), "leased");
                let mut first = Some(first);
                for group in group_by_request(tasks) {
                    let permit = match first.take() {
                        Some(p) => p,
                        // The server may hand out more groups than asked (the Python server
                        // returned one extra); wait for a slot rather than exceed the bound.
                        None => match permits.clone().acquire_owned().await {
                            Ok(p) => p,
                            Err(_) => return,
                        },
                    };
                    let (probe, tx) = (probe.clone(), tx.clone());
                    // Detached on purpose: at shutdown the lease loop is dropped but the checks
                    // in flight finish and their results are still reported.
                    tokio::spawn(async move {
                        for result in run_group(&probe, &group).await {
                            if tx.send(result).await.is_err() {
                                break;
                            }
                        }
                        drop(permit);
                    });
                }
            }
            Err(e) => {
                drop(first);
                let wait = backoff.next(e.retry_after());
                tracing::warn!(error = %e, retry_in = ?wait, "cannot lease tasks");
                sleep(wait).await;
            }
        }
    }
}

/// Groups tasks by the request they need, keeping the server's order.
fn group_by_request(tasks: Vec<Task>) -> Vec<Vec<Task>> {
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
