//! Login throttling: after repeated failures for one user name, or from one address, further
//! attempts are refused for a while, whatever the password (so guessing costs time, and a
//! correct guess during the lock tells nothing).
//!
//! Per name: 5 failures within 15 minutes lock the name for 15 minutes. Per address: 20
//! failures within 15 minutes lock the address as long. Kept in memory, per server process:
//! several processes each allow their own quota, which still bounds guessing.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// One kind of key's rule.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Failures allowed within `window`.
    pub failures: u32,
    /// The window, and how long a lock lasts.
    pub window: Duration,
}

/// Failures per user name.
pub const PER_USER: Rule = Rule {
    failures: 5,
    window: Duration::minutes(15),
};
/// Failures per client address.
pub const PER_ADDRESS: Rule = Rule {
    failures: 20,
    window: Duration::minutes(15),
};

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    since: DateTime<Utc>,
    locked_until: Option<DateTime<Utc>>,
}

/// Failure counts by key (`user:<name>`, `addr:<ip>`).
#[derive(Debug, Default)]
pub struct Throttle {
    entries: Mutex<HashMap<String, Entry>>,
}

impl Throttle {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Until when `key` is locked, if it is at `now`.
    pub fn locked(&self, key: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.lock()
            .get(key)
            .and_then(|e| e.locked_until)
            .filter(|until| *until > now)
    }

    /// Records a failure of `key` at `now`; locks it when the rule says so.
    pub fn fail(&self, key: &str, rule: Rule, now: DateTime<Utc>) {
        let mut entries = self.lock();
        // Bounded memory: forget what no rule remembers any more.
        if entries.len() > 10_000 {
            entries.retain(|_, e| {
                now - e.since < rule.window || e.locked_until.is_some_and(|u| u > now)
            });
        }
        let e = entries.entry(key.to_owned()).or_insert(Entry {
            failures: 0,
            since: now,
            locked_until: None,
        });
        if now - e.since >= rule.window {
            *e = Entry {
                failures: 0,
                since: now,
                locked_until: None,
            };
        }
        e.failures += 1;
        if e.failures >= rule.failures {
            e.locked_until = Some(now + rule.window);
        }
    }

    /// Forgets `key`'s failures (a successful login).
    pub fn succeed(&self, key: &str) {
        self.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_lock_for_the_window_then_it_opens() {
        let t = Throttle::default();
        let t0 = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        for i in 0..4 {
            t.fail("user:bob", PER_USER, t0 + Duration::seconds(i));
            assert_eq!(t.locked("user:bob", t0 + Duration::seconds(i)), None);
        }
        t.fail("user:bob", PER_USER, t0 + Duration::seconds(10));
        let until = t.locked("user:bob", t0 + Duration::seconds(11)).unwrap();
        assert_eq!(until, t0 + Duration::seconds(10) + Duration::minutes(15));
        assert_eq!(t.locked("user:bob", until), None, "open again after it");
        assert_eq!(t.locked("user:alice", t0), None, "others are not affected");
    }

    #[test]
    fn old_failures_are_forgotten_and_success_resets() {
        let t = Throttle::default();
        let t0 = DateTime::from_timestamp(1_767_225_600, 0).unwrap();
        for i in 0..4 {
            t.fail("user:bob", PER_USER, t0 + Duration::seconds(i));
        }
        let later = t0 + Duration::minutes(20);
        t.fail("user:bob", PER_USER, later);
        assert_eq!(t.locked("user:bob", later), None, "a new window");
        for _ in 0..3 {
            t.fail("user:bob", PER_USER, later);
        }
        t.succeed("user:bob");
        t.fail("user:bob", PER_USER, later);
        assert_eq!(t.locked("user:bob", later), None);
    }
}
