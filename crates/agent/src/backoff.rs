//! Waiting between attempts to reach the server: exponential, capped, and jittered so that
//! many agents that lost the server at the same moment do not come back in step.

use std::time::Duration;

/// Shortest pause after a failure.
pub const MIN_BACKOFF: Duration = Duration::from_secs(1);
/// Longest pause between two attempts to reach an unreachable server.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The longest `Retry-After` obeyed: a server asking for more is probably misconfigured, and
/// the agent keeps trying (its results are waiting).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// Consecutive failures, and the pause they call for.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    failures: u32,
}

impl Backoff {
    /// The pause after one more failure: `1 s × 2^failures` capped at [`MAX_BACKOFF`], of
    /// which a random half is taken off ("equal jitter"); never shorter than `retry_after`
    /// (the server's `Retry-After`, itself capped at [`MAX_RETRY_AFTER`]).
    pub(crate) fn next(&mut self, retry_after: Option<Duration>) -> Duration {
        let ceiling = MIN_BACKOFF
            .saturating_mul(1 << self.failures.min(16))
            .min(MAX_BACKOFF);
        self.failures = self.failures.saturating_add(1);
        let ceiling_ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        let jittered = Duration::from_millis(fastrand::u64(ceiling_ms / 2..=ceiling_ms));
        jittered.max(retry_after.unwrap_or_default().min(MAX_RETRY_AFTER))
    }

    /// After a success.
    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_with_jitter_up_to_the_cap() {
        let mut b = Backoff::default();
        let waits: Vec<Duration> = (0..12).map(|_| b.next(None)).collect();
        assert!(waits[0] >= Duration::from_millis(500) && waits[0] <= MIN_BACKOFF);
        assert!(waits[3] >= Duration::from_secs(4) && waits[3] <= Duration::from_secs(8));
        assert!(waits.iter().all(|w| *w <= MAX_BACKOFF));
        assert!(waits[11] >= MAX_BACKOFF / 2);
        b.reset();
        assert!(b.next(None) <= MIN_BACKOFF);
    }

    #[test]
    fn jitter_spreads_agents_apart() {
        let waits: Vec<Duration> = (0..20)
            .map(|_| {
                let mut b = Backoff::default();
                (0..5).map(|_| b.next(None)).last().unwrap()
            })
            .collect();
        assert!(waits.iter().any(|w| *w != waits[0]), "{waits:?}");
    }

    #[test]
    fn retry_after_is_a_floor_with_a_cap() {
        let mut b = Backoff::default();
        assert_eq!(
            b.next(Some(Duration::from_secs(120))),
            Duration::from_secs(120)
        );
        assert_eq!(b.next(Some(Duration::from_secs(86_400))), MAX_RETRY_AFTER);
    }
}
