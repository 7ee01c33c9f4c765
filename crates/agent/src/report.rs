//! The result reporter: takes finished results, posts them in batches, and decides what to do
//! when the server does not take a batch. One rule above all: no batch may block the others
//! for good, and no result may sink a batch.
//!
//! - The server is unreachable, or answers 401/403/408/429 or a 5xx: the batch is kept and
//!   tried again after a capped, jittered backoff (at least the server's `Retry-After`). It
//!   goes to the back of the outbox, so the other batches get their turn.
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
use tokio::time::{Instant, sleep_until};

use crate::backoff::Backoff;
use crate::outbox::{Batch, Outbox};
use crate::source::{SourceError, TaskSource};

/// How long a result may wait for companions before it is posted.
pub const BATCH_DELAY: Duration = Duration::from_millis(100);
/// Failed posts of a batch (5xx) before it is suspected of causing them.
pub const SUSPECT_AFTER: u32 = 3;

/// Posts the results received on `rx` until it is closed and everything is sent (or given up).
pub async fn report<S: TaskSource>(source: Arc<S>, mut rx: mpsc::Receiver<AgentResult>) {
    let mut outbox = Outbox::default();
    let mut backoff = Backoff::default();
    let mut open = true;
    loop {
        if outbox.is_empty() {
            match rx.recv().await {
                Some(result) => outbox.push(result),
                None => return,
            }
            // Companions for the first result; stop early once a batch is full.
            open = take_in(&mut rx, &mut outbox, Instant::now() + BATCH_DELAY, true).await;
        }
        let Some(batch) = outbox.pop_front() else {
            continue;
        };
        match post(source.as_ref(), batch, &mut outbox).await {
            None => backoff.reset(),
            Some(retry_after) => {
                let until = Instant::now() + backoff.next(retry_after);
                // Keep taking results in while waiting (the outbox is bounded).
                open = take_in(&mut rx, &mut outbox, until, false).await && open;
            }
        }
        if !open && outbox.is_empty() {
            return;
        }
    }
}

/// Receives results into the outbox until `until` (or a full batch, if `early`). Returns
/// whether `rx` is still open.
async fn take_in(
    rx: &mut mpsc::Receiver<AgentResult>,
    outbox: &mut Outbox,
    until: Instant,
    early: bool,
) -> bool {
    let mut open = true;
    loop {
        if early && outbox.has_full_batch() {
            return open;
        }
        tokio::select! {
            () = sleep_until(until) => return open,
            received = rx.recv(), if open && outbox.has_room() => match received {
                Some(result) => outbox.push(result),
                None => open = false,
            },
        }
    }
}

/// Posts one batch. `None` when it is settled (sent, split, replaced or dropped); otherwise
/// it is back in the outbox and the caller should wait (at least the `Retry-After` given).
async fn post<S: TaskSource>(
    source: &S,
    mut batch: Batch,
    outbox: &mut Outbox,
) -> Option<Option<Duration>> {
    let error = match source.report(&batch.results).await {
        Ok(()) => {
            tracing::debug!(results = batch.results.len(), "reported");
            return None;
        }
        Err(e) => e,
    };
    if !error.is_transient() {
        refused(batch, &error, outbox);
        return None;
    }
    batch.attempts += 1;
    if error.is_server_error()
        && batch.attempts >= SUSPECT_AFTER
        && source.report(&[]).await.is_ok()
    {
        tracing::warn!(error = %error, results = batch.results.len(), attempts = batch.attempts,
            "the server takes other posts but keeps failing on this batch; isolating the result at fault");
        refused(batch, &error, outbox);
        return None;
    }
    tracing::warn!(error = %error, results = batch.results.len(), attempts = batch.attempts,
        "cannot report results; keeping them to try again");
    let retry_after = error.retry_after();
    outbox.push_back(batch);
    Some(retry_after)
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
