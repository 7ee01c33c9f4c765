//! The results waiting to be posted, already cut into batches bounded in count and in bytes.
//!
//! Bytes matter: the server refuses bodies over its limit (413), and results carry contexts of
//! very different sizes. A batch is closed once it holds [`BATCH_MAX`] results or about
//! [`BATCH_MAX_BYTES`] of JSON; a result larger than that travels alone. The whole outbox is
//! bounded too ([`BUFFER_MAX`], [`BUFFER_MAX_BYTES`]): once full, the reporter stops taking
//! results, checks wait to hand theirs over, and leasing pauses.

use std::collections::VecDeque;
use std::io;
use std::time::Duration;

use argos_checks::AgentResult;
use tokio::time::Instant;

/// Results posted in one call at most.
pub const BATCH_MAX: usize = 200;
/// Serialized bytes posted in one call at most (unless one result alone is larger): well under
/// the server's 32 MiB body limit, and quick to send again.
pub const BATCH_MAX_BYTES: usize = 4 * 1024 * 1024;
/// Results kept while the server is unreachable before checks (and so leasing) pause.
pub const BUFFER_MAX: usize = 10_000;
/// Serialized bytes kept while the server is unreachable before checks (and leasing) pause.
pub const BUFFER_MAX_BYTES: usize = 64 * 1024 * 1024;

/// Results posted (or retried) together.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) results: Vec<AgentResult>,
    pub(crate) bytes: usize,
    /// Failed posts of this batch (or of the batch it was split from).
    pub(crate) attempts: u32,
    /// This is the `error` result standing for a result the server refused.
    pub(crate) replacement: bool,
    /// When its first result came, for a batch still taking results (`None`: closed).
    opened: Option<Instant>,
}

impl Batch {
    /// A batch of one result.
    pub(crate) fn of(result: AgentResult) -> Batch {
        let bytes = size(&result);
        Batch {
            results: vec![result],
            bytes,
            ..Batch::default()
        }
    }

    /// The two halves of a batch of two or more results, each keeping its attempt count.
    pub(crate) fn split(mut self) -> (Batch, Batch) {
        let second = self.results.split_off(self.results.len() / 2);
        let half = |results: Vec<AgentResult>| Batch {
            bytes: results.iter().map(size).sum(),
            results,
            attempts: self.attempts,
            replacement: false,
            opened: None,
        };
        (half(std::mem::take(&mut self.results)), half(second))
    }

    fn has_room_for(&self, bytes: usize) -> bool {
        self.opened.is_some()
            && self.results.len() < BATCH_MAX
            && self.bytes + bytes <= BATCH_MAX_BYTES
    }
}

/// The batches waiting, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    batches: VecDeque<Batch>,
    results: usize,
    bytes: usize,
}

impl Outbox {
    /// Adds a result to the newest batch, or opens a batch when it is full (or was already
    /// tried: a batch is never changed between two attempts).
    pub(crate) fn push(&mut self, result: AgentResult) {
        let bytes = size(&result);
        match self.batches.back_mut() {
            Some(last) if last.has_room_for(bytes) => {
                last.results.push(result);
                last.bytes += bytes;
                self.results += 1;
                self.bytes += bytes;
            }
            _ => {
                let mut batch = Batch::of(result);
                batch.opened = Some(Instant::now());
                self.push_back(batch);
            }
        }
    }

