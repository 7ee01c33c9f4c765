//! Roll-ups: per task, the results of each UTC hour and of each UTC day, counted (results,
//! ok ones) and timed (sum and maximum of the response times), so that the uptime figures
//! and the response-time chart read a few dozen rows per task instead of its raw results.
//!
//! How they are kept:
//! - ingest adds each batch to the current hour and day of its tasks, in the batch's
//!   transaction (one upsert per table; PostgreSQL does both in one statement), so they are
//!   never behind the results and a crash loses neither;
//! - the maintenance loop deletes buckets past `general.rollups` (hourly 30 days, daily a
//!   year by default), in bounded batches so that SQLite's single writer is never held long;
//!   raw results keep following `recurring_tasks.max_results_age`.
//!
//! No percentile: an exact p95 cannot be merged from partial buckets, and a histogram would
//! more than double the size of a row (30,000 tasks keep about 33 million of them). The
//! maximum is the figure that shows a slow hour.
//!
//! This file holds the types and the pure parts (bucketing, windows, the rows a batch adds);
//! `rollups_sql` the SQL that is the same on both backends, `rollups_pg` and
//! `rollups_sqlite` the batch upsert and the retention of each backend.

use std::collections::BTreeMap;

use argos_checks::Severity;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::ingest::Accepted;

/// Which tasks a roll-up query covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// One task.
    Task(i64),
    /// Every task of a netloc (`host[:port]`), as the domain page groups them.
    Domain(&'a str),
}

/// The size of a roll-up bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// A UTC hour (`argos_rollups_hourly`).
    Hour,
    /// A UTC day (`argos_rollups_daily`).
    Day,
}

impl Step {
    /// The bucket's length.
    pub fn length(self) -> TimeDelta {
        match self {
            Step::Hour => TimeDelta::hours(1),
            Step::Day => TimeDelta::days(1),
        }
    }

    /// The start of the bucket holding `t`.
    pub fn start(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let len = self.length().num_seconds();
        let start = t.timestamp().div_euclid(len) * len;
        // Flooring a valid time to a whole hour or day stays in chrono's range.
        DateTime::from_timestamp(start, 0).expect("a bucket start is a valid time")
    }
}

/// Results counted over a window.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Results.
    pub checks: i64,
    /// Results whose severity was ok.
    pub ok: i64,
}

impl Tally {
    /// Share of ok results, in percent; `None` without any result.
    pub fn percent(&self) -> Option<f64> {
        (self.checks > 0).then(|| 100.0 * self.ok as f64 / self.checks as f64)
    }

    fn add(&mut self, other: Tally) {
        self.checks += other.checks;
        self.ok += other.ok;
    }
}

/// Uptime over the three windows the pages show (see [`Windows`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Uptime {
    /// The last 24 hours.
    pub day: Tally,
    /// The last 7 days.
    pub week: Tally,
    /// The last 30 days.
    pub month: Tally,
}

impl Uptime {
    /// The uptime of several tasks together (a domain's).
    pub fn sum<'a>(all: impl IntoIterator<Item = &'a Uptime>) -> Uptime {
        let mut total = Uptime::default();
        for u in all {
            total.day.add(u.day);
            total.week.add(u.week);
            total.month.add(u.month);
        }
        total
    }
}

/// Where the uptime windows start, for a query at `now`. Whole buckets: "24 hours" is the
/// current hour and the 23 before it, "7 days" the current hour and the 167 before (both
/// from the hourly roll-ups), "30 days" today and the 29 days before (daily roll-ups, so
/// that it does not depend on the hourly retention).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// First hourly bucket of the 24-hour window.
    pub day: DateTime<Utc>,
    /// First hourly bucket of the 7-day window.
    pub week: DateTime<Utc>,
    /// First daily bucket of the 30-day window.
    pub month: DateTime<Utc>,
}

impl Windows {
    /// The windows ending at `now`.
    pub fn at(now: DateTime<Utc>) -> Windows {
        let hour = Step::Hour.start(now);
        Windows {
            day: hour - TimeDelta::hours(23),
            week: hour - TimeDelta::hours(7 * 24 - 1),
            month: Step::Day.start(now) - TimeDelta::days(29),
        }
    }
}

/// One bucket of a response-time series, over the tasks of a [`Scope`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// Start of the bucket.
    pub start: DateTime<Utc>,
    /// Results and ok results in the bucket.
    pub tally: Tally,
    /// Results that carried a response time.
    pub timed: i64,
    /// Mean response time of the results that had one (ms).
    pub avg_ms: Option<f64>,
    /// Slowest response time (ms).
    pub max_ms: Option<f64>,
}

impl Point {
    /// A point from a bucket's sums (`timed` results took `elapsed_sum` ms in all).
    pub(crate) fn from_sums(
        start: DateTime<Utc>,
        tally: Tally,
        timed: i64,
        elapsed_sum: f64,
        elapsed_max: f64,
    ) -> Point {
        Point {
            start,
            tally,
            timed,
            avg_ms: (timed > 0).then(|| elapsed_sum / timed as f64),
            max_ms: (timed > 0).then_some(elapsed_max),
        }
    }
}

