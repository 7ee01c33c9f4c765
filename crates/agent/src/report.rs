//! The result reporter: takes finished results, posts them in batches, and decides what to do
//! when the server does not take a batch. One rule above all: no batch may block the others
//! for good, and no result may sink a batch.
//!
//! - The server is unreachable, or answers 401/403/408/429 or a 5xx: the batch is kept and
//!   tried again after a capped, jittered backoff (at least the server's `Retry-After`), and
//!   no other post starts before. It goes to the back of the outbox, so the other batches get
//!   their turn. Posts that were already in flight and fail the same way do not lengthen the
//!   backoff: several posts in flight must not make one outage look like several.
//! - The server refuses the batch itself (another 4xx: 413 too large, 422 unreadable...):
//!   the batch is split in halves, and the halves are posted on their own, until the result
//!   at fault is alone. A 5xx on the same batch again and again while the server takes an
//!   empty post (it is up) is treated the same way: something in the batch breaks it.
//! - A single result that cannot be delivered is logged with its task id and replaced by an
//!   `error` result saying why, so the server records something and releases the task; if
//!   even that is refused, it is dropped (logged) and the task's lease runs out.

use std::sync::Arc;
use std::time::Duration;

use argos_checks::{AgentResult, Outcome};
use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinSet};
use tokio::time::{Instant, sleep_until};

use crate::backoff::{Backoff, MAX_RETRY_AFTER};
use crate::outbox::{Batch, Outbox};
use crate::pipeline::DEFAULT_REPORTS_IN_FLIGHT;
use crate::source::{SourceError, TaskSource};

/// How long a result may wait for companions before it is posted.
pub const BATCH_DELAY: Duration = Duration::from_millis(100);
/// Failed posts of a batch (5xx) before it is suspected of causing them.
pub const SUSPECT_AFTER: u32 = 3;

/// Posts the results received on `rx` until it is closed and everything is sent (or given up),
/// with [`DEFAULT_REPORTS_IN_FLIGHT`] posts in flight at most.
pub async fn report<S: TaskSource>(source: Arc<S>, rx: mpsc::Receiver<AgentResult>) {
    report_with(source, rx, DEFAULT_REPORTS_IN_FLIGHT).await;
}

/// Like [`report`], with up to `max_posts` posts in flight.
///
/// Every batch belongs to one post at a time, or to the outbox: a result is never posted
/// twice at once, and one a post could not deliver goes back to the outbox.
pub async fn report_with<S: TaskSource>(
    source: Arc<S>,
    rx: mpsc::Receiver<AgentResult>,
    max_posts: usize,
) {
    let mut reporter = Reporter {
        source,
        rx,
        max_posts: max_posts.max(1),
        outbox: Outbox::default(),
        posts: JoinSet::new(),
        backoff: Backoff::default(),
        paused_until: None,
        failed_at: None,
        open: true,
    };
    reporter.run().await;
}

/// How a post ended.
enum Posted {
    /// Sent, or isolated: nothing left to do for the batch.
    Sent,
    /// The server will not take the batch as it is.
    Refused(Batch, SourceError),
    /// Try the batch again later, at least after the server's `Retry-After`.
    Retry {
        batch: Batch,
        retry_after: Option<Duration>,
        started: Instant,
    },
}

struct Reporter<S> {
    source: Arc<S>,
    rx: mpsc::Receiver<AgentResult>,
    max_posts: usize,
    outbox: Outbox,
    posts: JoinSet<Posted>,
    backoff: Backoff,
    /// No new post before this (the server failed; the outbox keeps taking results).
    paused_until: Option<Instant>,
    /// When the last failure was seen: posts started before it fail for the same reason and
    /// do not lengthen the backoff again.
    failed_at: Option<Instant>,
    /// `rx` may still bring results.
    open: bool,
}

impl<S: TaskSource> Reporter<S> {
    async fn run(&mut self) {
        loop {
            self.start_posts();
            if !self.open && self.outbox.is_empty() && self.posts.is_empty() {
                return;
            }
            let wake = self.next_wake();
            tokio::select! {
                Some(done) = self.posts.join_next() => self.settle(done),
                received = self.rx.recv(), if self.open && self.outbox.has_room() => match received {
                    Some(result) => self.outbox.push(result),
                    None => self.open = false,
                },
                () = sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {}
            }
        }
    }