    /// When the oldest batch should be posted: `now` once it is closed (full, or tried
    /// already), else `delay` after its first result; `None` when there is nothing to post.
    pub(crate) fn ready_at(&self, delay: Duration, now: Instant) -> Option<Instant> {
        let front = self.batches.front()?;
        match front.opened {
            Some(opened) if self.batches.len() == 1 && front.results.len() < BATCH_MAX => {
                Some(opened + delay)
            }
            _ => Some(now),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    /// Whether more results may be taken in.
    pub(crate) fn has_room(&self) -> bool {
        self.results < BUFFER_MAX && self.bytes < BUFFER_MAX_BYTES
    }

    /// Takes the oldest batch out (closing it).
    pub(crate) fn pop_front(&mut self) -> Option<Batch> {
        let mut batch = self.batches.pop_front()?;
        batch.opened = None;
        self.results -= batch.results.len();
        self.bytes -= batch.bytes;
        Some(batch)
    }

    /// Puts back a batch taken out (split, replaced or to retry): it stays closed, so it is
    /// never changed between two attempts.
    pub(crate) fn push_front(&mut self, batch: Batch) {
        self.count(&batch);
        self.batches.push_front(batch);
    }

    /// Like [`push_front`](Self::push_front), behind the others.
    pub(crate) fn push_back(&mut self, batch: Batch) {
        self.count(&batch);
        self.batches.push_back(batch);
    }

    fn count(&mut self, batch: &Batch) {
        self.results += batch.results.len();
        self.bytes += batch.bytes;
    }
}

/// The size of `result` as JSON, counted without building the text.
fn size(result: &AgentResult) -> usize {
    let mut counter = Counter(0);
    // Writing to a counter cannot fail, and an AgentResult always serialises.
    let _ = serde_json::to_writer(&mut counter, result);
    counter.0
}

struct Counter(usize);

impl io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argos_checks::Outcome;

    fn result(id: i64, padding: usize) -> AgentResult {
        Outcome::pass_fail(true, Default::default())
            .with("p", "x".repeat(padding))
            .into_result(id, None)
    }

    #[test]
    fn batches_close_on_count_and_on_bytes() {
        let mut outbox = Outbox::default();
        for i in 0..(BATCH_MAX as i64 + 1) {
            outbox.push(result(i, 0));
        }
        assert_eq!(outbox.pop_front().unwrap().results.len(), BATCH_MAX);
        assert_eq!(outbox.pop_front().unwrap().results.len(), 1);
        for i in 0..5 {
            outbox.push(result(i, 1024 * 1024));
        }
        let first = outbox.pop_front().unwrap();
        assert_eq!(first.results.len(), 3);
        assert!(first.bytes <= BATCH_MAX_BYTES);
        assert_eq!(
            first.bytes,
            serde_json::to_vec(&first.results).unwrap().len() - 4
        );
        // Larger than a batch: it travels alone.
        outbox.push(result(9, BATCH_MAX_BYTES));
        assert_eq!(outbox.batches.len(), 2);
    }

    #[test]
    fn a_tried_batch_is_not_extended_and_halves_keep_their_attempts() {
        let mut outbox = Outbox::default();
        outbox.push(result(1, 0));
        let mut tried = outbox.pop_front().unwrap();
        tried.attempts = 2;
        outbox.push_back(tried);
        outbox.push(result(2, 0));
        assert_eq!(outbox.batches.len(), 2);
        let mut big = Batch::of(result(1, 0));
        big.results.push(result(2, 0));
        big.results.push(result(3, 0));
        big.attempts = 3;
        let (a, b) = big.split();
        assert_eq!((a.results.len(), b.results.len()), (1, 2));
        assert_eq!((a.attempts, b.attempts), (3, 3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_is_ready_once_closed_or_after_the_delay() {
        let delay = Duration::from_millis(100);
        let mut outbox = Outbox::default();
        assert_eq!(outbox.ready_at(delay, Instant::now()), None);
        let opened = Instant::now();
        outbox.push(result(1, 0));
        tokio::time::advance(Duration::from_millis(30)).await;
        let now = Instant::now();
        assert_eq!(outbox.ready_at(delay, now), Some(opened + delay));
        // Full: no need to wait for companions.
        for i in 2..=(BATCH_MAX as i64 + 1) {
            outbox.push(result(i, 0));
        }
        assert_eq!(outbox.ready_at(delay, now), Some(now));
        // Taken out and put back (a retry): closed, ready at once.
        let mut outbox = Outbox::default();
        outbox.push(result(1, 0));
        let batch = outbox.pop_front().unwrap();
        outbox.push_back(batch);
        assert_eq!(outbox.ready_at(delay, now), Some(now));
    }

    #[test]
    fn the_buffer_is_bounded() {
        let mut outbox = Outbox::default();
        for i in 0..65 {
            outbox.push(result(i, 1024 * 1024));
        }
        assert!(!outbox.has_room());
        while outbox.pop_front().is_some() {}
        assert!(outbox.has_room() && outbox.is_empty());
    }
}