/// The certificate expiry a task's latest result reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CertExpiry {
    /// The task.
    pub task_id: i64,
    /// When its certificate expires.
    pub expires_at: DateTime<Utc>,
}

impl CertExpiry {
    /// Whole days left at `now` (floored, as the checks report them; negative once expired).
    pub fn days_left(&self, now: DateTime<Utc>) -> i64 {
        (self.expires_at - now).num_seconds().div_euclid(86_400)
    }
}

/// The expiry from a result's context, as JSON texts of (our HTTPS probe's
/// `certificate.expires_in_seconds`, our `ssl-certificate-expiration` check's
/// `expires_in_seconds`, the reference agent's `expires_in` days), counted from when the
/// result was submitted. A value that is not a number is ignored.
pub(crate) fn cert_expiry(
    task_id: i64,
    submitted_at: DateTime<Utc>,
    probe_seconds: Option<&str>,
    check_seconds: Option<&str>,
    days: Option<&str>,
) -> Option<CertExpiry> {
    let number = |text: Option<&str>| text?.trim().parse::<f64>().ok().filter(|n| n.is_finite());
    let seconds = number(probe_seconds)
        .or_else(|| number(check_seconds))
        .or_else(|| number(days).map(|d| d * 86_400.0))?;
    // Bounded so that a hostile value cannot overflow the time arithmetic.
    let seconds = seconds.clamp(-1e10, 1e10) as i64;
    Some(CertExpiry {
        task_id,
        expires_at: submitted_at.checked_add_signed(TimeDelta::seconds(seconds))?,
    })
}

/// What one batch adds to a task's current bucket (one element of the upsert's JSON array).
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub(crate) struct Added {
    pub task_id: i64,
    pub checks: i32,
    pub ok: i32,
    pub timed: i32,
    pub elapsed_sum: f64,
    pub elapsed_max: f64,
}

/// The accepted results of a batch, summed per task (a task appears once per batch today;
/// summing keeps the upsert valid even if that changes), by task id so that concurrent
/// batches touch the roll-up rows in the same order.
pub(crate) fn added(accepted: &[Accepted<'_>]) -> Vec<Added> {
    let mut by_task: BTreeMap<i64, Added> = BTreeMap::new();
    for a in accepted {
        let row = by_task.entry(a.task_id).or_insert_with(|| Added {
            task_id: a.task_id,
            ..Added::default()
        });
        row.checks += 1;
        row.ok += i32::from(a.severity == Severity::Ok);
        if let Some(ms) = a.elapsed_ms.filter(|ms| ms.is_finite() && *ms >= 0.0) {
            row.timed += 1;
            row.elapsed_sum += ms;
            row.elapsed_max = row.elapsed_max.max(ms);
        }
    }
    by_task.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn buckets_start_at_the_utc_hour_and_day() {
        let now = t("2026-03-04T05:06:07Z");
        assert_eq!(Step::Hour.start(now), t("2026-03-04T05:00:00Z"));
        assert_eq!(Step::Day.start(now), t("2026-03-04T00:00:00Z"));
        assert_eq!(
            Step::Hour.start(t("1969-12-31T23:30:00Z")),
            t("1969-12-31T23:00:00Z")
        );
    }

    #[test]
    fn windows_are_whole_buckets_ending_with_the_current_one() {
        let w = Windows::at(t("2026-03-04T05:06:07Z"));
        assert_eq!(w.day, t("2026-03-03T06:00:00Z"));
        assert_eq!(w.week, t("2026-02-25T06:00:00Z"));
        assert_eq!(w.month, t("2026-02-03T00:00:00Z"));
    }

    #[test]
    fn percent_and_sum() {
        let a = Uptime {
            day: Tally { checks: 4, ok: 3 },
            ..Uptime::default()
        };
        let b = Uptime {
            day: Tally { checks: 4, ok: 4 },
            ..Uptime::default()
        };
        let total = Uptime::sum([&a, &b]);
        assert_eq!(total.day.percent(), Some(87.5));
        assert_eq!(total.week.percent(), None);
    }

    #[test]
    fn certificate_expiry_prefers_the_probe_then_the_check_then_days() {
        let at = t("2026-01-01T00:00:00Z");
        let exp = |p, c, d| cert_expiry(1, at, p, c, d).map(|e| e.expires_at);
        assert_eq!(
            exp(Some("86400"), Some("1"), Some("9")),
            Some(t("2026-01-02T00:00:00Z"))
        );
        assert_eq!(
            exp(None, Some("3600"), None),
            Some(t("2026-01-01T01:00:00Z"))
        );
        assert_eq!(exp(None, None, Some("2")), Some(t("2026-01-03T00:00:00Z")));
        assert_eq!(exp(Some("\"soon\""), None, None), None);
        assert_eq!(exp(None, None, None), None);
        let e = cert_expiry(1, at, Some("-1"), None, None).unwrap();
        assert_eq!(e.days_left(at), -1);
        assert!(cert_expiry(1, at, Some("1e300"), None, None).is_some());
    }
}
