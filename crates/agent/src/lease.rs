//! The lease loop: several lease calls in flight, each asking for as many request groups as
//! there are free slots, and each group run as soon as one of the `max_in_flight` run
//! permits frees.
//!
//! Why lease ahead: a lease call takes the server tens to hundreds of milliseconds. If the
//! agent only leased for free run permits, every permit would sit idle for a whole call after
//! each check, and the agent could never run more than `max_in_flight` checks per call
//! duration, however fast the sites answer. So with more than one call in flight, a slot is
//! either running a group or holding one leased ahead (at most `max_in_flight` wait), and the
//! next groups are already here when a permit frees. With one call in flight, the agent leases
//! only for free permits, as the Python agent does: the choice for paths whose `timeout` is
//! close to the server's lease time, where waiting for a permit could outlast the lease.
//!
//! A call does not ask for one group at a time while slots trickle back (each call would then
//! fetch almost nothing for a whole round trip): it waits up to [`GATHER`] for its share of the
//! slots (`max_in_flight / leases_in_flight`) to be free, then asks for all the free ones.
//!
//! Slots are held until a group's results are handed to the reporter: when its outbox is
//! full, checks wait, slots stay taken, and leasing pauses.
//!
//! A call that gets fewer groups than it asked for has drained what is due; from then on the
//! agent's calls take turns, one every half to whole [`DRAINED_WAIT`] (at most `idle_wait`;
//! at random, so that agents do not fall in step), until a call comes back full. Without that
//! pacing, in a steady state where a few tasks fall due every millisecond, each call came back
//! at once with a handful of groups: 4 agents made 23 lease calls a second for 500 checks a
//! second, each a write transaction on the store. It adds at most one turn to a check's
//! lateness.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use argos_checks::group::run_group;
use argos_checks::probe::Probe;
use argos_checks::{AgentResult, MAX_LEASE_GROUPS, Task};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep, sleep_until, timeout};

use crate::backoff::Backoff;
use crate::pipeline::{RunOptions, group_by_request};
use crate::source::{Lease, TaskSource};

/// How long a lease call waits for its share of slots to free before asking for fewer.
pub const GATHER: Duration = Duration::from_millis(50);
/// The longest turn between two lease calls once one found less due than it asked for (each
/// turn is a random half to all of it).
pub const DRAINED_WAIT: Duration = Duration::from_secs(1);

/// What the lease calls share.
struct Leaser<S> {
    source: Arc<S>,
    probe: Arc<Probe>,
    opts: RunOptions,
    tx: mpsc::Sender<AgentResult>,
    /// Groups leased and not yet reported: running, or waiting for a run permit.
    slots: Arc<Semaphore>,
    /// Groups running at most (`max_in_flight`).
    running: Arc<Semaphore>,
    /// Slots a call waits for (up to [`GATHER`]) before asking; 1 with one call in flight.
    share: usize,
    /// While paced (a call drained what was due, see the module): the next call's turn.
    next_turn: Mutex<Option<Instant>>,
}

/// Keeps `opts.leases_in_flight` lease calls going until one of them ends (a bug: it then
/// panics the same way, or returns, so that the pipeline stops).
pub(crate) async fn lease_loop<S: TaskSource>(
    source: Arc<S>,
    probe: Arc<Probe>,
    opts: RunOptions,
    tx: mpsc::Sender<AgentResult>,
) {
    let max = opts.max_in_flight.max(1);
    let calls = opts.leases_in_flight.max(1);
    let ahead = if calls > 1 { max } else { 0 };
    let leaser = Arc::new(Leaser {
        source,
        probe,
        opts,
        tx,
        slots: Arc::new(Semaphore::new(max + ahead)),
        running: Arc::new(Semaphore::new(max)),
        share: if calls > 1 { (max / calls).max(1) } else { 1 },
        next_turn: Mutex::new(None),
    });
    let mut workers = JoinSet::new();
    for _ in 0..calls {
        workers.spawn(leaser.clone().work());
    }
    // Dropping the set (when the loop is aborted at shutdown) aborts the other calls.
    if let Some(Err(e)) = workers.join_next().await
        && e.is_panic()
    {
        std::panic::resume_unwind(e.into_panic());
    }
}

