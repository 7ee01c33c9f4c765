//! When a task runs next. Pure functions, so the rules are tested without a clock.
//!
//! - A new task is due at once (users want to see results right away).
//! - Then fixed rate on a grid: `next_run` is the first instant after `now` of the form
//!   `offset + k × period`. Nothing drifts with queueing or run time, and a late run does not
//!   cause a burst of catch-up runs.
//! - The offset is a stable hash of the task's request group, so that 30,000 tasks with the
//!   same frequency spread over the period instead of firing together, while the checks of
//!   one group (one shared request) stay in step.
//! - After a non-ok result, `recheck_delay` (if set) replaces the frequency once; the next run
//!   after that recheck is back on the normal grid (the reference's alternation, §3.6).
//! - While alerting is confirming a change (`retry_before_notification` or a recovery
//!   threshold not yet reached), `recheck_delay` keeps replacing the frequency, so that a
//!   confirmation takes R × `recheck_delay`, not R × `frequency`.
//! - Nothing here panics, whatever the period: config bounds keep periods to a year, but a
//!   stored value past them (an older config, a manual edit) saturates at chrono's last
//!   instant instead of overflowing.

use argos_checks::Severity;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

/// What the scheduler needs to know about a task.
#[derive(Debug, Clone, Copy)]
pub struct Timing<'a> {
    /// Normal period, in seconds (> 0, config validation guarantees it).
    pub frequency_s: f64,
    /// Early re-check delay after a non-ok result, in seconds.
    pub recheck_delay_s: Option<f64>,
    /// Whether the previous run already was an early re-check.
    pub already_retried: bool,
    /// The task's request group: tasks of one group share an offset.
    pub task_group: &'a str,
    /// Alerting waits for more results to confirm a change.
    pub confirming: bool,
}

/// The next run time and the new `already_retried` flag, after a result of `severity` at `now`.
pub fn next_run(t: &Timing<'_>, severity: Severity, now: DateTime<Utc>) -> (DateTime<Utc>, bool) {
    let recheck = t.confirming || (severity != Severity::Ok && !t.already_retried);
    if recheck && let Some(delay) = t.recheck_delay_s.filter(|d| *d > 0.0) {
        return (after(now, delay), true);
    }
    (
        next_on_grid(t.frequency_s, offset_ms(t.task_group), now),
        false,
    )
}

/// First instant strictly after `now` on the grid `offset + k × period` (in `i128`, so no
/// period or offset overflows).
fn next_on_grid(period_s: f64, offset: u64, now: DateTime<Utc>) -> DateTime<Utc> {
    // `as` saturates: an infinite period is i64::MAX milliseconds.
    let period = i128::from((period_s * 1000.0).round().max(1.0) as i64);
    let offset = i128::from(offset) % period;
    let now_ms = i128::from(now.timestamp_millis());
    let k = (now_ms - offset).div_euclid(period) + 1;
    i64::try_from(offset + k * period)
        .ok()
        .and_then(DateTime::from_timestamp_millis)
        .unwrap_or_else(|| after(now, period_s))
}