    /// Posts the batches that are ready, while posts are allowed and slots free.
    fn start_posts(&mut self) {
        let now = Instant::now();
        if self.paused_until.is_some_and(|until| until > now) {
            return;
        }
        self.paused_until = None;
        while self.posts.len() < self.max_posts
            && self
                .outbox
                .ready_at(BATCH_DELAY, now)
                .is_some_and(|at| at <= now || !self.open)
        {
            let Some(batch) = self.outbox.pop_front() else {
                return;
            };
            self.posts.spawn(post(self.source.clone(), batch));
        }
    }

    /// When a batch becomes ready or the pause ends; `None` when only a post ending (or a
    /// result coming) can change anything.
    fn next_wake(&self) -> Option<Instant> {
        if self.posts.len() >= self.max_posts {
            return None;
        }
        self.paused_until
            .or_else(|| self.outbox.ready_at(BATCH_DELAY, Instant::now()))
    }

    fn settle(&mut self, done: Result<Posted, JoinError>) {
        let posted = match done {
            Ok(posted) => posted,
            // A post that panicked takes the reporter down with it (the agent then stops)
            // rather than lose its batch quietly.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("a post of results ended unexpectedly: {e}"),
        };
        match posted {
            Posted::Sent => self.backoff.reset(),
            Posted::Refused(batch, error) => refused(batch, &error, &mut self.outbox),
            Posted::Retry {
                batch,
                retry_after,
                started,
            } => {
                // It goes to the back of the outbox, so the other batches get their turn.
                self.outbox.push_back(batch);
                let now = Instant::now();
                let wait = if self.failed_at.is_none_or(|at| started >= at) {
                    self.failed_at = Some(now);
                    self.backoff.next(retry_after)
                } else {
                    retry_after.unwrap_or_default().min(MAX_RETRY_AFTER)
                };
                self.paused_until = self.paused_until.max(Some(now + wait));
            }
        }
    }
}

/// Posts one batch and says how it went.
async fn post<S: TaskSource>(source: Arc<S>, mut batch: Batch) -> Posted {
    let started = Instant::now();
    let error = match source.report(&batch.results).await {
        Ok(()) => {
            tracing::debug!(results = batch.results.len(), "reported");
            return Posted::Sent;
        }
        Err(e) => e,
    };
    if !error.is_transient() {
        return Posted::Refused(batch, error);
    }
    batch.attempts += 1;
    if error.is_server_error()
        && batch.attempts >= SUSPECT_AFTER
        && source.report(&[]).await.is_ok()
    {
        tracing::warn!(error = %error, results = batch.results.len(), attempts = batch.attempts,
            "the server takes other posts but keeps failing on this batch; isolating the result at fault");
        return Posted::Refused(batch, error);
    }
    tracing::warn!(error = %error, results = batch.results.len(), attempts = batch.attempts,
        "cannot report results; keeping them to try again");
    Posted::Retry {
        retry_after: error.retry_after(),
        batch,
        started,
    }
}

/// The server will not take `batch` as it is: split it, or replace its one result by an
/// `error` result, or (for a replacement already) drop it.
fn refused(batch: Batch, error: &SourceError, outbox: &mut Outbox) {
    let count = batch.results.len();
    if count > 1 {
        tracing::warn!(error = %error, results = count, "the server refused a batch; splitting it to find the result at fault");
        let (first, second) = batch.split();
        outbox.push_front(second);
        outbox.push_front(first);
        return;
    }
    let Some(result) = batch.results.into_iter().next() else {
        return;
    };
    if batch.replacement {
        tracing::error!(task = result.task_id, error = %error,
            "the server refused even the error result standing for this task's result; dropping it (the task stays leased until its lease expires)");
        return;
    }
    tracing::error!(task = result.task_id, error = %error,
        "the server refused this task's result; replacing it by an error result");
    let mut replacement = Batch::of(undeliverable(&result, error));
    replacement.replacement = true;
    outbox.push_front(replacement);
}

/// The `error` result standing for `result`, which the server would not take.
fn undeliverable(result: &AgentResult, error: &SourceError) -> AgentResult {
    let message = format!(
        "the agent could not deliver this check's result ({} result), the server refused it: {error}",
        result.status.as_str()
    );
    let mut replacement = Outcome::error("UndeliverableResult", message)
        .into_result(result.task_id, result.elapsed_ms);
    replacement.lease_id.clone_from(&result.lease_id);
    replacement
}