impl<S: TaskSource> Leaser<S> {
    /// One lease call after another; returns only when the pipeline is closing.
    async fn work(self: Arc<Self>) {
        let mut backoff = Backoff::default();
        loop {
            if let Some(turn) = self.take_turn() {
                sleep_until(turn).await;
            }
            let Some(reserved) = self.reserve().await else {
                return;
            };
            let wanted = u32::try_from(reserved.num_permits()).unwrap_or(u32::MAX);
            match self.source.lease(wanted).await {
                Ok(lease) if lease.tasks.is_empty() && lease.unreadable.is_empty() => {
                    drop(reserved);
                    backoff.reset();
                    sleep(self.opts.idle_wait).await;
                }
                Ok(lease) => {
                    backoff.reset();
                    let Some(groups) = self.start(lease, reserved).await else {
                        return;
                    };
                    // The server hands out `MAX_LEASE_GROUPS` at most, however many are due.
                    self.pace(groups < wanted.min(MAX_LEASE_GROUPS) as usize);
                }
                Err(e) => {
                    drop(reserved);
                    let wait = backoff.next(e.retry_after());
                    tracing::warn!(error = %e, retry_in = ?wait, "cannot lease tasks");
                    sleep(wait).await;
                }
            }
        }
    }

    /// Waits for a free slot and (a little) for the call's share, then takes the others free
    /// now, up to one full set per call.
    async fn reserve(&self) -> Option<OwnedSemaphorePermit> {
        let mut reserved = self.slots.clone().acquire_owned().await.ok()?;
        if let Some(wanted) = u32::try_from(self.share - 1).ok().filter(|n| *n > 0) {
            let gathered = timeout(GATHER, self.slots.clone().acquire_many_owned(wanted)).await;
            if let Ok(Ok(share)) = gathered {
                reserved.merge(share);
            }
        }
        let more = self.slots.available_permits().min(
            self.opts
                .max_in_flight
                .saturating_sub(reserved.num_permits()),
        );
        if let Some(more) = u32::try_from(more).ok().filter(|n| *n > 0)
            && let Ok(extra) = self.slots.clone().try_acquire_many_owned(more)
        {
            reserved.merge(extra);
        }
        Some(reserved)
    }

    /// While paced, claims the next turn (the one after it goes to the next call) and
    /// returns when it is.
    fn take_turn(&self) -> Option<Instant> {
        let mut next = self.next_turn.lock().expect("never poisoned");
        let turn = (*next)?.max(Instant::now());
        *next = Some(turn + self.turn());
        Some(turn)
    }

    /// Starts pacing after a call that drained what was due, or stops it after a full one.
    fn pace(&self, drained: bool) {
        let mut next = self.next_turn.lock().expect("never poisoned");
        if !drained {
            *next = None;
        } else if next.is_none() {
            *next = Some(Instant::now() + self.turn());
        }
    }

    /// A random half of the turn is taken off ("equal jitter", as in `backoff`): agents that
    /// drained at the same moment (a cold start's end) would otherwise keep calling at the
    /// same instants, the fastest one taking whatever fell due each time and the others
    /// finding nothing, turn after turn.
    fn turn(&self) -> Duration {
        let full = DRAINED_WAIT.min(self.opts.idle_wait);
        let ms = u64::try_from(full.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(fastrand::u64(ms / 2..=ms))
    }

    /// Hands the unreadable tasks' results over and starts every group, each with a slot.
    /// Returns how many groups the lease held (unreadable tasks count as one each), or
    /// `None` when the reporter is gone.
    async fn start(&self, lease: Lease, mut reserved: OwnedSemaphorePermit) -> Option<usize> {
        let mut groups = lease.unreadable.len();
        // Their `error` results release the tasks this agent cannot read.
        for result in lease.unreadable {
            if self.tx.send(result).await.is_err() {
                return None;
            }
        }
        tracing::debug!(tasks = lease.tasks.len(), "leased");
        for group in group_by_request(lease.tasks) {
            groups += 1;
            let slot = match reserved.split(1) {
                Some(slot) => slot,
                // The server may hand out more groups than asked (the Python server returned
                // one extra); wait for a slot rather than exceed the bound.
                None => match self.slots.clone().acquire_owned().await {
                    Ok(slot) => slot,
                    Err(_) => return None,
                },
            };
            self.spawn(group, slot);
        }
        // Slots reserved for groups the server did not have go back now.
        drop(reserved);
        Some(groups)
    }

    /// Runs `group` once a run permit frees, then hands its results over. Detached on
    /// purpose: at shutdown the lease loop is dropped, but the groups leased finish and their
    /// results are still reported.
    fn spawn(&self, group: Vec<Task>, slot: OwnedSemaphorePermit) {
        let (probe, tx, running) = (self.probe.clone(), self.tx.clone(), self.running.clone());
        tokio::spawn(async move {
            let Ok(_run) = running.acquire_owned().await else {
                return;
            };
            for result in run_group(&probe, &group).await {
                if tx.send(result).await.is_err() {
                    break;
                }
            }
            drop(slot);
        });
    }
}
