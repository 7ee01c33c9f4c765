//! The agent's streaming pipeline (ARCHITECTURE.md, "The agent"):
//!
//! ```text
//! lease loop ──groups──▶ bounded in-flight set (N permits, one request per group)
//!      ▲                               │ results
//!      └── leases more as permits free ┴──▶ reporter (flush every 100 ms or 200 results,
//!                                               retry with backoff, bounded buffer) ──▶ server
//! ```
//! There is no batch barrier: a slow site holds one permit, not the whole agent. When the server
//! is unreachable, results wait in a bounded channel; once it is full, checks block on it, no
//! permit frees, and leasing pauses — nothing is lost and memory stays bounded.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use argos_checks::group::{request_key, run_group};
use argos_checks::probe::Probe;
use argos_checks::{AgentResult, Task};
use tokio::sync::{Semaphore, mpsc};
use tokio::time::{Instant, sleep, timeout};

use crate::source::TaskSource;

/// Results posted in one call at most.
pub const BATCH_MAX: usize = 200;
/// How long a result may wait for companions before it is posted.
pub const BATCH_DELAY: Duration = Duration::from_millis(100);
/// Results kept while the server is unreachable before checks (and so leasing) pause.
pub const BUFFER_MAX: usize = 10_000;
/// How long shutdown waits for the checks in flight and their results.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);
/// Longest pause between two attempts to reach an unreachable server.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// How the pipeline runs.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Request groups in flight at most.
    pub max_in_flight: usize,
    /// Pause after the server had nothing due.
    pub idle_wait: Duration,
}

/// Runs until `shutdown` resolves, then stops leasing, finishes the checks in flight and
/// flushes their results (best effort: a server that is down at shutdown loses them).
pub async fn run<S: TaskSource>(
    source: Arc<S>,
    probe: Arc<Probe>,
    opts: RunOptions,
    shutdown: impl Future<Output = ()> + Send,
) {
    let (tx, rx) = mpsc::channel(BUFFER_MAX);
    let reporter = tokio::spawn(report_loop(source.clone(), rx));
    tokio::pin!(shutdown);
    tokio::select! {
        () = lease_loop(&source, &probe, &opts, tx) => {}
        () = &mut shutdown => {}
    }
    // The lease loop and its sender are dropped here; the in-flight checks hold clones of the
    // sender, so the reporter ends once they have all finished and their results are posted.
    // A server that stays down must not keep the process from exiting.
    match timeout(SHUTDOWN_GRACE, reporter).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => tracing::error!("the result reporter panicked"),
        Err(_) => tracing::warn!("results still unsent at shutdown were dropped"),
    }
}

async fn lease_loop<S: TaskSource>(
    source: &Arc<S>,
    probe: &Arc<Probe>,
    opts: &RunOptions,
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
            Ok(tasks) if tasks.is_empty() => {
                drop(first);
                backoff.reset();
                sleep(opts.idle_wait).await;
            }
            Ok(tasks) => {
                backoff.reset();
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
                let wait = backoff.next();
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

async fn report_loop<S: TaskSource>(source: Arc<S>, mut rx: mpsc::Receiver<AgentResult>) {
    let mut batch = Vec::with_capacity(BATCH_MAX);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        let deadline = Instant::now() + BATCH_DELAY;
        while batch.len() < BATCH_MAX {
            match timeout(
                deadline.saturating_duration_since(Instant::now()),
                rx.recv(),
            )
            .await
            {
                Ok(Some(r)) => batch.push(r),
                Ok(None) | Err(_) => break,
            }
        }
        send_with_retry(source.as_ref(), &batch).await;
        batch.clear();
    }
}

/// Posts one batch, retrying transient failures with backoff until it lands. A batch the
/// server rejects as invalid is logged and dropped: sending it again would fail forever.
async fn send_with_retry<S: TaskSource>(source: &S, batch: &[AgentResult]) {
    let mut backoff = Backoff::default();
    loop {
        match source.report(batch).await {
            Ok(()) => {
                tracing::debug!(results = batch.len(), "reported");
                return;
            }
            Err(e) if e.is_transient() => {
                let wait = backoff.next();
                tracing::warn!(error = %e, results = batch.len(), retry_in = ?wait, "cannot report results; keeping them");
                sleep(wait).await;
            }
            Err(e) => {
                tracing::error!(error = %e, results = batch.len(), "server refused results; dropping them");
                return;
            }
        }
    }
}

/// Exponential backoff from 1 s to [`MAX_BACKOFF`].
#[derive(Debug, Default)]
struct Backoff {
    failures: u32,
}

impl Backoff {
    fn next(&mut self) -> Duration {
        let wait = Duration::from_secs(1u64 << self.failures.min(6)).min(MAX_BACKOFF);
        self.failures += 1;
        wait
    }

    fn reset(&mut self) {
        self.failures = 0;
    }
}
