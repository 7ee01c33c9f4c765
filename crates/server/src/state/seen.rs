//! When each agent was last recorded as seen by a lease call, so that a busy agent's leases
//! do not each write its `last_seen`: that write was a transaction of its own, a third of
//! the store's write transactions in a steady state. Kept per server process; the first
//! lease after a silence is always written, so the no-agent alert and its comeback, which
//! count in minutes, see every agent as they did.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A lease call refreshes an agent's `last_seen` at most this often (unless its version
/// changed). Results refresh it too, inside their ingest transaction.
pub const SEEN_EVERY: Duration = Duration::from_secs(10);

/// Entries kept before the stale ones are dropped (any token holder can name agents).
const KEEP: usize = 1_024;

/// The last recorded lease call of each agent, and the version it gave.
#[derive(Debug, Default)]
pub struct Seen {
    agents: Mutex<HashMap<String, (Instant, Option<String>)>>,
}

impl Seen {
    /// Whether a lease call of `agent` at `now` should be written, recording it if so.
    pub fn record(&self, agent: &str, version: Option<&str>, now: Instant) -> bool {
        // A poisoned map only means a panic mid-insert: its entries are still whole.
        let mut agents = self.agents.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, seen_version)) = agents.get(agent)
            && now.saturating_duration_since(*at) < SEEN_EVERY
            && (version.is_none() || seen_version.as_deref() == version)
        {
            return false;
        }
        if agents.len() >= KEEP {
            agents.retain(|_, (at, _)| now.saturating_duration_since(*at) < SEEN_EVERY);
        }
        agents.insert(agent.to_owned(), (now, version.map(str::to_owned)));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_written_when_the_agent_is_new_silent_for_a_while_or_changed_version() {
        let seen = Seen::default();
        let t0 = Instant::now();
        let later = |s: u64| t0 + Duration::from_secs(s);
        let cases = [
            ("a", Some("v1"), t0, true),         // first seen
            ("a", Some("v1"), later(1), false),  // busy: already written
            ("a", None, later(2), false),        // no version given: nothing new
            ("b", Some("v1"), later(2), true),   // another agent
            ("a", Some("v2"), later(3), true),   // upgraded
            ("a", Some("v2"), later(12), false), // 9 s after the last write
            ("a", Some("v2"), later(13), true),  // 10 s after it
        ];
        for (agent, version, at, written) in cases {
            assert_eq!(
                seen.record(agent, version, at),
                written,
                "{agent} {version:?} {at:?}"
            );
        }
    }

    #[test]
    fn stale_agents_are_dropped_once_many_were_named() {
        let seen = Seen::default();
        let t0 = Instant::now();
        for i in 0..KEEP {
            assert!(seen.record(&format!("agent-{i}"), None, t0));
        }
        assert!(seen.record("one-more", None, t0 + SEEN_EVERY));
        assert_eq!(seen.agents.lock().unwrap().len(), 1);
    }
}