/// `now` plus `seconds`, or chrono's last instant when that is past it.
fn after(now: DateTime<Utc>, seconds: f64) -> DateTime<Utc> {
    Duration::try_milliseconds((seconds * 1000.0).round() as i64)
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A stable pseudo-random offset in milliseconds, derived from the group key.
fn offset_ms(task_group: &str) -> u64 {
    let d = Sha256::digest(task_group.as_bytes());
    u64::from_le_bytes(d[..8].try_into().expect("a SHA-256 digest has 32 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(ms).unwrap()
    }

    fn timing(group: &str) -> Timing<'_> {
        Timing {
            frequency_s: 60.0,
            recheck_delay_s: Some(10.0),
            already_retried: false,
            task_group: group,
            confirming: false,
        }
    }

    #[test]
    fn fixed_rate_does_not_drift_with_run_time() {
        let t = timing("g");
        let (first, _) = next_run(&t, Severity::Ok, at(1_000_000));
        // A result that arrives 7 s late still lands on the same grid, one period on.
        let (second, _) = next_run(&t, Severity::Ok, first + Duration::seconds(7));
        assert_eq!(second - first, Duration::seconds(60));
        assert!(first > at(1_000_000) && first <= at(1_060_000));
    }

    #[test]
    fn a_late_run_skips_missed_slots_instead_of_bursting() {
        let t = timing("g");
        let (first, _) = next_run(&t, Severity::Ok, at(0));
        let (next, _) = next_run(
            &t,
            Severity::Ok,
            first + Duration::minutes(10) + Duration::seconds(1),
        );
        assert_eq!(next - first, Duration::minutes(11));
    }

    #[test]
    fn offsets_spread_groups_and_keep_a_group_together() {
        let now = at(5_000_000);
        let slots: std::collections::HashSet<_> = (0..100)
            .map(|i| next_run(&timing(&format!("group-{i}")), Severity::Ok, now).0)
            .collect();
        assert!(
            slots.len() > 90,
            "100 groups should land on distinct instants, got {}",
            slots.len()
        );
        let a = next_run(&timing("same"), Severity::Ok, now).0;
        let b = next_run(
            &timing("same"),
            Severity::Critical,
            now - Duration::seconds(3),
        )
        .0;
        assert_eq!(a, next_run(&timing("same"), Severity::Ok, now).0);
        assert_ne!(a, b); // the critical one takes the recheck delay
    }

    #[test]
    fn recheck_once_after_a_failure_then_back_to_frequency() {
        let mut t = timing("g");
        let now = at(0);
        let (n1, retried) = next_run(&t, Severity::Critical, now);
        assert_eq!((n1 - now, retried), (Duration::seconds(10), true));
        t.already_retried = true;
        let (n2, retried) = next_run(&t, Severity::Critical, n1);
        assert!(!retried);
        assert!(n2 - n1 <= Duration::seconds(60) && n2 > n1);
        t.recheck_delay_s = None;
        t.already_retried = false;
        assert!(!next_run(&t, Severity::Critical, now).1);
    }

    #[test]
    fn extreme_periods_and_times_saturate_instead_of_panicking() {
        let year = 366.0 * 86_400.0;
        let now = at(1_700_000_000_000);
        // The config's bounds: a year-long frequency or recheck delay.
        let mut t = timing("g");
        t.frequency_s = year;
        t.recheck_delay_s = Some(year);
        let (next, _) = next_run(&t, Severity::Ok, now);
        assert!(next > now && next - now <= Duration::days(366), "{next}");
        let (next, _) = next_run(&t, Severity::Critical, now);
        assert_eq!(next - now, Duration::days(366));
        // Far past them (a stored value no config would load): no overflow.
        for huge in [f64::MAX, f64::INFINITY, 1e300, 9.3e15] {
            t.frequency_s = huge;
            t.recheck_delay_s = Some(huge);
            for severity in [Severity::Ok, Severity::Critical] {
                let (next, _) = next_run(&t, severity, now);
                assert!(next > now, "{huge} {severity:?}: {next}");
            }
        }
        // Near the end of time, a normal period lands on chrono's last instant.
        let late = DateTime::<Utc>::MAX_UTC - Duration::seconds(1);
        t.frequency_s = year;
        t.recheck_delay_s = Some(year);
        for severity in [Severity::Ok, Severity::Critical] {
            assert_eq!(next_run(&t, severity, late).0, DateTime::<Utc>::MAX_UTC);
        }
        // And at its start, a long period stays on the grid.
        let early = DateTime::<Utc>::MIN_UTC;
        let (next, _) = next_run(&timing("g"), Severity::Ok, early);
        assert!(next > early && next - early <= Duration::seconds(60));
    }

    #[test]
    fn recheck_delay_paces_a_confirmation_whatever_the_severity() {
        let mut t = timing("g");
        t.already_retried = true;
        t.confirming = true;
        let now = at(0);
        for severity in [Severity::Critical, Severity::Ok] {
            let (next, retried) = next_run(&t, severity, now);
            assert_eq!((next - now, retried), (Duration::seconds(10), true));
        }
        t.confirming = false;
        let (_, retried) = next_run(&t, Severity::Critical, now);
        assert!(
            !retried,
            "confirmed and already rechecked: back on the grid"
        );
    }
}
